import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainClassifier } from '../../stages/train-classifier.js';
import type { Artifact } from '../../src/sdk/stage.js';
import { disposeAll, mnist, ready, runStage, same } from './_ctx.js';

let data: Artifact;
beforeAll(async () => {
  await ready();
  data = await mnist(300, 100);
});

const small = { steps: 40, batch: 100, logEvery: 10 };

describe('train-classifier', () => {
  it('trains: loss falls, weights have the right shapes, accuracy beats chance', async () => {
    const calls: [number, number, number | undefined][] = [];
    const res = await runStage(
      trainClassifier,
      { ...small, hidden: [30, 20], learningRate: 0.1 },
      {
        inputs: { data },
        progress: (s, n, info) => {
          calls.push([s, n, info?.loss]);
        },
      },
    );
    const m = res.outputs.model;
    expect(m.w1.shape).toEqual([784, 30]);
    expect(m.b1.shape).toEqual([30]);
    expect(m.w2.shape).toEqual([30, 20]);
    expect(m.b2.shape).toEqual([20]);
    expect(m.w.shape).toEqual([20, 10]);
    expect(m.b.shape).toEqual([10]);
    const loss = res.metrics!.loss as number[];
    expect(loss.length).toBe(5); // steps 0, 10, 20, 30 and the last (39)
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] * 0.6);
    expect(res.metrics!.accuracy).toBeGreaterThan(0.3);
    // Progress every step; the loss only on the logged ones.
    expect(calls.map((c) => c[0])).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(calls.filter((c) => c[2] !== undefined).map((c) => c[2])).toEqual(loss);
    disposeAll(m);
  });

  it('is deterministic: same seed, bitwise identical weights; another seed differs', async () => {
    const a = (await runStage(trainClassifier, small, { inputs: { data }, seed: 7 })).outputs.model;
    const b = (await runStage(trainClassifier, small, { inputs: { data }, seed: 7 })).outputs.model;
    const c = (await runStage(trainClassifier, small, { inputs: { data }, seed: 8 })).outputs.model;
    for (const k of Object.keys(a)) expect(same(a[k], b[k]), k).toBe(true);
    expect(same(a.w1, c.w1)).toBe(false);
    disposeAll(a, b, c);
  });

  it('initialises as the seed: truncated normal weights within 2 stddev, constant biases', async () => {
    const res = await runStage(trainClassifier, { steps: 1, learningRate: 1e-9, stddev: 0.05, bias: 0.3 }, { inputs: { data } });
    const w1 = Array.from(res.outputs.model.w1.dataSync());
    expect(w1.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeLessThanOrEqual(0.1 + 1e-6);
    const b1 = Array.from(res.outputs.model.b1.dataSync());
    for (const v of b1) expect(v).toBeCloseTo(0.3, 5);
    disposeAll(res.outputs.model);
  });

  it('leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const res = await runStage(trainClassifier, { steps: 5, batch: 50, logEvery: 2 }, { inputs: { data } });
    expect(tf.memory().numTensors).toBe(before + 6);
    disposeAll(res.outputs.model);
    expect(tf.memory().numTensors).toBe(before);
  });
});
