// The seed's 784-H1-H2-10 sigmoid MLP, generalised to any number of hidden layers (784-H1-...-HN-10),
// and its inverse path, shared by the stages that use them. Every function here returns new
// tensors and disposes its intermediates, so callers only own what they get back.
//
// Tensor names. The classifier artifact of N hidden layers holds
//   w1 [D,H1], b1 [H1], w2 [H1,H2], b2 [H2], ..., wN [H(N-1),HN], bN [HN], w [HN,10], b [10]
// (D pixels per sample; hidden layer k is sigmoid(l(k-1) @ wk + bk), l0 the pixels; w, b the
// softmax output layer). The inverse artifact holds one matrix per hidden layer,
//   wNinv [HN,H(N-1)], ..., w2inv [H2,H1], w1inv [H1,D],
// where wkinv maps (an estimate of) layer k back to layer k-1 (w1inv: layer 1 to the pixels).
// For the seed's two layers these are exactly its names: w1, b1, w2, b2, w, b and w2inv, w1inv.
//
// The inverse path (the seed's, for two layers: l1_inv = (logit(l2) - b2) @ w2inv, then
// x_inv = (logit(squash(l1_inv)) - b1) @ w1inv), for N layers:
//   l(N-1)_inv = (zN - bN) @ wNinv                          zN = logit(lN), the pre-activation
//   l(k-1)_inv = (logit(squash(lk_inv)) - bk) @ wkinv       for k = N-1 down to 1
// and l0_inv is the pixels. With one hidden layer it is x_inv = (z1 - b1) @ w1inv, nothing squashed.
import { tf } from 'mlpipe/sdk/tf';
import type { Artifact } from 'mlpipe/sdk/stage';
import { squashLogit } from 'mlpipe/sdk/losses';

// Defined beside the tf-free definitions that use it; re-exported for code that reads it here.
export { MAX_HIDDEN_LAYERS } from './limits.js';

/** One hidden layer: sigmoid(input @ w + b). */
export interface Layer {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

/** The classifier, read from its artifact: hidden[k-1] is layer k (tensors wk, bk); w, b the output. */
export interface Classifier {
  hidden: Layer[];
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

/** The inverse, read from its artifact: back[k-1] is wkinv, mapping layer k to layer k-1. */
export interface Inverse {
  back: tf.Tensor2D[];
}

/** The classifier artifact's tensor names for `depth` hidden layers, in the order they are made. */
export function classifierNames(depth: number): string[] {
  const names: string[] = [];
  for (let k = 1; k <= depth; k++) names.push(`w${k}`, `b${k}`);
  return [...names, 'w', 'b'];
}

/** The inverse artifact's tensor names for `depth` hidden layers, in the order they are made
 * (from the last layer back: wNinv first, w1inv last, as the seed's w2inv then w1inv). */
export function inverseNames(depth: number): string[] {
  return Array.from({ length: depth }, (_, i) => `w${depth - i}inv`);
}

const shapeOf = (t: tf.Tensor) => `[${t.shape.join(', ')}]`;

/** The number of numbered layers `pattern` finds in `a`: 1..N without a gap, or an error naming
 * the first stray tensor (w3 in an artifact without w2). */
function depthOf(a: Artifact, pattern: RegExp, first: string, what: string): number {
  const numbers = Object.keys(a)
    .map((k) => pattern.exec(k))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[0], k: Number(m[1]) }));
  let depth = 0;
  while (numbers.some((n) => n.k === depth + 1 && /^w/.test(n.name))) depth++;
  if (depth === 0) throw new Error(`${what} is missing tensor "${first}"`);
  const stray = numbers.find((n) => n.k < 1 || n.k > depth || String(n.k) !== n.name.replace(/^[wb]|inv$/g, ''));
  if (stray) {
    throw new Error(`${what} has tensor "${stray.name}" but its layers stop at ${depth}: layer tensors are numbered from 1 without gaps`);
  }
  return depth;
}

function tensor(a: Artifact, name: string, rank: number, what: string): tf.Tensor {
  const t = a[name];
  if (t == null) throw new Error(`${what} is missing tensor "${name}"`);
  if (t.rank !== rank) throw new Error(`${what}: tensor "${name}" has shape ${shapeOf(t)}; it must have ${rank} dimension${rank === 1 ? '' : 's'}`);
  return t;
}

/** Read a classifier artifact of any depth (at least one hidden layer), checking that its shapes
 * chain: w1 [D,H1], bk [Hk], wk [H(k-1),Hk], w [HN,C], b [C]. `stage`/`input` name it in errors. */
export function asClassifier(a: Artifact, stage?: string, input = 'model'): Classifier {
  const what = stage ? `${stage}: input "${input}" (a classifier artifact)` : 'classifier artifact';
  const depth = depthOf(a, /^[wb](\d+)$/, 'w1', what);
  const hidden: Layer[] = [];
  for (let k = 1; k <= depth; k++) {
    const w = tensor(a, `w${k}`, 2, what) as tf.Tensor2D;
    const b = tensor(a, `b${k}`, 1, what) as tf.Tensor1D;
    if (k > 1 && w.shape[0] !== hidden[k - 2].w.shape[1]) {
      throw new Error(`${what}: w${k} is ${shapeOf(w)} but layer ${k - 1} has ${hidden[k - 2].w.shape[1]} units`);
    }
    if (b.shape[0] !== w.shape[1]) throw new Error(`${what}: b${k} has ${b.shape[0]} values but w${k} is ${shapeOf(w)}`);
    hidden.push({ w, b });
  }
  const w = tensor(a, 'w', 2, what) as tf.Tensor2D;
  const b = tensor(a, 'b', 1, what) as tf.Tensor1D;
  const last = hidden[depth - 1].w.shape[1];
  if (w.shape[0] !== last) throw new Error(`${what}: w is ${shapeOf(w)} but the last hidden layer (${depth}) has ${last} units`);
  if (b.shape[0] !== w.shape[1]) throw new Error(`${what}: b has ${b.shape[0]} values but w is ${shapeOf(w)}`);
  return { hidden, w, b };
}

/** Read an inverse artifact of any depth: w1inv [H1,D] and, for k >= 2, wkinv [Hk,H(k-1)]. */
export function asInverse(a: Artifact, stage?: string, input = 'inverse'): Inverse {
  const what = stage ? `${stage}: input "${input}" (an inverse artifact)` : 'inverse artifact';
  const depth = depthOf(a, /^w(\d+)inv$/, 'w1inv', what);
  const back: tf.Tensor2D[] = [];
  for (let k = 1; k <= depth; k++) {
    const w = tensor(a, `w${k}inv`, 2, what) as tf.Tensor2D;
    if (k > 1 && w.shape[1] !== back[k - 2].shape[0]) {
      throw new Error(`${what}: w${k}inv is ${shapeOf(w)} but w${k - 1}inv is ${shapeOf(back[k - 2])}: they do not chain`);
    }
    back.push(w);
  }
  return { back };
}

/** Hidden layer sizes [H1, ..., HN]. */
export const hiddenSizes = (m: Classifier): number[] => m.hidden.map((l) => l.b.shape[0]);

/** Units of the last hidden layer (HN): the width of a hidden code. */
export const lastHidden = (m: Classifier): number => m.hidden[m.hidden.length - 1].b.shape[0];

/** Pixels per sample the classifier takes (D). */
export const pixelsOf = (m: Classifier): number => m.hidden[0].w.shape[0];

/** Throw, naming the stage, when `x`'s rows are not the width the classifier was trained on (a
 * classifier wired to another data set than the one it learned): a plain matMul error otherwise. */
export function expectPixels(stage: string, m: Classifier, x: tf.Tensor2D, input = 'data'): void {
  if (pixelsOf(m) !== x.shape[1]) {
    throw new Error(
      `${stage}: the classifier takes ${pixelsOf(m)} pixels per sample but input "${input}" has ${x.shape[1]}; ` +
        'the classifier must be trained on the same kind of data',
    );
  }
}

/** Throw, naming the stage, when `inv` was trained for a classifier of another depth or other
 * hidden sizes (or other data): it needs one inverse matrix per hidden layer of `m`. */
export function expectInverseOf(stage: string, m: Classifier, inv: Inverse): void {
  const h = hiddenSizes(m);
  const ih = inv.back.map((w) => w.shape[0]);
  if (ih.length !== h.length || ih.some((v, i) => v !== h[i])) {
    // Same depth: the sizes, as the two-layer message always was. Another depth: the counts too.
    const counts = ih.length !== h.length;
    const sizes = (v: number[]) => `${counts ? `${v.length} hidden layer${v.length === 1 ? '' : 's'} ` : ''}[${v.join(', ')}]`;
    throw new Error(
      `${stage}: the inverse was trained for a classifier with ${counts ? '' : 'hidden layers '}${sizes(ih)} ` +
        `but input "model" has ${sizes(h)}; wire the classifier the inverse was trained on`,
    );
  }
  const d = inv.back[0].shape[1];
  if (d !== pixelsOf(m)) {
    throw new Error(`${stage}: the inverse projects to ${d} pixels but input "model" takes ${pixelsOf(m)}; wire the classifier the inverse was trained on`);
  }
}

/** Pre-activation of the last hidden layer: zN = sigmoid(...sigmoid(x@w1+b1)...)@wN+bN.
 * logit(lN) == zN, so the inverse path starts here rather than at logit(sigmoid(zN)), which
 * overflows to inf. */
export function hiddenPre(m: Classifier, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    let z = tf.add(tf.matMul(x, m.hidden[0].w), m.hidden[0].b) as tf.Tensor2D;
    for (const layer of m.hidden.slice(1)) z = tf.add(tf.matMul(tf.sigmoid(z), layer.w), layer.b) as tf.Tensor2D;
    return z;
  });
}

/** Class logits from the last hidden layer's pre-activation. */
export function logitsFromHidden(m: Classifier, zN: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.matMul(tf.sigmoid(zN), m.w), m.b) as tf.Tensor2D);
}

export function logits(m: Classifier, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => logitsFromHidden(m, hiddenPre(m, x)));
}

/** The whole inverse path from a last-hidden-layer pre-activation back to pixels, keeping the
 * intermediate projections that go through logit(squash(.)): `squashed[0]` is l(N-1)_inv, the
 * last is l1_inv (none for one hidden layer). train-inverse penalises them for leaving (0, 1). */
export function invertTrace(m: Classifier, inv: Inverse, zN: tf.Tensor2D): { pixels: tf.Tensor2D; squashed: tf.Tensor2D[] } {
  return tf.tidy(() => {
    const n = m.hidden.length;
    const squashed: tf.Tensor2D[] = [];
    let l: tf.Tensor2D = tf.matMul(tf.sub(zN, m.hidden[n - 1].b) as tf.Tensor2D, inv.back[n - 1]);
    for (let k = n - 1; k >= 1; k--) {
      squashed.push(l);
      l = tf.matMul(tf.sub(squashLogit(l), m.hidden[k - 1].b) as tf.Tensor2D, inv.back[k - 1]);
    }
    return { pixels: l, squashed };
  });
}

/** The inverse projection from a last-hidden-layer pre-activation back to pixels. */
export function invert(m: Classifier, inv: Inverse, zN: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => invertTrace(m, inv, zN).pixels);
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
