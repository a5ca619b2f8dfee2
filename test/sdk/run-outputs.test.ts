// runPipeline hands over the output tensors of the stages a caller asks for; they outlive the
// run, and nothing else does.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { stageCode } from '../../src/keys/recipe.js';
import { runPipeline } from '../../src/runner/run.js';
import { registry } from '../helpers/builtin.js';

const smoke = join(import.meta.dirname, '..', '..', 'experiments', 'smoke.yaml');

describe('runPipeline keepOutputs', () => {
  it('returns the asked-for stages’ tensors, alive after the run; everything else is freed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keep-outputs-'));
    const opts = { file: smoke, registry, cacheRoot: join(dir, 'cache'), runsRoot: join(dir, 'runs'), backend: 'wasm' as const };
    await runPipeline(opts); // fills the cache: the second run hands over tensors read back from it
    const before = tf.memory().numTensors;
    const r = await runPipeline({ ...opts, keepOutputs: ['classifier', 'confident'] });
    expect(r.ok).toBe(true);
    expect(Object.keys(r.outputs).sort()).toEqual(['classifier', 'confident']);
    const model = r.outputs.classifier.model;
    expect(model.w1.shape).toEqual([784, 100]);
    expect(model.w1.isDisposed).toBe(false);
    const total = tf.sum(model.w1);
    expect(Number.isFinite(total.dataSync()[0])).toBe(true);
    total.dispose();
    const held = Object.values(r.outputs).flatMap((o) => Object.values(o).flatMap((a) => Object.values(a)));
    expect(tf.memory().numTensors - before).toBe(held.length);
    tf.dispose(held);
    await expect(runPipeline({ ...opts, keepOutputs: ['nope'] })).rejects.toThrow(/keepOutputs: no stage "nope"/);
  });

  it('a stage with no `source` cannot have a key: a clear error, not a crash', () => {
    const { source: _, ...def } = registry.load;
    expect(() => stageCode(def)).toThrow(/stage load has no `source`/);
  });
});
