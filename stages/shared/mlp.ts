// The seed's 784-H1-H2-10 sigmoid MLP and its inverse path, shared by the stages that use them.
// Every function here returns new tensors and disposes its intermediates, so callers only own
// what they get back.
import { tf } from 'mlpipe/sdk/tf';
import type { Artifact } from 'mlpipe/sdk/stage';
import { squashLogit } from 'mlpipe/sdk/losses';

/** The classifier artifact: w1 [D,H1], b1 [H1], w2 [H1,H2], b2 [H2], w [H2,10], b [10]. */
export interface Classifier {
  w1: tf.Tensor2D;
  b1: tf.Tensor1D;
  w2: tf.Tensor2D;
  b2: tf.Tensor1D;
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}
/** The inverse artifact: w2inv [H2,H1], w1inv [H1,D]. */
export interface Inverse {
  w2inv: tf.Tensor2D;
  w1inv: tf.Tensor2D;
}

function need(artifact: Artifact, names: string[], kind: string): void {
  for (const n of names) {
    if (!(n in artifact)) throw new Error(`${kind} artifact is missing tensor "${n}"`);
  }
}

export function asClassifier(a: Artifact): Classifier {
  need(a, ['w1', 'b1', 'w2', 'b2', 'w', 'b'], 'classifier');
  return a as unknown as Classifier;
}

/** Throw, naming the stage, when `x`'s rows are not the width the classifier was trained on (a
 * classifier wired to another data set than the one it learned): a plain matMul error otherwise. */
export function expectPixels(stage: string, m: Classifier, x: tf.Tensor2D, input = 'data'): void {
  if (m.w1.shape[0] !== x.shape[1]) {
    throw new Error(
      `${stage}: the classifier takes ${m.w1.shape[0]} pixels per sample but input "${input}" has ${x.shape[1]}; ` +
        'the classifier must be trained on the same kind of data',
    );
  }
}

/** Throw, naming the stage, when `inv` was trained for a classifier of other hidden sizes. */
export function expectInverseOf(stage: string, m: Classifier, inv: Inverse): void {
  const [h1, h2] = [m.b1.shape[0], m.b2.shape[0]];
  const [ih2, ih1] = inv.w2inv.shape;
  if (ih2 !== h2 || ih1 !== h1 || inv.w1inv.shape[0] !== h1) {
    throw new Error(
      `${stage}: the inverse was trained for a classifier with hidden layers [${ih1}, ${ih2}] but input "model" has [${h1}, ${h2}]; ` +
        'wire the classifier the inverse was trained on',
    );
  }
}

export function asInverse(a: Artifact): Inverse {
  need(a, ['w2inv', 'w1inv'], 'inverse');
  return a as unknown as Inverse;
}

/** Pre-activation of the last hidden layer: z2 = sigmoid(x@w1+b1)@w2+b2. logit(l2) == z2, so the
 * inverse path starts here rather than at logit(sigmoid(z2)), which overflows to inf. */
export function hiddenPre(m: Classifier, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const l1 = tf.sigmoid(tf.add(tf.matMul(x, m.w1), m.b1));
    return tf.add(tf.matMul(l1, m.w2), m.b2) as tf.Tensor2D;
  });
}

/** Class logits from the last hidden layer's pre-activation. */
export function logitsFromHidden(m: Classifier, z2: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.matMul(tf.sigmoid(z2), m.w), m.b) as tf.Tensor2D);
}

export function logits(m: Classifier, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => logitsFromHidden(m, hiddenPre(m, x)));
}

/** First half of the inverse path: l1_inv = (z2 - b2) @ w2inv. */
export function l1Inverse(m: Classifier, inv: Inverse, z2: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(tf.sub(z2, m.b2), inv.w2inv));
}

/** Second half: x_inv = (logit(squash(l1_inv)) - b1) @ w1inv. */
export function pixelsFromL1(m: Classifier, inv: Inverse, l1inv: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(tf.sub(squashLogit(l1inv), m.b1) as tf.Tensor2D, inv.w1inv));
}

/** The whole inverse projection from a last-hidden-layer pre-activation back to pixels. */
export function invert(m: Classifier, inv: Inverse, z2: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => pixelsFromL1(m, inv, l1Inverse(m, inv, z2)));
}

/** Apply `f` to row chunks of `x` and concatenate, to bound the memory of big evaluations. */
export function inChunks(x: tf.Tensor2D, f: (chunk: tf.Tensor2D) => tf.Tensor, rows = 10000): tf.Tensor {
  const n = x.shape[0];
  if (n <= rows) return tf.tidy(() => f(x));
  const parts: tf.Tensor[] = [];
  try {
    for (let start = 0; start < n; start += rows) {
      const size = Math.min(rows, n - start);
      parts.push(tf.tidy(() => f(tf.slice(x, [start, 0], [size, x.shape[1]]))));
    }
    return tf.concat(parts, 0);
  } finally {
    tf.dispose(parts); // also when a chunk throws: the chunks done so far do not outlive it
  }
}

/** Class predictions (argmax of the logits), as a plain array. */
export function predict(m: Classifier, x: tf.Tensor2D): Int32Array {
  const pred = inChunks(x, (c) => tf.argMax(logits(m, c), 1));
  const out = pred.dataSync() as Int32Array;
  pred.dispose();
  return Int32Array.from(out);
}

/** Fraction of rows of `x` whose predicted class equals `y`. */
export function accuracy(m: Classifier, x: tf.Tensor2D, y: tf.Tensor1D): number {
  const pred = predict(m, x);
  const labels = y.dataSync();
  let hits = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) hits++;
  return pred.length === 0 ? 0 : hits / pred.length;
}
