// Pieces the training stages share: seeded batches, seeded initial weights, an Adagrad loop that
// reads the loss back only when it is logged.
import * as tf from '@tensorflow/tfjs-core';
import { Adagrad } from './adagrad.js';
import type { Rng } from './rng.js';
import type { StageContext } from './stage.js';

/** Mini-batches as the seed draws them: shuffled epochs without replacement; an epoch's tail that
 * is shorter than a batch is dropped (as TF's next_batch and the PyTorch reference do).
 *
 * Each epoch draws one `rng.permutation(n)`, so the batches depend only on the rng's state: create
 * the sampler after the weights are drawn (the built-in stages' order) and the same seed gives the
 * same batches. */
export class BatchSampler {
  private perm: Int32Array = new Int32Array(0);
  private pos = 0;
  /** Samples per batch: the requested size, at most `n`. */
  readonly batch: number;
  /**
   * @param n number of samples to draw from (row indices 0..n-1); at least 1
   * @param batch samples per batch (capped at `n`)
   * @param rng the stage's rng (`ctx.rng`), advanced by one permutation per epoch
   */
  constructor(
    private readonly n: number,
    batch: number,
    private readonly rng: Rng,
  ) {
    if (n < 1) throw new Error('cannot draw batches from an empty set of samples');
    this.batch = Math.min(batch, n);
  }
  /** The row indices of the next batch (`batch` of them, no repeats within an epoch). The array is
   * a view into the sampler's buffer: use it (e.g. `tf.tensor1d(idx, 'int32')`) before the next call. */
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

/** A trainable weight [rows, cols] drawn as tf.truncated_normal(shape, mean 0, stddev), float32;
 * the op's seed is `rng.seed()`, so it takes one draw from the stage's rng (draw weights in a fixed
 * order). The caller disposes the variable (or hands it to `release`). */
export function truncatedWeight(shape: [number, number], stddev: number, rng: Rng): tf.Variable<tf.Rank.R2> {
  return tf.tidy(() => tf.variable(tf.truncatedNormal(shape, 0, stddev, 'float32', rng.seed()) as tf.Tensor2D));
}

/** How `adagradLoop` trains (the built-in training stages' params have these names). */
export interface AdagradOptions {
  /** Optimizer steps (one mini-batch each). */
  steps: number;
  /** Adagrad learning rate (> 0). */
  learningRate: number;
  /** Initial value of Adagrad's squared-gradient accumulator (> 0), as tf.train.adagrad's. */
  initialAccumulator: number;
  /** Read the loss back every this many steps (see `isLogStep`); reading it costs a sync. */
  logEvery: number;
}

/** A trainable float32 variable of `shape`, every element `value` (the seed's constant bias
 * init). Draws nothing from the rng. The caller disposes it (or hands it to `release`). */
export function constantVariable(shape: number[], value: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value)));
}

/** Whether `step` (0-based, of `steps`) is one whose loss is read back: step 0, every
 * `logEvery`-th step, and the last step. */
export function isLogStep(step: number, steps: number, logEvery: number): boolean {
  return step % logEvery === 0 || step === steps - 1;
}

/** The 1-based step numbers of the log steps (`isLogStep`) of `steps` steps, in order: the x
 * values of the losses `adagradLoop` returns (`logSteps(25, 10)` is [1, 11, 21, 25]), so a stage
 * can record them beside its `loss` and a plot puts each loss at the step it was read. */
export function logSteps(steps: number, logEvery: number): number[] {
  const out: number[] = [];
  for (let step = 0; step < steps; step++) if (isLogStep(step, steps, logEvery)) out.push(step + 1);
  return out;
}

/**
 * Run `opts.steps` Adagrad steps on `vars`, minimising `loss` (see `Adagrad`). `loss(step)` builds the scalar loss for one step (inside the
 * gradient tape); `prepare(step)` may build per-step tensors outside the tape and returns them so
 * they are disposed after the step. Returns the logged losses. A non-finite logged loss throws.
 * The progress callback is awaited: the runner uses it to yield to the event loop now and then.
 * Draws nothing from the rng itself (sample batches with a `BatchSampler` in `prepare` or `loss`).
 *
 * @param ctx the stage's context: its `progress` is called after every step (with the loss on log steps)
 * @param vars the trainable variables, updated in place; the optimizer's state is disposed at the end
 * @returns the losses read back, one per log step (`isLogStep`), in order
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

/** Detach the trained values from their variables: a plain-tensor copy of each (same names), for
 * the artifact; the variables themselves are disposed. */
export function release(vars: Record<string, tf.Variable>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(vars)) {
    out[k] = tf.clone(v);
    v.dispose();
  }
  return out;
}
