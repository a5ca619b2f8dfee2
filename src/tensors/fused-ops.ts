// The seed's losses as single ops with their gradients: the classifier's softmax cross-entropy and
// the inverse's L1 distance and logit(squash(p)). On the wasm backend each direction is one of our
// kernels (wasm-loss-wat.ts, or a short JS loop) instead of a dozen tfjs kernels and tape entries;
// on other backends, the same math from tfjs ops. Results agree to rounding (test/fused-ops.test.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, NamedTensorMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import './gradients.js'; // tfjs-core's Node bundle registers no gradients
import { addressOf, onWasmSimd, simdKernels } from './wasm-simd.js';

type Kernels = NonNullable<ReturnType<typeof simdKernels>>;
const size = (t: TensorInfo) => tf.util.sizeFromShape(t.shape);

/** Register a wasm kernel `name` once (a module may be loaded twice, e.g. from src and dist). */
function register(name: string, run: (k: Kernels, b: BackendWasm, inputs: Record<string, TensorInfo>) => TensorInfo | TensorInfo[]): void {
  if (tf.getKernel(name, 'wasm') != null) return;
  const kernelFunc: KernelFunc = ({ inputs, backend }) =>
    run(simdKernels(backend as BackendWasm)!, backend as BackendWasm, inputs as Record<string, TensorInfo>);
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
}

register('PipelineSumAbsDiff', (k, b, { x, y }) => {
  const out = b.makeOutput([], 'float32');
  (b.typedArrayFromHeap(out) as Float32Array)[0] = k.sum_abs_diff(addressOf(b, x), addressOf(b, y), size(x));
  return out;
});
register('PipelineAbsDiffGrad', (k, b, { x, y, dy }) => {
  const out = b.makeOutput(x.shape, 'float32');
  k.abs_diff_grad(addressOf(b, x), addressOf(b, y), (b.typedArrayFromHeap(dy) as Float32Array)[0], addressOf(b, out), size(x));
  return out;
});
// Softmax cross-entropy over [rows, classes] logits with int32 labels, in float64 JS on the heap:
// the class axis is short (10), so a JS loop beats a dozen tfjs kernels and their tape entries.
const f32 = (b: BackendWasm, t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
function checkLabels(labels: Int32Array, classes: number): void {
  for (const l of labels) if (!(l >= 0 && l < classes)) throw new Error(`label ${l} is not in [0, ${classes - 1}]`);
}
register('PipelineSoftmaxCE', (_, b, { logits, labels }) => {
  const [rows, classes] = logits.shape;
  const loss = b.makeOutput([], 'float32');
  const probs = b.makeOutput(logits.shape, 'float32');
  const [z, p, y] = [f32(b, logits), f32(b, probs), b.typedArrayFromHeap(labels) as Int32Array];
  checkLabels(y, classes);
  let total = 0;
  for (let r = 0, o = 0; r < rows; r++, o += classes) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, z[o + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += (p[o + c] = Math.exp(z[o + c] - m));
    for (let c = 0; c < classes; c++) p[o + c] /= sum;
    total += Math.log(sum) + m - z[o + y[r]];
  }
  f32(b, loss)[0] = total;
  return [loss, probs];
});
register('PipelineSoftmaxCEGrad', (_, b, { probs, labels, dy }) => {
  const classes = probs.shape[1];
  const out = b.makeOutput(probs.shape, 'float32');
  const [p, g, y, d] = [f32(b, probs), f32(b, out), b.typedArrayFromHeap(labels) as Int32Array, f32(b, dy)[0]];
  for (let i = 0; i < p.length; i++) g[i] = p[i] * d;
  for (let r = 0; r < y.length; r++) g[r * classes + y[r]] -= d;
  return out;
});
register('PipelineSquashRatio', (k, b, { p }) => {
  const out = b.makeOutput(p.shape, 'float32');
  k.squash_ratio(addressOf(b, p), addressOf(b, out), p.shape[0], p.shape[1]);
  return out;
});
register('PipelineSquashLogitGrad', (k, b, { p, dy }) => {
  const out = b.makeOutput(p.shape, 'float32');
  k.squash_logit_grad(addressOf(b, p), addressOf(b, dy), addressOf(b, out), p.shape[0], p.shape[1]);
  return out;
});

const run = (name: string, inputs: Record<string, tf.Tensor>) =>
  tf.engine().runKernel(name, inputs as unknown as NamedTensorMap) as tf.Tensor;
type CustomFn = Parameters<typeof tf.customGrad>[0];

/** The seed's per-row squash: shift each row's min to 0, scale its max to 1, then shrink into
 * (0.005, 0.995) so logit stays finite. */
export function squash(p: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const shifted = tf.sub(p, tf.min(p, 1, true));
    const norm = tf.div(shifted, tf.max(shifted, 1, true));
    return tf.add(tf.mul(tf.sub(norm, 0.5), 0.99), 0.5) as tf.Tensor2D;
  });
}

export function logit(p: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.log(tf.div(p, tf.sub(1, p))));
}

const squashLogitFused = tf.customGrad(((p: tf.Tensor, save: tf.GradSaveFunc) => {
  save([p]);
  return {
    value: tf.log(run('PipelineSquashRatio', { p })),
    gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => run('PipelineSquashLogitGrad', { p: saved, dy }),
  };
}) as unknown as CustomFn) as (p: tf.Tensor) => tf.Tensor2D;

/** logit(squash(p)) for a [rows, cols] p, differentiable. */
export function squashLogit(p: tf.Tensor2D): tf.Tensor2D {
  return onWasmSimd(p) ? squashLogitFused(p) : (tf.tidy(() => logit(squash(p))) as tf.Tensor2D);
}

/** sum|x - y| as a function of y (x is data), with its gradient written out: -step(x - y, -1),
 * the sign as tfjs's Abs gradient takes it. The generic Sub/Abs/Sum chain copies both operands
 * onto the tape and makes five passes over them backward. */
export function l1Distance(x: tf.Tensor): (y: tf.Tensor) => tf.Scalar {
  return tf.customGrad(((y: tf.Tensor, save: tf.GradSaveFunc) => {
    if (onWasmSimd(x, y)) {
      save([x, y]); // x too: a caller's x may be an intermediate of the forward pass
      return {
        value: run('PipelineSumAbsDiff', { x, y }),
        gradFunc: (dy: tf.Tensor, [sx, sy]: tf.Tensor[]) => run('PipelineAbsDiffGrad', { x: sx, y: sy, dy }),
      };
    }
    const d = tf.sub(x, y);
    save([d]);
    return { value: tf.sum(tf.abs(d)), gradFunc: (dy: tf.Tensor, [diff]: tf.Tensor[]) => tf.mul(tf.step(diff, -1), tf.neg(dy)) };
  }) as unknown as CustomFn) as (y: tf.Tensor) => tf.Scalar;
}

/** Summed softmax cross-entropy, -sum_i log softmax(logits_i)[labels_i], for int32 class labels;
 * its gradient is (softmax - onehot(labels)) * dy. */
export function softmaxCrossEntropy(labels: tf.Tensor1D, logits: tf.Tensor2D): tf.Scalar {
  if (!onWasmSimd(logits) || labels.dtype !== 'int32') {
    return tf.tidy(() => {
      const onehot = tf.cast(tf.oneHot(labels, logits.shape[1]), 'float32');
      return tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)))) as tf.Scalar;
    });
  }
  return tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    const [loss, probs] = tf.engine().runKernel('PipelineSoftmaxCE', { logits: z, labels } as unknown as NamedTensorMap) as tf.Tensor[];
    save([probs, labels]);
    return {
      value: loss,
      gradFunc: (dy: tf.Tensor, [p, l]: tf.Tensor[]) => run('PipelineSoftmaxCEGrad', { probs: p, labels: l, dy }),
    };
  }) as unknown as CustomFn)(logits) as tf.Scalar;
}
