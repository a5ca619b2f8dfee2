// Pieces the training stages share: seeded batches, seeded initial weights, an Adagrad loop that
// reads the loss back only when it is logged.
import * as tf from '@tensorflow/tfjs-core';
import { Adagrad } from './adagrad.js';
import type { Rng } from './rng.js';
import type { StageContext } from './stage.js';

/** Mini-batches as the seed draws them: shuffled epochs without replacement; an epoch's tail that
 * is shorter than a batch is dropped (as TF's next_batch and the PyTorch reference do). */
export class BatchSampler {
  private perm: Int32Array = new Int32Array(0);
  private pos = 0;
  readonly batch: number;
  constructor(
    private readonly n: number,
    batch: number,
    private readonly rng: Rng,
  ) {
    if (n < 1) throw new Error('cannot draw batches from an empty set of samples');
    this.batch = Math.min(batch, n);
  }
  next(): Int32Array {
    if (this.pos + this.batch > this.perm.length) {
      this.perm = this.rng.permutation(this.n);
      this.pos = 0;
    }
    const out = this.perm.subarray(this.pos, this.pos + this.batch);
    this.pos += this.batch;
    return out;
  }
}

/** A weight initialised as tf.truncated_normal(shape, stddev), seeded from the stage's rng. */
export function truncatedWeight(shape: [number, number], stddev: number, rng: Rng): tf.Variable<tf.Rank.R2> {
  return tf.tidy(() => tf.variable(tf.truncatedNormal(shape, 0, stddev, 'float32', rng.seed()) as tf.Tensor2D));
}

export interface AdagradOptions {
  steps: number;
  learningRate: number;
  initialAccumulator: number;
  logEvery: number;
}

/** A variable filled with one value (the seed's constant bias init). */
export function constantVariable(shape: number[], value: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value)));
}

/** Losses are read back at step 0, every logEvery steps, and at the last step. */
export function isLogStep(step: number, steps: number, logEvery: number): boolean {
  return step % logEvery === 0 || step === steps - 1;
}

/**
 * Run `steps` Adagrad steps on `vars`. `loss(step)` builds the scalar loss for one step (inside the
 * gradient tape); `prepare(step)` may build per-step tensors outside the tape and returns them so
 * they are disposed after the step. Returns the logged losses. A non-finite logged loss throws.
 * The progress callback is awaited: the runner uses it to yield to the event loop now and then.
 */
export async function adagradLoop(
  ctx: StageContext<unknown>,
  vars: tf.Variable[],
  opts: AdagradOptions,
  loss: (step: number) => tf.Scalar,
  prepare: (step: number) => tf.Tensor[] = () => [],
): Promise<number[]> {
  const optimizer = new Adagrad(vars, opts.learningRate, opts.initialAccumulator);
  const losses: number[] = [];
  try {
    for (let step = 0; step < opts.steps; step++) {
      const temps = prepare(step);
      const log = isLogStep(step, opts.steps, opts.logEvery);
      try {
        const cost = optimizer.minimize(() => loss(step), log);
        if (log && cost) {
          const value = cost.dataSync()[0];
          cost.dispose();
          if (!Number.isFinite(value)) {
            throw new Error(`loss became ${value} at step ${step + 1} of ${opts.steps}; ` + `the learning rate (${opts.learningRate}) may be too high`);
          }
          losses.push(value);
          await ctx.progress(step + 1, opts.steps, { loss: value });
        } else {
          await ctx.progress(step + 1, opts.steps);
        }
      } finally {
        tf.dispose(temps);
      }
    }
  } finally {
    optimizer.dispose();
  }
  return losses;
}

/** Detach the trained values from their variables: plain tensors for the artifact. */
export function release(vars: Record<string, tf.Variable>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(vars)) {
    out[k] = tf.clone(v);
    v.dispose();
  }
  return out;
}
