// Two pieces of the seed's inverse loss as single ops with their gradients: on the wasm backend
// each direction is one of our kernels (wasm-loss-wat.ts) instead of a dozen tfjs kernels and
// tape entries; on other backends, the same math from tfjs ops. Results agree to rounding
// (test/fused-ops.test.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, NamedTensorMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import './gradients.js';
import { addressOf, simdKernels } from './wasm-simd.js';

type Kernels = NonNullable<ReturnType<typeof simdKernels>>;
const size = (t: TensorInfo) => tf.util.sizeFromShape(t.shape);

function register(name: string, run: (k: Kernels, b: BackendWasm, inputs: Record<string, TensorInfo>) => TensorInfo): void {
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

const fused = (...ts: tf.Tensor[]) =>
  tf.getBackend() === 'wasm' && simdKernels(tf.backend() as BackendWasm) !== undefined && ts.every((t) => t.dtype === 'float32');
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
  return fused(p) ? squashLogitFused(p) : (tf.tidy(() => logit(squash(p))) as tf.Tensor2D);
}

/** sum|x - y| as a function of y (x is data), with its gradient written out: -step(x - y, -1),
 * the sign as tfjs's Abs gradient takes it. The generic Sub/Abs/Sum chain copies both operands
 * onto the tape and makes five passes over them backward. */
export function l1Distance(x: tf.Tensor): (y: tf.Tensor) => tf.Scalar {
  return tf.customGrad(((y: tf.Tensor, save: tf.GradSaveFunc) => {
    if (fused(x, y)) {
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
