// reconstruct, generate and features: the stages that turn a trained inverse into pictures.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { features } from '../../stages/features.js';
import { roundLikeNumpy } from '../../stages/compute/features.js';
import { generate } from '../../stages/generate.js';
import { reconstruct } from '../../stages/reconstruct.js';
import { trainInverse } from '../../stages/train-inverse.js';
import type { Artifact } from '../../src/sdk/stage.js';
import { disposeAll, mnist, ready, runStage, same, smallClassifier } from './_ctx.js';

let data: Artifact;
let model: Artifact;
let inverse: Artifact;

beforeAll(async () => {
  await ready();
  data = await mnist(300, 40);
  model = await smallClassifier(data, 100);
  const kept = {
    indices: tf.tensor1d(
      Int32Array.from({ length: 300 }, (_, i) => i),
      'int32',
    ),
  };
  inverse = (await runStage(trainInverse, { steps: 20, batch: 100, learningRate: 0.05 }, { inputs: { data, kept, model } })).outputs.inverse;
  kept.indices.dispose();
});

/** Side of the grid and the picture width for `n` 28x28 cells per row at scale 2, 1-pixel gaps. */
const gridWidth = (cols: number) => 2 * (cols * 28 + (cols - 1));

describe('reconstruct', () => {
  it('projects the first test samples back, with metrics and a side-by-side picture', async () => {
    const before = tf.memory().numTensors;
    const res = await runStage(reconstruct, { count: 36 }, { inputs: { data, model, inverse } });
    const { originals, reconstructions } = res.outputs.images;
    expect(originals.shape).toEqual([36, 784]);
    expect(reconstructions.shape).toEqual([36, 784]);
    expect(same(originals, tf.slice(data.testX, [0, 0], [36, 784]))).toBe(true);
    const l1 = tf.tidy(() => tf.mean(tf.abs(tf.sub(reconstructions, originals))).dataSync()[0]);
    expect(res.metrics!.l1PerPixel).toBeCloseTo(l1, 5);
    for (const k of ['matchesTrueLabel', 'matchesPrediction']) {
      expect(Number.isInteger(res.metrics![k])).toBe(true);
      expect(res.metrics![k]).toBeGreaterThanOrEqual(0);
      expect(res.metrics![k]).toBeLessThanOrEqual(36);
    }
    const pic = res.pictures!.reconstruct;
    expect(pic.height).toBe(gridWidth(6));
    expect(pic.width).toBe(2 * gridWidth(6) + 8);
    expect(pic.pixels.length).toBe(pic.width * pic.height);
    disposeAll(res.outputs.images);
    expect(tf.memory().numTensors).toBe(before + 1); // the tf.slice made in this test
  });

  it('uses a 4x4 grid for 16 samples and refuses more samples than were loaded', async () => {
    const res = await runStage(reconstruct, { count: 16 }, { inputs: { data, model, inverse } });
    expect(res.pictures!.reconstruct.height).toBe(gridWidth(4));
    disposeAll(res.outputs.images);
    await expect(runStage(reconstruct, { count: 41 }, { inputs: { data, model, inverse } })).rejects.toThrow(/count 41 exceeds the 40 test samples/);
  });
});

describe('generate', () => {
  it('makes the classifier confident of each requested class, one row of pictures', async () => {
    const before = tf.memory().numTensors;
    let calls = 0;
    const res = await runStage(
      generate,
      { classes: [3, 7, 7], steps: 200, learningRate: 10 },
      {
        inputs: { model, inverse },
        progress: () => {
          calls++;
        },
      },
    );
    expect(calls).toBe(200);
    expect(res.outputs.images.images.shape).toEqual([3, 784]);
    expect(res.outputs.images.hidden.shape).toEqual([3, 100]);
    const conf = res.metrics!.confidence as number[];
    expect(conf.length).toBe(3);
    expect(res.metrics!.minConfidence).toBe(Math.min(...conf));
    // Independent check: the probability of the requested class from the returned hidden codes.
    const p = tf.tidy(() => tf.softmax(tf.add(tf.matMul(tf.sigmoid(res.outputs.images.hidden), model.w), model.b)).arraySync() as number[][]);
    expect(conf[0]).toBeCloseTo(p[0][3], 5);
    expect(conf[1]).toBeCloseTo(p[1][7], 5);
    expect(Math.min(...conf)).toBeGreaterThan(0.9);
    const pic = res.pictures!.generate;
    expect([pic.width, pic.height]).toEqual([gridWidth(3), 56]);
    disposeAll(res.outputs.images);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("starts from zeros: no steps gives the classifier's output for sigmoid(0)", async () => {
    const res = await runStage(generate, { classes: [1], steps: 0 }, { inputs: { model, inverse } });
    expect(Array.from(res.outputs.images.hidden.dataSync()).every((v) => v === 0)).toBe(true);
    expect(res.metrics!.minConfidence).toBeLessThan(0.9);
    disposeAll(res.outputs.images);
  });
});

describe('features', () => {
  it('inverse-projects each of the 100 hidden units, rounded to 0.1, in a 10x10 grid', async () => {
    const before = tf.memory().numTensors;
    const res = await runStage(features, {}, { inputs: { model, inverse } });
    const images = res.outputs.images.images;
    expect(images.shape).toEqual([100, 784]);
    expect(res.metrics).toEqual({ count: 100 });
    for (const v of images.dataSync()) expect(Math.abs(v * 10 - Math.round(v * 10))).toBeLessThan(1e-3);
    const pic = res.pictures!.features;
    expect([pic.width, pic.height]).toEqual([gridWidth(10), gridWidth(10)]);
    disposeAll(res.outputs.images);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('round 0 leaves the raw projection', async () => {
    const res = await runStage(features, { round: 0 }, { inputs: { model, inverse } });
    const v = res.outputs.images.images.dataSync();
    expect(v.some((x) => Math.abs(x * 10 - Math.round(x * 10)) > 1e-2)).toBe(true);
    disposeAll(res.outputs.images);
  });

  it('rounds as numpy does: half to even, in float32', () => {
    const r = roundLikeNumpy(Float32Array.from([0.25, 0.35, -0.25, 1.04, -1.06, 0.15]), 0.1);
    expect(Array.from(r)).toEqual([0.2, 0.4, -0.2, 1.0, -1.1, 0.2].map(Math.fround));
  });
});
