// Adagrad as tf.train.adagrad computes it (accumulator starts at `initial`; w -= lr * g /
// sqrt(acc + epsilon)), but one kernel per variable on the wasm backend instead of seven: in the
// seed's classifier step tfjs's optimizer ran 42 small kernels, each with its engine overhead.
// Other backends run the same formula as tf ops.
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensorMap } from '@tensorflow/tfjs-core';
import { ADAGRAD_KERNEL } from '../backend/adagrad-kernel.js';
import { onWasmSimd } from '../backend/wasm-simd.js';

/** New (weights, accumulator) after one Adagrad step with gradient `g`. */
function update(w: tf.Tensor, acc: tf.Tensor, g: tf.Tensor, lr: number): [tf.Tensor, tf.Tensor] {
  const eps = tf.backend().epsilon();
  if (onWasmSimd(w, acc, g)) {
    return tf.engine().runKernel(ADAGRAD_KERNEL, { w, acc, g } as unknown as NamedTensorMap, { lr, eps }) as unknown as [tf.Tensor, tf.Tensor];
  }
  return tf.tidy(() => {
    const a = tf.add(acc, tf.square(g));
    return [tf.sub(w, tf.mul(lr, tf.div(g, tf.sqrt(tf.add(a, eps))))), a];
  });
}

/**
 * Adagrad over a fixed list of variables, numerically as tf.train.adagrad: per element,
 * `acc += g^2; w -= learningRate * g / sqrt(acc + epsilon)` (epsilon: the backend's). On the wasm
 * backend each variable's update is one kernel. Deterministic: it draws no random numbers.
 * Call `dispose` when done (it frees the accumulators, not the variables).
 */
export class Adagrad {
  private readonly accumulators: tf.Variable[];

  /**
   * @param vars the variables to train (updated in place by `minimize`)
   * @param learningRate step size (> 0)
   * @param initial starting value of every squared-gradient accumulator (> 0)
   */
  constructor(
    private readonly vars: tf.Variable[],
    private readonly learningRate: number,
    initial: number,
  ) {
    this.accumulators = vars.map((v) => tf.tidy(() => tf.variable(tf.fill(v.shape, initial), false)));
  }

  /** One step that minimises `loss`; returns the loss when `returnCost` (the caller disposes it). */
  minimize(loss: () => tf.Scalar, returnCost: boolean): tf.Scalar | null {
    const { value, grads } = tf.variableGrads(loss, this.vars);
    try {
      tf.tidy(() => {
        this.vars.forEach((v, i) => {
          const g = grads[v.name];
          if (g == null) return; // a variable the loss does not use, as tf.train.adagrad skips it
          const [w, a] = update(v, this.accumulators[i], g, this.learningRate);
          v.assign(w as tf.Tensor);
          this.accumulators[i].assign(a);
        });
      });
    } finally {
      tf.dispose(grads);
    }
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  /** Free the accumulators. */
  dispose(): void {
    tf.dispose(this.accumulators);
  }
}
