// Sweeps through Redis and two `pipeline worker` processes (the built CLI): every shared stage is
// computed once across both workers, the results equal a local run's, a cached stage is never
// sent to a worker, and two submitters with overlapping sweeps compute each stage once.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, tempDir } from '../reliability/helpers.js';
import { computes, results, runJson, smoke, startWorker, sweepSmoke, useRedis } from './helpers.js';

const redis = useRedis();
afterEach(cleanup);

describe('a sweep on two workers', () => {
  it('computes each stage instance once across both, with the results of a local run, and caches them for the next', async () => {
    const dir = tempDir('dist-sweep');
    const blobs = join(dir, 'blobs');
    const workers = [await startWorker(redis.url, blobs), await startWorker(redis.url, blobs)];
    const shared = ['sweep', sweepSmoke, '--redis', redis.url, '--blobs', blobs, '--runs', join(dir, 'runs')];
    const [{ doc, proc }, local] = await Promise.all([
      runJson(shared),
      runJson(['sweep', sweepSmoke, '--cache', join(dir, 'local'), '--runs', join(dir, 'local-runs'), '-j', '2']),
    ]);
    expect(proc.exit?.code, proc.stderr).toBe(0);
    expect(local.proc.exit?.code, local.proc.stderr).toBe(0);
    expect(doc.status).toBe('ok');
    expect(results(doc)).toEqual(results(local.doc));
    expect(doc.sweep!.variants.map((v) => v.metrics)).toEqual(local.doc.sweep!.variants.map((v) => v.metrics));

    // 20 instances (data, classifier, 2 confident, 4 each of the rest), each computed once.
    const counts = computes(workers);
    expect(counts.size).toBe(20);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(counts.keys())).toEqual(new Set(doc.stages.map((s) => s.key!.slice(0, 10))));
    expect(doc.stages.every((s) => s.status === 'miss')).toBe(true);

    // The run folders a local sweep writes: one per variant, and the sweep page.
    expect(doc.report && existsSync(doc.report)).toBe(true);
    expect(readdirSync(doc.runDir).filter((f) => /^v\d$/.test(f))).toHaveLength(4);
    for (const v of doc.sweep!.variants) expect(existsSync(join(doc.runDir, v.id, 'manifest.json'))).toBe(true);

    // Again: every stage is a hit, looked up by the submitter; no job reaches a worker.
    const again = await runJson(shared);
    expect(again.proc.exit?.code, again.proc.stderr).toBe(0);
    expect(again.doc.stages.every((s) => s.status === 'hit')).toBe(true);
    expect(computes(workers)).toEqual(counts);
    expect(workers.map((w) => w.stdout).join('')).not.toMatch(/^cached /m);
  });

  it('two submitters with overlapping sweeps compute every stage once', async () => {
    const dir = tempDir('dist-overlap');
    const blobs = join(dir, 'blobs');
    const workers = [await startWorker(redis.url, blobs), await startWorker(redis.url, blobs)];
    const queued = ['--redis', redis.url, '--blobs', blobs, '--runs', join(dir, 'runs')];
    // sweep-smoke: threshold 0.4, 0.6 x inverse steps 10, 20; the other: threshold 0.6 x steps 20, 30.
    const [a, b] = await Promise.all([
      runJson(['sweep', sweepSmoke, ...queued]),
      runJson(['sweep', smoke, '--set', 'confident.threshold=0.6', '--sweep', 'inverse.steps=20,30', ...queued]),
    ]);
    expect(a.proc.exit?.code, a.proc.stderr).toBe(0);
    expect(b.proc.exit?.code, b.proc.stderr).toBe(0);
    const keys = (d: typeof a.doc) => d.stages.map((s) => s.key!.slice(0, 10));
    const union = new Set([...keys(a.doc), ...keys(b.doc)]);
    const shared = keys(b.doc).filter((k) => keys(a.doc).includes(k));
    // data, classifier, confident@0.6 and the steps=20 branch after it (inverse, reconstruct, generate, features).
    expect(shared).toHaveLength(7);
    const counts = computes(workers);
    expect(new Set(counts.keys())).toEqual(union);
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);
  });
});
