// `load` declares `kernels: false`: it only builds tensors from the bytes it is handed, so the
// backend's kernel files stay out of its cache key and editing a kernel does not recompute it
// (src/keys/recipe.ts stageCode). That is only sound if it really runs no kernel: checked here with
// tf.profile on the wasm backend. Every stage that does run kernels must not claim it.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StageResult } from '../../src/sdk/stage.js';
import { Rng } from '../../src/sdk/rng.js';
import { registry } from '../helpers/builtin.js';
import { disposeAll, paramsOf, readFiles, ready } from './_ctx.js';

beforeAll(ready);

describe('kernels: false', () => {
  it('tf.profile sees the kernels a computation runs (the check below can see one)', async () => {
    const info = await tf.profile(() => {
      const a = tf.tensor1d([1, 2, 3]);
      const b = tf.add(a, 1);
      tf.dispose([a, b]);
    });
    expect(info.kernelNames).toContain('Add');
  });

  it('load runs no tensor kernel on wasm: it only builds tensors from bytes', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const load = registry.load;
    const params = paramsOf(load, { train: 300, test: 100 });
    const files = readFiles(load, params);
    const before = tf.memory().numTensors;
    let res: StageResult | undefined;
    const info = await tf.profile(async () => {
      res = await load.run({ params, inputs: {}, rng: new Rng(1), files, progress: () => {} });
    });
    const names = info.kernels.map((k) => k.name);
    expect(info.kernels, `load ran kernels: ${names.join(', ')}`).toEqual([]);
    // it did build its four tensors
    const data = res!.outputs.data;
    expect(Object.keys(data).sort()).toEqual(['testX', 'testY', 'trainX', 'trainY']);
    expect((data.trainX as tf.Tensor).shape).toEqual([300, 784]);
    expect((data.testY as tf.Tensor).shape).toEqual([100]);
    expect(info.newTensors).toBe(4);
    disposeAll(res!.outputs);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('load declares kernels: false, and no other built-in stage does', () => {
    expect(registry.load.kernels).toBe(false);
    const claiming = Object.values(registry)
      .filter((s) => s.type !== 'load' && s.kernels === false)
      .map((s) => s.type);
    expect(claiming, 'stages that run kernels but declare kernels: false').toEqual([]);
    expect(Object.keys(registry).length).toBeGreaterThan(1);
  });
});
