import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainInverse } from '../../stages/train-inverse.js';
import type { Artifact } from '../../src/sdk/stage.js';
import { disposeAll, mnist, ready, runStage, same, smallClassifier } from './_ctx.js';

let data: Artifact;
let model: Artifact;
let kept: Artifact;

beforeAll(async () => {
  await ready();
  data = await mnist(300, 50);
  model = await smallClassifier(data);
  kept = {
    indices: tf.tensor1d(
      Int32Array.from({ length: 200 }, (_, i) => i + 50),
      'int32',
    ),
  };
});

const small = { steps: 30, batch: 100, logEvery: 10 };

describe('train-inverse', () => {
  it('trains w2inv [H2,H1] and w1inv [H1,784]; loss falls; no leaks', async () => {
    const before = tf.memory().numTensors;
    const res = await runStage(trainInverse, { ...small, learningRate: 0.05 }, { inputs: { data, kept, model } });
    const inv = res.outputs.inverse;
    expect(inv.w2inv.shape).toEqual([100, 100]);
    expect(inv.w1inv.shape).toEqual([100, 784]);
    const loss = res.metrics!.loss as number[];
    expect(loss.length).toBe(4);
    expect(res.metrics!.finalLoss).toBe(loss[3]);
    expect(loss[3]).toBeLessThan(loss[0] * 0.8);
    expect(tf.memory().numTensors).toBe(before + 2);
    disposeAll(inv);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is deterministic for a seed', async () => {
    const a = (await runStage(trainInverse, { ...small, steps: 5 }, { inputs: { data, kept, model }, seed: 3 })).outputs.inverse;
    const b = (await runStage(trainInverse, { ...small, steps: 5 }, { inputs: { data, kept, model }, seed: 3 })).outputs.inverse;
    expect(same(a.w1inv, b.w1inv) && same(a.w2inv, b.w2inv)).toBe(true);
    disposeAll(a, b);
  });

  it('draws batches only from the kept samples', async () => {
    // Poison every sample that is not kept: if one were drawn, the loss would be NaN.
    const x = data.trainX.arraySync() as number[][];
    for (let i = 0; i < x.length; i++) if (i < 50 || i >= 250) x[i] = x[i].map(() => NaN);
    const poisoned = { ...data, trainX: tf.tensor2d(x) };
    const res = await runStage(trainInverse, { ...small, steps: 10, logEvery: 1 }, { inputs: { data: poisoned, kept, model } });
    expect((res.metrics!.loss as number[]).every(Number.isFinite)).toBe(true);
    disposeAll(res.outputs.inverse);
    poisoned.trainX.dispose();
  });

  it('a NaN loss names the step and blames the learning rate, and leaks nothing', async () => {
    const bad = { ...model, b2: tf.fill([100], NaN) };
    const before = tf.memory().numTensors;
    await expect(runStage(trainInverse, small, { inputs: { data, kept, model: bad } })).rejects.toThrow(
      /loss became NaN at step 1 of 30; the learning rate \(0\.01\) may be too high/,
    );
    expect(tf.memory().numTensors).toBe(before);
    bad.b2.dispose();
  });

  it('a learning rate far too high diverges into the same clear error', async () => {
    await expect(runStage(trainInverse, { ...small, learningRate: 1e30 }, { inputs: { data, kept, model } })).rejects.toThrow(
      /loss became (NaN|Infinity) at step \d+ of 30; the learning rate \(1e\+30\) may be too high/,
    );
  });

  it('refuses an empty kept set with a hint', async () => {
    const none = { indices: tf.tensor1d(new Int32Array(0), 'int32') };
    await expect(runStage(trainInverse, small, { inputs: { data, kept: none, model } })).rejects.toThrow(/kept no samples/);
    none.indices.dispose();
  });
});
