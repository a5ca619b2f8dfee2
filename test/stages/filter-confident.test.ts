import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { filterConfident } from '../../stages/filter-confident.js';
import type { Artifact } from '../../src/sdk/stage.js';
import { disposeAll, mnist, ready, runStage, smallClassifier } from './_ctx.js';

let data: Artifact;
let model: Artifact;
// Top probability and predicted class per training sample, computed here independently of the
// stage (plain JS softmax over a tfjs forward pass written out longhand).
let top: number[];
let pred: number[];

beforeAll(async () => {
  await ready();
  data = await mnist(300, 50);
  model = await smallClassifier(data);
  const logits = tf.tidy(() => {
    const l1 = tf.sigmoid(tf.add(tf.matMul(data.trainX, model.w1), model.b1));
    const l2 = tf.sigmoid(tf.add(tf.matMul(l1, model.w2), model.b2));
    return tf.add(tf.matMul(l2, model.w), model.b);
  });
  const z = logits.arraySync() as number[][];
  logits.dispose();
  top = [];
  pred = [];
  for (const row of z) {
    const mx = Math.max(...row);
    const e = row.map((v) => Math.exp(v - mx));
    const s = e.reduce((a, b) => a + b, 0);
    const p = e.map((v) => v / s);
    top.push(Math.max(...p));
    pred.push(p.indexOf(Math.max(...p)));
  }
});

const indices = (r: Awaited<ReturnType<typeof runStage>>) => Array.from(r.outputs.kept.indices.dataSync());

describe('filter-confident', () => {
  it('keeps exactly the samples whose top probability exceeds the threshold, ascending', async () => {
    // A threshold between the sample probabilities so float rounding cannot decide membership.
    const sorted = [...top].sort((a, b) => a - b);
    const threshold = (sorted[150] + sorted[151]) / 2;
    const before = tf.memory().numTensors;
    const res = await runStage(filterConfident, { threshold }, { inputs: { data, model } });
    const kept = indices(res);
    const expected = top.flatMap((p, i) => (p > threshold ? [i] : []));
    expect(expected.length).toBeGreaterThan(100);
    expect(expected.length).toBeLessThan(200);
    expect(kept).toEqual(expected);
    expect(res.outputs.kept.indices.dtype).toBe('int32');
    expect(res.metrics).toEqual({ kept: expected.length, keptFraction: expected.length / 300 });
    disposeAll(res.outputs.kept);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with requireCorrect keeps only the confident samples it also labels right', async () => {
    const sorted = [...top].sort((a, b) => a - b);
    const threshold = (sorted[100] + sorted[101]) / 2;
    const labels = Array.from(data.trainY.dataSync());
    const all = indices(await runStage(filterConfident, { threshold }, { inputs: { data, model } }));
    const right = indices(await runStage(filterConfident, { threshold, requireCorrect: true }, { inputs: { data, model } }));
    const expected = all.filter((i) => pred[i] === labels[i]);
    expect(right).toEqual(expected);
    expect(right.length).toBeLessThan(all.length); // a 60-step classifier is not perfect
  });
});
