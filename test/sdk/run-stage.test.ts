// runStage: one stage called as the runner would call it, from a user's own test suite.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, runStage, StageParamsError } from 'mlpipe';
import { defineStage, tf, type Artifact } from 'mlpipe/sdk';
import { registry } from '../helpers/builtin.js';
import { disposeAll, same } from '../stages/_ctx.js';

interface MeanParams {
  axis: number;
  scale: number;
  noise: number;
}

/** A user stage: the mean of `data.x` along `axis`, times `scale`, plus seeded noise. */
const mean = defineStage<MeanParams>({
  type: 'mean',
  version: 1,
  source: import.meta.url,
  description: 'Mean of a tensor along an axis.',
  params: {
    type: 'object',
    properties: {
      axis: { type: 'integer', minimum: 0, default: 0 },
      scale: { type: 'number', exclusiveMinimum: 0, default: 2 },
      noise: { type: 'number', minimum: 0, default: 0 },
    },
  },
  inputs: { data: 'tensor' },
  outputs: { mean: 'tensor' },
  async run(ctx) {
    const { axis, scale, noise } = ctx.params;
    const x = ctx.inputs.data.x;
    const m = tf.tidy(() => {
      const base = tf.mul(tf.mean(x, axis), scale);
      return noise > 0 ? tf.add(base, tf.randomNormal(base.shape, 0, noise, 'float32', ctx.rng.seed())) : base;
    });
    await ctx.progress(1, 1);
    return { outputs: { mean: { m } }, metrics: { first: m.dataSync()[0] } };
  },
});

const dataOf = (): Artifact => ({ x: tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]) });

// Input tensors are made before runStage runs: the backend must be up by then.
beforeAll(() => initBackend('wasm'));

describe('runStage', () => {
  it('runs the built-in load stage, reading its declared files itself', async () => {
    const res = await runStage(registry.load, { params: { train: 100, test: 50 }, backend: 'wasm' });
    const d = res.outputs.data;
    expect(d.trainX.shape).toEqual([100, 784]);
    expect(d.testX.shape).toEqual([50, 784]);
    expect(d.trainY.shape).toEqual([100]);
    expect(res.params).toMatchObject({ train: 100, test: 50, scale: true, height: 28, width: 28 });
    expect(res.metrics).toBeTypeOf('object');
    expect(res.pictures).toBeTypeOf('object');
    disposeAll(res.outputs);
  });

  it('runs a stage defined inline, with the schema defaults filled in', async () => {
    const data = dataOf();
    const steps: number[] = [];
    const res = await runStage(mean, { inputs: { data }, onProgress: (s) => steps.push(s), backend: 'wasm' });
    expect(res.params).toEqual({ axis: 0, scale: 2, noise: 0 });
    expect(Array.from(res.outputs.mean.m.dataSync())).toEqual([5, 7, 9]);
    expect(res.metrics).toEqual({ first: 5 });
    expect(res.pictures).toEqual({});
    expect(steps).toEqual([1]);
    const other = await runStage(mean, { params: { axis: 1 }, inputs: { data } });
    expect(Array.from(other.outputs.mean.m.dataSync())).toEqual([4, 10]);
    disposeAll(res.outputs, other.outputs, data);
  });

  it('rejects a bad param with a message naming it', async () => {
    const inputs = { data: dataOf() };
    await expect(runStage(mean, { params: { scale: 0 }, inputs })).rejects.toThrow(StageParamsError);
    await expect(runStage(mean, { params: { scale: 0 }, inputs })).rejects.toThrow('stage mean: param "scale" must be > 0');
    await expect(runStage(mean, { params: { axis: 'one' as unknown as number }, inputs })).rejects.toThrow('param "axis" must be integer');
    await expect(runStage(mean, { params: { axsi: 1 } as Partial<MeanParams>, inputs })).rejects.toThrow('unknown param "axsi"; did you mean "axis"?');
    await expect(runStage(registry.load, { params: { train: 0 } })).rejects.toThrow('stage load: param "train" must be >= 1');
    await expect(runStage(mean, {})).rejects.toThrow('stage mean: missing input(s) data');
    disposeAll(inputs.data);
  });

  it('does not modify the params it is given', async () => {
    const data = dataOf();
    const params = { axis: 1 };
    const res = await runStage(mean, { params, inputs: { data } });
    expect(params).toEqual({ axis: 1 });
    disposeAll(res.outputs, data);
  });

  it('is deterministic: the same seed twice gives bitwise identical outputs', async () => {
    const data = dataOf();
    const opts = { params: { noise: 0.5 }, inputs: { data }, seed: 7 };
    const a = await runStage(mean, opts);
    const b = await runStage(mean, opts);
    const c = await runStage(mean, { ...opts, seed: 8 });
    expect(same(a.outputs.mean.m, b.outputs.mean.m)).toBe(true);
    expect(same(a.outputs.mean.m, c.outputs.mean.m)).toBe(false);
    disposeAll(a.outputs, b.outputs, c.outputs);
    const l1 = await runStage(registry.load, { params: { train: 100, test: 50 } });
    const l2 = await runStage(registry.load, { params: { train: 100, test: 50 } });
    for (const k of Object.keys(l1.outputs.data)) expect(same(l1.outputs.data[k], l2.outputs.data[k]), k).toBe(true);
    disposeAll(l1.outputs, l2.outputs, data);
  });

  it('leaks no tensor beyond the outputs it returns', async () => {
    const data = dataOf();
    await runStage(mean, { inputs: { data } }).then((r) => disposeAll(r.outputs)); // warm up
    const before = tf.memory().numTensors;
    const res = await runStage(mean, { params: { noise: 1 }, inputs: { data } });
    expect(tf.memory().numTensors).toBe(before + 1);
    disposeAll(res.outputs);
    expect(tf.memory().numTensors).toBe(before);
    const l = await runStage(registry.load, { params: { train: 100, test: 50 } });
    expect(tf.memory().numTensors).toBe(before + Object.keys(l.outputs.data).length);
    disposeAll(l.outputs);
    expect(tf.memory().numTensors).toBe(before);
    // A stage that forgets an output: its other outputs are disposed with the error.
    const broken = { ...mean, outputs: { mean: 'tensor', extra: 'tensor' } };
    await expect(runStage(broken, { inputs: { data } })).rejects.toThrow('stage mean did not return output(s) extra');
    expect(tf.memory().numTensors).toBe(before);
    disposeAll(data);
  });
});
