// The same config, seed and backend give bitwise-identical tensors: the smoke pipeline computed
// twice from scratch, in separate caches, yields the same blob hash for every output tensor; and
// so does the wasm backend's threaded build (shared memory, XNNPACK on two threads), which the
// other tests do not use (they run one thread per test process).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunCache } from '../src/store/run-cache.js';
import { runPipeline } from '../src/runner/run.js';
import { registry } from './helpers/builtin.js';

const smoke = join(import.meta.dirname, '..', 'experiments', 'smoke.yaml');

async function outputsOf(set: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-det-'));
  const r = await runPipeline({ file: smoke, registry, set, cacheRoot: join(dir, 'cache'), runsRoot: join(dir, 'runs') });
  expect(r.computed).toBe(7);
  return Object.fromEntries([...r.outcomes].map(([id, o]) => [id, o.entry!.outputs]));
}

describe('determinism on the smoke pipeline', () => {
  it('two cold runs give bitwise-identical output tensors; another seed does not', async () => {
    const a = await outputsOf();
    const b = await outputsOf();
    expect(b).toEqual(a);
    const c = await outputsOf(['seed=2']);
    expect(c.data).toEqual(a.data); // loading does not depend on the seed
    expect(c.classifier).not.toEqual(a.classifier);
    expect(c.features).not.toEqual(a.features);
  });
});

describe('determinism across wasm thread counts', () => {
  it('the CLI with 2 wasm threads gives the same output tensors as 1 thread', async () => {
    const one = await outputsOf();
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-det-'));
    const cli = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
    const r = spawnSync('node', [cli, 'run', smoke, '--cache', join(dir, 'cache'), '--runs', join(dir, 'runs')], {
      encoding: 'utf8',
      env: { ...process.env, PIPELINE_WASM_THREADS: '2' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const cache = RunCache.local(join(dir, 'cache'));
    const entries = await cache.index.all();
    await cache.index.close();
    const two = Object.fromEntries(entries.map((e) => [e.stageId, e.outputs]));
    expect(two).toEqual(one);
  });
});
