// No stage leaks tensors: over each stage's `run`, tf.memory().numTensors grows by exactly the
// tensors of the outputs it returns (the runner keeps those and disposes them at the end of the
// run; pictures are plain bytes), and once runPipeline resolves the count is back where it started.
// The smoke experiment runs in this process (jobs: 1) on wasm; every built-in stage's `run` is
// wrapped to count. Stage runs are serialised by the wrapper (the runner may interleave
// independent stages), so one stage's tensors are never counted against another.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { runPipeline } from '../src/runner/run.js';
import type { Registry, StageResult } from '../src/sdk/stage.js';
import { registry as builtin } from './helpers/builtin.js';

interface Count {
  type: string;
  before: number;
  after: number;
  outputs: number;
  error?: string;
}

const outputTensors = (res: StageResult) => Object.values(res.outputs).reduce((n, artifact) => n + Object.keys(artifact).length, 0);

/** The built-in registry with each `run` counting live tensors around itself, one run at a time. */
function counting(counts: Count[]): Registry {
  let queue: Promise<unknown> = Promise.resolve();
  const out: Registry = {};
  for (const [type, def] of Object.entries(builtin)) {
    out[type] = {
      ...def,
      run: (ctx) => {
        const go = async () => {
          const before = tf.memory().numTensors;
          let res: StageResult;
          try {
            res = await def.run(ctx);
          } catch (err) {
            // a failed stage returns nothing: everything it made must be gone
            counts.push({ type, before, after: tf.memory().numTensors, outputs: 0, error: (err as Error).message });
            throw err;
          }
          counts.push({ type, before, after: tf.memory().numTensors, outputs: outputTensors(res) });
          return res;
        };
        const p = queue.then(go, go);
        queue = p.catch(() => {});
        return p;
      },
    };
  }
  return out;
}

beforeAll(() => initBackend('wasm'));

const tmp = mkdtempSync(join(tmpdir(), 'leaks-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('tensor leaks (smoke pipeline, in process, wasm)', () => {
  it('every stage leaves exactly its outputs alive, and the run leaves nothing', async () => {
    const counts: Count[] = [];
    const registry = counting(counts);
    const start = tf.memory().numTensors;
    const res = await runPipeline({
      file: 'experiments/smoke.yaml',
      registry,
      jobs: 1,
      backend: 'wasm',
      cacheRoot: join(tmp, 'cache'),
      runsRoot: join(tmp, 'runs'),
    });
    expect(tf.getBackend()).toBe('wasm');
    expect(res.ok, [...res.outcomes.values()].map((o) => `${o.id} ${o.status} ${o.error?.message ?? ''}`).join('\n')).toBe(true);
    expect(res.computed).toBe(7);
    expect(counts.map((c) => c.type).sort()).toEqual(Object.keys(builtin).sort());
    expect(counts.filter((c) => c.error)).toEqual([]);
    for (const c of counts) {
      expect(c.outputs, `${c.type} returned no tensor`).toBeGreaterThan(0);
      expectBalanced(c);
    }
    expect(tf.memory().numTensors, 'live tensors after runPipeline resolved').toBe(start);
  });

  // Stages that fail, as a user's pipeline can make them: data of the wrong shape, and a
  // classifier wired to an inverse trained for another one. A failed stage leaves nothing behind.
  it('a stage that fails leaves no tensor behind', async () => {
    const file = join(tmp, 'failing.yaml');
    writeFileSync(
      file,
      [
        'name: failing',
        'seed: 1',
        'stages:',
        '  data: { uses: load, with: { train: 600, test: 200 } }',
        '  wrong-shape: { uses: load, with: { train: 600, test: 200, height: 10, width: 10 } }',
        '  classifier: { uses: train-classifier, inputs: { data: data }, with: { steps: 60, batch: 100, logEvery: 20 } }',
        '  other: { uses: train-classifier, inputs: { data: data }, with: { hidden: [30, 12], steps: 5, batch: 100, logEvery: 1 } }',
        '  confident: { uses: filter-confident, inputs: { data: data, model: classifier }, with: { threshold: 0.5 } }',
        '  inverse: { uses: train-inverse, inputs: { data: data, kept: confident, model: classifier }, with: { steps: 10, batch: 50, logEvery: 5 } }',
        '  reconstruct: { uses: reconstruct, inputs: { data: data, model: other, inverse: inverse }, with: { count: 16 } }',
        '  generate: { uses: generate, inputs: { model: other, inverse: inverse }, with: { steps: 5 } }',
        '  features: { uses: features, inputs: { model: other, inverse: inverse } }',
        '  too-many: { uses: reconstruct, inputs: { data: data, model: classifier, inverse: inverse }, with: { count: 201 } }',
        '',
      ].join('\n'),
    );
    const counts: Count[] = [];
    const start = tf.memory().numTensors;
    const res = await runPipeline({
      file,
      registry: counting(counts),
      jobs: 1,
      backend: 'wasm',
      cacheRoot: join(tmp, 'cache-failing'),
      runsRoot: join(tmp, 'runs'),
    });
    const failed = [...res.outcomes.values()].filter((o) => o.status === 'failed').map((o) => o.id);
    expect(failed.sort()).toEqual(['features', 'generate', 'reconstruct', 'too-many', 'wrong-shape']);
    expect(counts.filter((c) => c.error).length).toBe(5);
    for (const c of counts) expectBalanced(c);
    expect(tf.memory().numTensors, 'live tensors after runPipeline resolved').toBe(start);
  });
});

function expectBalanced(c: Count): void {
  const what = `${c.type}${c.error ? ` (failed: ${c.error})` : ''}: ${c.before} tensors before, ${c.after} after, ${c.outputs} outputs`;
  expect(c.after - c.before, what).toBe(c.outputs);
}
