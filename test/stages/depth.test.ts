// Classifiers of any depth: 1 and 3 hidden layers through every stage on smoke-sized data, the
// inverse path for N layers against a hand-written one, the checks that refuse an inverse trained
// for another depth, and `hidden` through the config loader and the CLI.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigErrors, loadConfig } from '../../src/config/index.js';
import type { Artifact, StageDef, StageResult } from '../../src/sdk/stage.js';
import { features } from '../../stages/features.js';
import { filterConfident } from '../../stages/filter-confident.js';
import { generate } from '../../stages/generate.js';
import { reconstruct } from '../../stages/reconstruct.js';
import {
  asClassifier,
  asInverse,
  classifierNames,
  expectInverseOf,
  hiddenPre,
  inverseNames,
  invert,
  invertTrace,
  MAX_HIDDEN_LAYERS,
} from '../../stages/shared/mlp.js';
import { trainClassifier } from '../../stages/train-classifier.js';
import { trainInverse } from '../../stages/train-inverse.js';
import { registry } from '../helpers/builtin.js';
import { disposeAll, mnist, ready, runStage } from './_ctx.js';

const root = path.join(import.meta.dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(tmpdir(), 'depth-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let data: Artifact;
beforeAll(async () => {
  await ready();
  data = await mnist(600, 200); // the smoke experiment's sizes
});

/** Side of a picture grid of `cols` 28x28 cells at scale 2 with 1-pixel gaps. */
const gridWidth = (cols: number) => 2 * (cols * 28 + (cols - 1));
const outputCount = (res: StageResult) => Object.values(res.outputs).reduce((n, a) => n + Object.keys(a).length, 0);
const shapes = (a: Artifact) => Object.fromEntries(Object.entries(a).map(([k, t]) => [k, t.shape]));

/** Run a stage and check it leaves exactly its outputs alive. */
async function run<P>(stage: StageDef<P>, params: Partial<P>, inputs: Record<string, Artifact>): Promise<StageResult> {
  const before = tf.memory().numTensors;
  const res = await runStage(stage, params, { inputs });
  expect(tf.memory().numTensors - before, `${stage.type}: live tensors beyond its outputs`).toBe(outputCount(res));
  return res;
}

/** The classifier's expected tensor shapes for `hidden`, on 784 pixels and 10 classes. */
function classifierShapes(hidden: number[]): Record<string, number[]> {
  const sizes = [784, ...hidden];
  const out: Record<string, number[]> = {};
  hidden.forEach((h, i) => {
    out[`w${i + 1}`] = [sizes[i], h];
    out[`b${i + 1}`] = [h];
  });
  return { ...out, w: [hidden[hidden.length - 1], 10], b: [10] };
}

/** wkinv [Hk, H(k-1)], H0 = 784. */
function inverseShapes(hidden: number[]): Record<string, number[]> {
  const sizes = [784, ...hidden];
  return Object.fromEntries(hidden.map((h, i) => [`w${i + 1}inv`, [h, sizes[i]]]));
}

/** The seed's inverse path written out for any depth, with plain tf ops (no fused kernel):
 * (zN - bN) @ wNinv, then (logit(squash(l)) - bk) @ wkinv down to the pixels. */
function handInvert(model: Artifact, inverse: Artifact, zN: tf.Tensor2D, depth: number): tf.Tensor2D {
  return tf.tidy(() => {
    const squash = (p: tf.Tensor2D) => {
      const p0 = tf.sub(p, tf.min(p, 1, true));
      return tf.add(tf.mul(tf.sub(tf.div(p0, tf.max(p0, 1, true)), 0.5), 0.99), 0.5);
    };
    const logit = (p: tf.Tensor) => tf.log(tf.div(p, tf.sub(1, p)));
    let l: tf.Tensor2D = tf.matMul(tf.sub(zN, model[`b${depth}`]) as tf.Tensor2D, inverse[`w${depth}inv`] as tf.Tensor2D);
    for (let k = depth - 1; k >= 1; k--) l = tf.matMul(tf.sub(logit(squash(l)), model[`b${k}`]) as tf.Tensor2D, inverse[`w${k}inv`] as tf.Tensor2D);
    return l;
  });
}

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe.each([
  { name: '1 hidden layer', hidden: [25], cols: 5 },
  { name: '3 hidden layers', hidden: [64, 32, 16], cols: 4 },
])('a classifier with $name, end to end', ({ hidden, cols }) => {
  it('trains and runs filter-confident, train-inverse, reconstruct, generate and features: shapes, pictures, no leaks', async () => {
    const start = tf.memory().numTensors;
    const made: Artifact[] = [];
    try {
      // Three sigmoid layers with the seed's init learn slowly (vanishing gradients): more steps.
      const c = await run(trainClassifier, { hidden, steps: hidden.length > 2 ? 200 : 60, batch: 100, logEvery: 20, learningRate: 0.1 }, { data });
      const model = c.outputs.model;
      made.push(model);
      expect(Object.keys(model)).toEqual(classifierNames(hidden.length));
      expect(shapes(model)).toEqual(classifierShapes(hidden));
      expect(c.metrics!.accuracy).toBeGreaterThan(0.2); // chance is 0.1
      const loss = c.metrics!.loss as number[];
      expect(loss[loss.length - 1]).toBeLessThan(loss[0]);

      const k = await run(filterConfident, { threshold: 0.5 }, { data, model });
      made.push(k.outputs.kept);
      const kept = k.outputs.kept;
      expect(kept.indices.shape.length).toBe(1);
      expect(kept.indices.shape[0]).toBeGreaterThan(50);

      const i = await run(trainInverse, { steps: 30, batch: 100, logEvery: 10 }, { data, kept, model });
      const inverse = i.outputs.inverse;
      made.push(inverse);
      expect(Object.keys(inverse)).toEqual(inverseNames(hidden.length));
      expect(shapes(inverse)).toEqual(inverseShapes(hidden));
      const iloss = i.metrics!.loss as number[];
      expect(iloss.every(Number.isFinite)).toBe(true);
      expect(iloss[iloss.length - 1]).toBeLessThan(iloss[0]);

      const r = await run(reconstruct, { count: 16 }, { data, model, inverse });
      made.push(r.outputs.images);
      expect(shapes(r.outputs.images)).toEqual({ originals: [16, 784], reconstructions: [16, 784] });
      expect(Number.isFinite(r.metrics!.l1PerPixel)).toBe(true);
      expect(r.pictures!.reconstruct.height).toBe(gridWidth(4));
      expect(r.pictures!.reconstruct.width).toBe(2 * gridWidth(4) + 8);
      // The stage's projection is the seed's path written out by hand for this depth.
      const byHand = tf.tidy(() => {
        const m = asClassifier(model);
        return handInvert(model, inverse, hiddenPre(m, r.outputs.images.originals as tf.Tensor2D), hidden.length);
      });
      expect(maxAbsDiff(byHand, r.outputs.images.reconstructions)).toBeLessThan(1e-3);
      byHand.dispose();

      const g = await run(generate, { steps: 50 }, { model, inverse });
      made.push(g.outputs.images);
      const last = hidden[hidden.length - 1];
      expect(shapes(g.outputs.images)).toEqual({ images: [9, 784], hidden: [9, last] });
      expect((g.metrics!.confidence as number[]).every((v) => v > 0 && v <= 1)).toBe(true);
      expect([g.pictures!.generate.width, g.pictures!.generate.height]).toEqual([gridWidth(9), 56]);

      const f = await run(features, {}, { model, inverse });
      made.push(f.outputs.images);
      expect(shapes(f.outputs.images)).toEqual({ images: [last, 784] });
      expect(f.metrics).toEqual({ count: last });
      expect([f.pictures!.features.width, f.pictures!.features.height]).toEqual([gridWidth(cols), gridWidth(cols)]);
      for (const pic of [r.pictures!.reconstruct, g.pictures!.generate, f.pictures!.features]) {
        expect(pic.pixels.length).toBe(pic.width * pic.height);
        expect(new Set(pic.pixels).size).toBeGreaterThan(2); // not blank
      }
    } finally {
      disposeAll(...made);
    }
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('the inverse path and its loss for N layers', () => {
  it('train-inverse minimises the L1 distance plus the excess of every squashed projection (3 layers)', async () => {
    const model = (await runStage(trainClassifier, { hidden: [12, 10, 8], steps: 5, batch: 100 }, { inputs: { data } })).outputs.model;
    const n = 100;
    const kept = {
      indices: tf.tensor1d(
        Int32Array.from({ length: n }, (_, i) => i),
        'int32',
      ),
    };
    // One step of a negligible learning rate on one batch of all kept samples: the logged loss is
    // the loss at the initial weights, which are (to ~1e-9) the returned ones.
    const res = await runStage(trainInverse, { steps: 1, batch: n, learningRate: 1e-9 }, { inputs: { data, kept, model } });
    const inverse = res.outputs.inverse;
    const expected = tf.tidy(() => {
      const m = asClassifier(model);
      const x = tf.slice(data.trainX, [0, 0], [n, 784]) as tf.Tensor2D;
      const { pixels, squashed } = invertTrace(m, asInverse(inverse), hiddenPre(m, x));
      expect(squashed.map((t) => t.shape)).toEqual([
        [n, 10], // l2_inv, from w3inv
        [n, 12], // l1_inv, from w2inv
      ]);
      let loss = tf.sum(tf.abs(tf.sub(x, pixels)));
      for (const l of squashed) {
        loss = tf.add(loss, tf.add(tf.mul(0.5, tf.square(tf.min(l))), tf.mul(0.5, tf.square(tf.max(tf.sub(l, 1))))));
      }
      return loss.dataSync()[0];
    });
    const logged = (res.metrics!.loss as number[])[0];
    expect(Math.abs(logged - expected) / expected).toBeLessThan(1e-4);
    disposeAll(model, inverse, kept);
  });

  it('with one hidden layer the inverse is (z1 - b1) @ w1inv: nothing squashed', () => {
    const a = {
      w1: tf.randomNormal([784, 5], 0, 0.1, 'float32', 1),
      b1: tf.fill([5], 0.1),
      w: tf.randomNormal([5, 10], 0, 0.1, 'float32', 2),
      b: tf.zeros([10]),
    };
    const inv = { w1inv: tf.randomNormal([5, 784], 0, 0.1, 'float32', 3) };
    const before = tf.memory().numTensors;
    const z = tf.randomNormal([3, 5], 0, 1, 'float32', 4) as tf.Tensor2D;
    const m = asClassifier(a);
    const trace = invertTrace(m, asInverse(inv), z);
    expect(trace.squashed).toEqual([]);
    const direct = tf.tidy(() => tf.matMul(tf.sub(z, a.b1) as tf.Tensor2D, inv.w1inv as tf.Tensor2D));
    expect(maxAbsDiff(trace.pixels, direct)).toBe(0);
    const viaInvert = invert(m, asInverse(inv), z);
    expect(maxAbsDiff(viaInvert, direct)).toBe(0);
    tf.dispose([trace.pixels, direct, viaInvert, z]);
    expect(tf.memory().numTensors).toBe(before);
    disposeAll(a, inv);
  });

  it('names the tensors as the seed for two layers and extends them for more', () => {
    expect(classifierNames(2)).toEqual(['w1', 'b1', 'w2', 'b2', 'w', 'b']);
    expect(inverseNames(2)).toEqual(['w2inv', 'w1inv']);
    expect(classifierNames(1)).toEqual(['w1', 'b1', 'w', 'b']);
    expect(inverseNames(1)).toEqual(['w1inv']);
    expect(classifierNames(3)).toEqual(['w1', 'b1', 'w2', 'b2', 'w3', 'b3', 'w', 'b']);
    expect(inverseNames(3)).toEqual(['w3inv', 'w2inv', 'w1inv']);
    expect(MAX_HIDDEN_LAYERS).toBe(16);
  });
});

describe('artifacts of the wrong depth or shape are refused with a clear error', () => {
  let deep: Artifact;
  let shallow: Artifact;
  let shallowInverse: Artifact;
  let deepInverse: Artifact;
  beforeAll(async () => {
    deep = (await runStage(trainClassifier, { hidden: [64, 32, 16], steps: 3, batch: 100 }, { inputs: { data } })).outputs.model;
    shallow = (await runStage(trainClassifier, { steps: 3, batch: 100 }, { inputs: { data } })).outputs.model;
    const kept = {
      indices: tf.tensor1d(
        Int32Array.from({ length: 200 }, (_, i) => i),
        'int32',
      ),
    };
    shallowInverse = (await runStage(trainInverse, { steps: 2, batch: 100 }, { inputs: { data, kept, model: shallow } })).outputs.inverse;
    deepInverse = (await runStage(trainInverse, { steps: 2, batch: 100 }, { inputs: { data, kept, model: deep } })).outputs.inverse;
    disposeAll(kept);
  });
  afterAll(() => disposeAll(deep, shallow, shallowInverse, deepInverse));

  it('an inverse trained for a 2-layer classifier, given to a 3-layer one (reconstruct, generate, features)', async () => {
    const before = tf.memory().numTensors;
    const expected = (stage: string) =>
      new RegExp(
        `^${stage}: the inverse was trained for a classifier with 2 hidden layers \\[100, 100\\] but input "model" has 3 hidden layers \\[64, 32, 16\\]; wire the classifier the inverse was trained on$`,
      );
    await expect(runStage(reconstruct, { count: 16 }, { inputs: { data, model: deep, inverse: shallowInverse } })).rejects.toThrow(expected('reconstruct'));
    await expect(runStage(generate, { steps: 5 }, { inputs: { model: deep, inverse: shallowInverse } })).rejects.toThrow(expected('generate'));
    await expect(runStage(features, {}, { inputs: { model: deep, inverse: shallowInverse } })).rejects.toThrow(expected('features'));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the other way round, and the same depth with other sizes', async () => {
    await expect(runStage(reconstruct, { count: 4 }, { inputs: { data, model: shallow, inverse: deepInverse } })).rejects.toThrow(
      /^reconstruct: the inverse was trained for a classifier with 3 hidden layers \[64, 32, 16\] but input "model" has 2 hidden layers \[100, 100\]/,
    );
    const other = (await runStage(trainClassifier, { hidden: [64, 32, 8], steps: 1, batch: 100 }, { inputs: { data } })).outputs.model;
    await expect(runStage(features, {}, { inputs: { model: other, inverse: deepInverse } })).rejects.toThrow(
      /^features: the inverse was trained for a classifier with hidden layers \[64, 32, 16\] but input "model" has \[64, 32, 8\]/,
    );
    disposeAll(other);
  });

  it('expectInverseOf also checks the pixels the inverse projects to', () => {
    const m = asClassifier(deep);
    const inv = asInverse({ ...deepInverse, w1inv: tf.zeros([64, 100]) });
    expect(() => expectInverseOf('x', m, inv)).toThrow(/^x: the inverse projects to 100 pixels but input "model" takes 784/);
    inv.back[0].dispose();
  });

  it('a classifier artifact with a gap, a missing bias or shapes that do not chain', () => {
    const { w2: _w2, b2: _b2, ...gap } = deep;
    expect(() => asClassifier(gap, 'reconstruct')).toThrow(
      /^reconstruct: input "model" \(a classifier artifact\) has tensor "w3" but its layers stop at 1: layer tensors are numbered from 1 without gaps$/,
    );
    const { b3: _b3, ...noBias } = deep;
    expect(() => asClassifier(noBias)).toThrow(/^classifier artifact is missing tensor "b3"$/);
    const { w: _w, ...noOutput } = deep;
    expect(() => asClassifier(noOutput)).toThrow(/^classifier artifact is missing tensor "w"$/);
    expect(() => asClassifier({ b: deep.b })).toThrow(/^classifier artifact is missing tensor "w1"$/);
    expect(() => asClassifier({ ...deep, w3: deep.w2 })).toThrow(/w3 is \[64, 32\] but layer 2 has 32 units/);
    expect(() => asClassifier({ ...deep, b2: deep.b3 })).toThrow(/b2 has 16 values but w2 is \[64, 32\]/);
    expect(() => asClassifier({ ...deep, w: shallow.w })).toThrow(/w is \[100, 10\] but the last hidden layer \(3\) has 16 units/);
    expect(() => asClassifier({ ...deep, b1: deep.w1 })).toThrow(/tensor "b1" has shape \[784, 64\]; it must have 1 dimension$/);
  });

  it('an inverse artifact with a gap or matrices that do not chain', () => {
    const { w2inv: _, ...gap } = deepInverse;
    expect(() => asInverse(gap, 'generate')).toThrow(/^generate: input "inverse" \(an inverse artifact\) has tensor "w3inv" but its layers stop at 1/);
    expect(() => asInverse({})).toThrow(/^inverse artifact is missing tensor "w1inv"$/);
    expect(() => asInverse({ ...deepInverse, w2inv: shallowInverse.w2inv })).toThrow(/w2inv is \[100, 100\] but w1inv is \[64, 784\]: they do not chain/);
  });
});

describe('hidden through the config loader and the CLI', () => {
  const write = (name: string, hidden: string) => {
    const file = path.join(tmp, name);
    const parent = path.join(root, 'pipelines', 'inverting-mnist.yaml');
    fs.writeFileSync(file, [`extends: ${JSON.stringify(parent)}`, 'name: deep', 'set:', `  classifier.hidden: ${hidden}`, ''].join('\n'));
    return file;
  };

  it('accepts [64, 32, 16] and one layer; rejects [], 17 layers and a size of 0', async () => {
    const { config } = await loadConfig(write('deep.yaml', '[64, 32, 16]'), { registry });
    expect(config.stages.classifier.with.hidden).toEqual([64, 32, 16]);
    expect((await loadConfig(write('one.yaml', '[50]'), { registry })).config.stages.classifier.with.hidden).toEqual([50]);
    const defaults = await loadConfig(path.join(root, 'pipelines', 'inverting-mnist.yaml'), { registry });
    expect(defaults.config.stages.classifier.with.hidden).toEqual([100, 100]);
    const fails = async (file: string) => {
      const err = await loadConfig(file, { registry }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigErrors);
      return (err as Error).message;
    };
    expect(await fails(write('empty.yaml', '[]'))).toMatch(/empty\.yaml:4:\d+: hidden must .*1/);
    expect(await fails(write('many.yaml', `[${Array(17).fill(8).join(', ')}]`))).toMatch(/many\.yaml:4:\d+: hidden must .*16/);
    expect(await fails(write('zero.yaml', '[64, 0, 16]'))).toMatch(/hidden\.1 must be >= 1, got 0/);
  });

  // With the smoke's learning rate (0.01) 60 steps leave a 3-layer sigmoid classifier near chance
  // (top probability ~0.13 on every sample), so the smoke's 0.5 confidence filter keeps nothing
  // and train-inverse refuses, as it should. Ten times the rate is enough for the filter.
  it('pipeline run experiments/smoke.yaml --set classifier.hidden=[64, 32, 16] (and learningRate=0.1) exits 0', () => {
    const cli = path.join(root, 'dist', 'src', 'cli', 'main.js');
    const cache = path.join(tmp, 'cli-cache');
    const runs = path.join(tmp, 'cli-runs');
    const r = spawnSync(
      'node',
      [
        cli,
        'run',
        path.join(root, 'experiments', 'smoke.yaml'),
        '--set',
        'classifier.hidden=[64, 32, 16]',
        '--set',
        'classifier.learningRate=0.1',
        '--cache',
        cache,
        '--runs',
        runs,
      ],
      {
        cwd: tmp,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const runDir = /^run folder: (.+)$/m.exec(r.stdout)![1];
    const manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8'));
    expect(manifest.config.stages.classifier.with.hidden).toEqual([64, 32, 16]);
    expect(Object.values(manifest.stages).map((s) => (s as { status: string }).status)).toEqual(Array(7).fill('miss'));
    for (const picture of ['reconstruct/reconstruct.png', 'generate/generate.png', 'features/features.png']) {
      expect(fs.existsSync(path.join(runDir, picture)), picture).toBe(true);
    }
    // The deep tensors are stored under their names: w3inv [16, 32], as `cache export` reads it.
    const npy = path.join(tmp, 'w3inv.npy');
    const ex = spawnSync('node', [cli, 'cache', 'export', manifest.stages.inverse.key, 'inverse.w3inv', '--npy', npy, '--cache', cache], {
      cwd: tmp,
      encoding: 'utf8',
    });
    expect(ex.status, ex.stderr).toBe(0);
    expect(fs.readFileSync(npy).subarray(0, 128).toString('latin1')).toMatch(/'shape': \(16, 32\)/);
  });
});
