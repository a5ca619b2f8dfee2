// logSteps names the steps whose loss adagradLoop reads back: the x values of a loss curve.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { Rng } from '../../src/sdk/rng.js';
import { adagradLoop, logSteps } from '../../src/sdk/training.js';

beforeAll(() => initBackend('wasm'));

/** The 1-based steps at which adagradLoop reported a loss, and the losses it returned. */
async function logged(steps: number, logEvery: number): Promise<{ at: number[]; losses: number[] }> {
  const w = tf.variable(tf.scalar(3));
  const at: number[] = [];
  const ctx = {
    params: {},
    inputs: {},
    rng: new Rng(1),
    files: {},
    progress: (s: number, _n: number, info?: { loss?: number }) => void (info?.loss !== undefined && at.push(s)),
  };
  try {
    const losses = await adagradLoop(ctx, [w], { steps, learningRate: 0.1, initialAccumulator: 0.1, logEvery }, () => tf.square(w) as tf.Scalar);
    return { at, losses };
  } finally {
    w.dispose();
  }
}

describe('logSteps', () => {
  it('gives the steps adagradLoop logs at, one per returned loss', async () => {
    expect(logSteps(25, 10)).toEqual([1, 11, 21, 25]);
    for (const [steps, every] of [
      [25, 10],
      [20, 10],
      [1, 100],
      [7, 1],
      [30, 7],
    ]) {
      const { at, losses } = await logged(steps, every);
      expect(logSteps(steps, every), `${steps} steps, logEvery ${every}`).toEqual(at);
      expect(losses).toHaveLength(at.length);
    }
  });

  it('logs the last step once even when it is a multiple', () => {
    expect(logSteps(21, 10)).toEqual([1, 11, 21]);
    expect(logSteps(1, 1)).toEqual([1]);
  });
});
