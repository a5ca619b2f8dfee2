// The engine end to end on small test stages: caching, invalidation, key stability, corruption.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RunOptions } from '../src/runner/run.js';
import { RunCache } from '../src/store/run-cache.js';
import { baseBackend } from '../src/backend/index.js';
import { runIn } from './cache-commands/helpers.js';
import { calls, resetCalls } from './fixtures/engine-stages.js';

const fixture = (name: string) => join(import.meta.dirname, 'fixtures', 'engine', name);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pipeline-engine-'));
  resetCalls();
});

const run = (file: string, extra: Partial<RunOptions> = {}) => runIn(dir, { file: fixture(file), ...extra });

const statuses = (r: Awaited<ReturnType<typeof run>>) => Object.fromEntries([...r.outcomes].map(([id, o]) => [id, o.status]));
const keys = (r: Awaited<ReturnType<typeof run>>) => Object.fromEntries([...r.outcomes].map(([id, o]) => [id, o.key]));

describe('cache', () => {
  it('a second identical run is all cache hits and computes nothing', async () => {
    const first = await run('base.yaml');
    expect(first.ok).toBe(true);
    expect(first.computed).toBe(4);
    resetCalls();
    const second = await run('base.yaml');
    expect(statuses(second)).toEqual({ numbers: 'hit', noise: 'hit', sum: 'hit', 'raw-sum': 'hit' });
    expect(second.computed).toBe(0);
    expect(calls).toEqual({});
    expect(second.manifest.stages.sum.metrics).toEqual(first.manifest.stages.sum.metrics);
  });

  it('a changed param re-runs exactly that stage and its descendants', async () => {
    await run('base.yaml');
    resetCalls();
    const changed = await run('base.yaml', { set: ['noise.amount=0.25'] });
    expect(statuses(changed)).toEqual({ numbers: 'hit', noise: 'miss', sum: 'miss', 'raw-sum': 'hit' });
    expect(calls).toEqual({ noisy: 1, total: 1 });
  });

  it('--force STAGE recomputes that stage and its descendants only', async () => {
    await run('base.yaml');
    const forced = await run('base.yaml', { force: ['noise'] });
    expect(statuses(forced)).toEqual({ numbers: 'hit', noise: 'miss', sum: 'miss', 'raw-sum': 'hit' });
    const all = await run('base.yaml', { force: true });
    expect(all.computed).toBe(4);
  });

  it('keys do not change with key order, comments or defaults written out', async () => {
    const a = await run('base.yaml');
    const b = await run('cosmetic.yaml');
    expect(keys(b)).toEqual(keys(a));
    expect(b.computed).toBe(0);
  });

  it('the same config and seed give bitwise-identical tensors; another seed does not', async () => {
    const a = await run('base.yaml');
    const b = await run('base.yaml', { force: true });
    expect(keys(b)).toEqual(keys(a));
    const entryA = a.outcomes.get('noise')!.entry!;
    const entryB = b.outcomes.get('noise')!.entry!;
    expect(entryB.outputs).toEqual(entryA.outputs);
    const c = await run('base.yaml', { set: ['seed=8'] });
    expect(c.outcomes.get('noise')!.entry!.outputs).not.toEqual(entryA.outputs);
  });

  it('a blob altered on disk is detected, not used, and recomputed', async () => {
    const first = await run('base.yaml');
    const entry = first.outcomes.get('numbers')!.entry!;
    const cache = RunCache.local(join(dir, 'cache'));
    const blob = cache.blobs.path(entry.outputs.values.x.hash);
    await cache.close();
    const bytes = readFileSync(blob);
    bytes[bytes.length - 1] ^= 0xff; // same size, different content
    writeFileSync(blob, bytes);
    resetCalls();
    // A downstream change makes the run read the damaged blob.
    const second = await run('base.yaml', { set: ['noise.amount=0.25'] });
    expect(second.ok).toBe(true);
    expect(calls.sequence).toBe(1);
    expect(readFileSync(blob)).not.toEqual(bytes);
    // What the run used is what a clean cache computes.
    const clean = await run('base.yaml', { set: ['noise.amount=0.25'], cacheRoot: join(dir, 'clean') });
    expect(second.manifest.stages.sum.metrics).toEqual(clean.manifest.stages.sum.metrics);
  });

  it('a failing stage leaves no cache entry; the stages before it stay cached', async () => {
    const failed = await run('base.yaml', { set: ['sum.fail=true'] });
    expect(failed.ok).toBe(false);
    expect(statuses(failed)).toMatchObject({ numbers: 'miss', noise: 'miss', sum: 'failed', 'raw-sum': 'miss' });
    expect(failed.manifest.stages.sum.error).toMatch(/asked to fail/);
    resetCalls();
    const again = await run('base.yaml', { set: ['sum.fail=true'] });
    expect(statuses(again)).toMatchObject({ numbers: 'hit', noise: 'hit', sum: 'failed' });
  });
});

describe('run record', () => {
  it('writes manifest.json with config, keys, hit/miss, timings, backend, versions, and pictures', async () => {
    const r = await run('base.yaml');
    expect(r.runDir.startsWith(join(dir, 'runs', 'engine'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(r.runDir, 'manifest.json'), 'utf8'));
    expect(baseBackend(manifest.backend)).toBe('wasm'); // `wasm+openblas` where a BLAS does the matMuls
    expect(manifest.versions['@tensorflow/tfjs-core']).toMatch(/^4\./);
    expect(manifest.config.stages.numbers.with).toEqual({ n: 16, scale: 1 });
    expect(manifest.stages.sum).toMatchObject({ type: 'total', status: 'miss', key: r.outcomes.get('sum')!.key });
    expect(readdirSync(join(r.runDir, 'sum')).sort()).toEqual(['metrics.json', 'strip.png']);
    const again = await run('base.yaml');
    expect(existsSync(join(again.runDir, 'sum', 'strip.png'))).toBe(true);
  });
});
