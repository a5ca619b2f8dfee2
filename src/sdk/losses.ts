// The seed's losses as single ops with their gradients: the classifier's softmax cross-entropy and
// the inverse's L1 distance, logit(squash(p)) and range penalty. On the wasm backend each direction
// is one of our kernels (wasm-loss-wat.ts, or a short JS loop) instead of a dozen tfjs kernels and tape entries;
// on other backends, the same math from tfjs ops. Results agree to rounding (test/fused-ops.test.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensorMap } from '@tensorflow/tfjs-core';
import { FUSED } from '../backend/fused-kernels.js';
import { onWasmSimd } from '../backend/wasm-simd.js';

const run = (name: string, inputs: Record<string, tf.Tensor>) => tf.engine().runKernel(name, inputs as unknown as NamedTensorMap) as tf.Tensor;
type CustomFn = Parameters<typeof tf.customGrad>[0];

/** The seed's per-row squash of p [rows, cols]: shift each row's min to 0, scale its max to 1,
 * then shrink into [0.005, 0.995] so logit stays finite. Same shape out. */
export function squash(p: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const shifted = tf.sub(p, tf.min(p, 1, true));
    const norm = tf.div(shifted, tf.max(shifted, 1, true));
    return tf.add(tf.mul(tf.sub(norm, 0.5), 0.99), 0.5) as tf.Tensor2D;
  });
}

/** Elementwise log(p / (1 - p)) (the inverse of the sigmoid), for p in (0, 1); same shape out. */
export function logit(p: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.log(tf.div(p, tf.sub(1, p))));
}

const squashLogitFused = tf.customGrad(((p: tf.Tensor, save: tf.GradSaveFunc) => {
  save([p]);
  return {
    value: tf.log(run(FUSED.squashRatio, { p })),
    gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => run(FUSED.squashLogitGrad, { p: saved, dy }),
  };
}) as unknown as CustomFn) as (p: tf.Tensor) => tf.Tensor2D;

/** logit(squash(p)) for a [rows, cols] p, differentiable with respect to p; [rows, cols] out. One
 * fused kernel each way on the wasm backend, the same math from tfjs ops elsewhere. */
export function squashLogit(p: tf.Tensor2D): tf.Tensor2D {
  return onWasmSimd(p) ? squashLogitFused(p) : (tf.tidy(() => logit(squash(p))) as tf.Tensor2D);
}

/** 0.5 min(l)^2 + 0.5 max(l - 1)^2, a scalar: the seed's tf.nn.l2_loss of the global min and
 * of the global max of l - 1, which pushes a projection back into [0, 1]. Differentiable with
 * respect to l; elements tied for the min or the max each take the whole gradient, as tfjs's
 * Min/Max gradients give it. One kernel each way on the wasm backend, tfjs ops elsewhere. */
export function rangeExcess(l: tf.Tensor): tf.Scalar {
  if (!onWasmSimd(l)) {
    return tf.tidy(() => tf.add(tf.mul(0.5, tf.square(tf.min(l))), tf.mul(0.5, tf.square(tf.max(tf.sub(l, 1))))) as tf.Scalar);
  }
  return tf.customGrad(((v: tf.Tensor, save: tf.GradSaveFunc) => {
    const [value, extremes] = tf.engine().runKernel(FUSED.rangeExcess, { l: v } as unknown as NamedTensorMap) as tf.Tensor[];
    save([v, extremes]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, [sl, se]: tf.Tensor[]) => run(FUSED.rangeExcessGrad, { l: sl, extremes: se, dy }),
    };
  }) as unknown as CustomFn)(l) as tf.Scalar;
}

/** The L1 distance to data `x`: returns y => sum|x - y| (a scalar), for a y of x's shape,
 * differentiable with respect to y, with its gradient written out: -step(x - y, -1),
 * the sign as tfjs's Abs gradient takes it. The generic Sub/Abs/Sum chain copies both operands
 * onto the tape and makes five passes over them backward. */
export function l1Distance(x: tf.Tensor): (y: tf.Tensor) => tf.Scalar {
  return tf.customGrad(((y: tf.Tensor, save: tf.GradSaveFunc) => {
    if (onWasmSimd(x, y)) {
      save([x, y]); // x too: a caller's x may be an intermediate of the forward pass
      return {
        value: run(FUSED.sumAbsDiff, { x, y }),
        gradFunc: (dy: tf.Tensor, [sx, sy]: tf.Tensor[]) => run(FUSED.absDiffGrad, { x: sx, y: sy, dy }),
      };
    }
    const d = tf.sub(x, y);
    save([d]);
    return { value: tf.sum(tf.abs(d)), gradFunc: (dy: tf.Tensor, [diff]: tf.Tensor[]) => tf.mul(tf.step(diff, -1), tf.neg(dy)) };
  }) as unknown as CustomFn) as (y: tf.Tensor) => tf.Scalar;
}

/** Summed (not averaged) softmax cross-entropy, -sum_i log softmax(logits_i)[labels_i], of
 * logits [rows, classes] and class labels [rows] (int32, 0..classes-1; other dtypes take the
 * unfused path); a scalar, differentiable with respect to logits: (softmax - onehot(labels)) * dy. */
export function softmaxCrossEntropy(labels: tf.Tensor1D, logits: tf.Tensor2D): tf.Scalar {
  if (!onWasmSimd(logits) || labels.dtype !== 'int32') {
    return tf.tidy(() => {
      const onehot = tf.cast(tf.oneHot(labels, logits.shape[1]), 'float32');
      return tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)))) as tf.Scalar;
    });
  }
  return tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    const [loss, probs] = tf.engine().runKernel(FUSED.softmaxCE, { logits: z, labels } as unknown as NamedTensorMap) as tf.Tensor[];
    save([probs, labels]);
    return {
      value: loss,
      gradFunc: (dy: tf.Tensor, [p, l]: tf.Tensor[]) => run(FUSED.softmaxCEGrad, { probs: p, labels: l, dy }),
    };
  }) as unknown as CustomFn)(logits) as tf.Scalar;
}
