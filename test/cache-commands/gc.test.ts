// `cache gc`: unreferenced blobs and stale tmp files go, eviction policies pick entries, a dry run
// changes nothing, and a gc running beside a pipeline never takes a blob the run is about to use.
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { parseDuration, parseSize } from '../../src/cli/common.js';
import { gcCache } from '../../src/store/gc.js';
import { entryBlobs, type CacheEntry } from '../../src/store/entry.js';
import { SqliteIndex } from '../../src/store/sqlite-index.js';
import { verifyCache } from '../../src/store/verify.js';
import { runPipeline } from '../../src/runner/run.js';
import { calls, resetCalls } from '../fixtures/engine-stages.js';
import { cli, registry, runIn, slowFile, tempDir, withCache } from './helpers.js';

let dir: string;
let cacheDir: string;
beforeEach(() => {
  dir = tempDir();
  cacheDir = join(dir, 'cache');
  resetCalls();
});

const ago = (ms: number) => new Date(Date.now() - ms);
/** Make every blob look written `ms` ago, so "older than gc's start" does not hang on a clock tick. */
function ageBlobs(ms: number): void {
  const root = join(cacheDir, 'blobs');
  for (const d of readdirSync(root)) for (const f of readdirSync(join(root, d))) utimesSync(join(root, d, f), ago(ms), ago(ms));
}
const blobCount = () => readdirSync(join(cacheDir, 'blobs')).reduce((n, d) => n + readdirSync(join(cacheDir, 'blobs', d)).length, 0);

describe('durations and sizes', () => {
  it('parses s/m/h/d/w and B/KB/MB/GB, and says what is wrong otherwise', () => {
    expect([parseDuration('90s'), parseDuration('30m'), parseDuration('12h'), parseDuration('7d'), parseDuration('2w')]).toEqual([
      90e3,
      30 * 60e3,
      12 * 3600e3,
      7 * 86400e3,
      14 * 86400e3,
    ]);
    expect([parseSize('4096'), parseSize('2KB'), parseSize('1.5MB'), parseSize('2GB'), parseSize('1g')]).toEqual([
      4096,
      2048,
      1.5 * 1024 ** 2,
      2 * 1024 ** 3,
      1024 ** 3,
    ]);
    expect(() => parseDuration('7')).toThrow(/bad duration "7"/);
    expect(() => parseSize('2 parsecs')).toThrow(/bad size/);
  });

  it('bad option values are usage errors (exit 2)', async () => {
    await runIn(dir);
    for (const args of [
      ['--older-than', '7x'],
      ['--max-size', 'lots'],
      ['--keep-last', '-1'],
    ]) {
      const r = await cli(['cache', 'gc', ...args, '--cache', cacheDir]);
      expect(r.status).toBe(2);
      expect(r.err).toMatch(/invalid/);
    }
  });
});

describe('cache gc', () => {
  it('removes unreferenced blobs and stale tmp files, keeps what is newer than gc and every live save', async () => {
    await runIn(dir);
    const before = blobCount();
    const orphan = await withCache(dir, (c) => {
      const old = c.blobs.put({ dtype: 'uint8', shape: [3], bytes: new Uint8Array([1, 2, 3]) });
      const fresh = c.blobs.put({ dtype: 'uint8', shape: [3], bytes: new Uint8Array([4, 5, 6]) });
      const leased = c.blobs.put({ dtype: 'uint8', shape: [3], bytes: new Uint8Array([7, 8, 9]) });
      return { old: c.blobs.path(old.hash), fresh: c.blobs.path(fresh.hash), leased: c.blobs.path(leased.hash) };
    });
    ageBlobs(3600e3);
    utimesSync(orphan.fresh, ago(-60e3), ago(-60e3)); // written after gc starts
    utimesSync(orphan.leased, ago(5e3), ago(5e3)); // written by a save that began 10 s ago...
    const tmp = join(cacheDir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, 'save-1-live.lease'), '');
    utimesSync(join(tmp, 'save-1-live.lease'), ago(10e3), ago(10e3)); // ...and still holds its lease
    writeFileSync(join(tmp, 'save-2-dead.lease'), '');
    utimesSync(join(tmp, 'save-2-dead.lease'), ago(7200e3), ago(7200e3)); // a save that died
    writeFileSync(join(tmp, 'stale.tmp'), 'half a blob');
    utimesSync(join(tmp, 'stale.tmp'), ago(20e3), ago(20e3));
    writeFileSync(join(tmp, 'writing.tmp'), 'being written');

    const dry = await cli(['cache', 'gc', '--dry-run', '--cache', cacheDir]);
    expect(dry.status).toBe(0);
    const freed = statSync(orphan.old).size + 'half a blob'.length; // the old orphan, stale.tmp and the dead (empty) lease
    expect(dry.out).toContain(`would free ${freed} B: 0 entries, 1 blob, 2 tmp files`);
    expect(dry.out).toMatch(/kept 2 unreferenced blobs \(\d+ B\) written since gc or a running save started/);
    expect(blobCount()).toBe(before + 3);

    const r = await withCache(dir, (c) => gcCache(c));
    expect(r.blobs.count).toBe(1);
    expect(existsSync(orphan.old)).toBe(false);
    expect(existsSync(orphan.fresh) && existsSync(orphan.leased)).toBe(true);
    expect(r.recent.count).toBe(2);
    expect(readdirSync(tmp).sort()).toEqual(['save-1-live.lease', 'writing.tmp']);
    const v = await withCache(dir, (c) => verifyCache(c));
    expect(v.evicted).toEqual([]);
    expect(v.blobs).toBe(before + 2);
  });

  it('--keep-last N keeps the most recently used entries of each stage', async () => {
    for (const amount of [0.1, 0.2, 0.3]) await runIn(dir, { set: [`noise.amount=${amount}`] });
    ageBlobs(1000);
    const r = await cli(['cache', 'gc', '--keep-last', '1', '--cache', cacheDir]);
    expect(r.status).toBe(0);
    expect(r.out.split('\n').filter((l) => l.startsWith('evict'))).toHaveLength(4); // 2 old noise + 2 old sum
    expect(r.out).toMatch(/evict [0-9a-f]{10}\s+noisy\s+engine\/noise\s+beyond the last 1 of engine\/noise/);
    expect(r.out).toMatch(/freed \d+ B: 4 entries, \d blobs, 0 tmp files/);
    const ls = JSON.parse((await cli(['cache', 'ls', '--json', '--cache', cacheDir])).out);
    expect(ls.entries.filter((e: { stageId: string }) => e.stageId === 'noise').map((e: { params: object }) => e.params)).toEqual([{ amount: 0.3 }]);
    expect((await withCache(dir, (c) => verifyCache(c))).evicted).toEqual([]);
    resetCalls();
    await runIn(dir, { set: ['noise.amount=0.3'] });
    expect(calls).toEqual({});
    await runIn(dir, { set: ['noise.amount=0.1'] });
    expect(calls).toEqual({ noisy: 1, total: 1 });
  });

  it('--older-than evicts entries not used for that long; --max-size evicts the least recently used first', async () => {
    for (const amount of [0.1, 0.2, 0.3]) await runIn(dir, { set: [`noise.amount=${amount}`] });
    ageBlobs(1000);
    // Pretend the 0.1 and 0.2 entries were last used 10 and 5 days ago.
    const days = { 0.1: 10, 0.2: 5 } as Record<string, number>;
    const sizes = new Map<string, number>();
    await withCache(dir, async (c) => {
      for (const e of await c.index.all()) {
        sizes.set(
          e.key,
          entryBlobs(e).reduce((s, r) => s + r.size, 0),
        );
        const d = days[String(e.parts.params.amount)];
        if (d && e.stageType === 'noisy') await c.index.set({ ...e, lastUsed: ago(d * 86400e3).toISOString() });
      }
    });
    const week = await cli(['cache', 'gc', '--older-than', '1w', '--dry-run', '--cache', cacheDir]);
    expect(week.out.split('\n').filter((l) => l.startsWith('would evict'))).toEqual([expect.stringMatching(/noisy\s+engine\/noise\s+not used since/)]);
    const all = await withCache(dir, (c) => c.index.all());
    const total = (await withCache(dir, (c) => gcCache(c, { dryRun: true }))).remaining.bytes;
    // Room for everything but one noise entry's blob: the oldest one (10 days) goes, nothing else.
    const noise10 = all.find((e) => e.stageType === 'noisy' && e.parts.params.amount === 0.1)!;
    const r = await withCache(dir, (c) => gcCache(c, { maxSize: total - 1 }));
    expect(r.evicted.map((e) => e.key)).toEqual([noise10.key]);
    expect(r.remaining.bytes).toBeLessThanOrEqual(total - 1);
    expect(r.blobs.bytes).toBe(sizes.get(noise10.key));
    // A budget of nothing evicts everything, least recently used first.
    const zero = await withCache(dir, (c) => gcCache(c, { maxSize: 0, dryRun: true }));
    expect(zero.evicted).toHaveLength(all.length - 1);
    expect(zero.evicted[0].key).toBe(all.find((e) => e.parts.params.amount === 0.2 && e.stageType === 'noisy')!.key);
    expect(zero.evicted.map((e) => e.lastUsed)).toEqual(zero.evicted.map((e) => e.lastUsed).sort());
  });

  it('a save that reuses an old unreferenced blob stamps it, so gc sees it as in use', async () => {
    const first = await runIn(dir);
    const numbers = first.outcomes.get('numbers')!.entry!;
    await withCache(dir, (c) => c.index.delete(numbers.key)); // its blob is now unreferenced
    ageBlobs(3600e3);
    const path = join(cacheDir, 'blobs', numbers.outputs.values.x.hash.slice(0, 2), numbers.outputs.values.x.hash.slice(2));
    const t0 = Date.now();
    await runIn(dir); // recomputes numbers: the same bytes, so put() finds the blob already there
    expect(statSync(path).mtimeMs).toBeGreaterThanOrEqual(t0 - 1000);
    expect(readdirSync(join(cacheDir, 'tmp')).filter((f) => f.endsWith('.lease'))).toEqual([]); // leases released
  });

  it('runs beside a pipeline that is computing and saving: the run finishes and keeps every blob', async () => {
    await runIn(dir); // something to collect, too
    // The slow stage's index entry is written 200 ms after its blobs, as when a big data set is
    // being stored: the window in which its blobs are on disk but referenced by nothing.
    const realSet = SqliteIndex.prototype.set;
    let delayed = 0;
    const spy = vi.spyOn(SqliteIndex.prototype, 'set').mockImplementation(async function (this: SqliteIndex, entry: CacheEntry) {
      if (entry.stageType === 'slow' && delayed++ === 0) await new Promise((r) => setTimeout(r, 200));
      return realSet.call(this, entry);
    });
    onTestFinished(() => spy.mockRestore());
    const run = runPipeline({ file: slowFile, registry, cacheRoot: cacheDir, runsRoot: join(dir, 'runs') });
    let finished = false;
    void run.finally(() => (finished = true));
    let rounds = 0;
    while (!finished) {
      await withCache(dir, (c) => gcCache(c));
      rounds++;
    }
    const result = await run;
    expect(result.ok).toBe(true);
    expect(rounds).toBeGreaterThan(5);
    expect(delayed).toBeGreaterThan(0);
    const entry = result.outcomes.get('wait')!.entry!;
    expect(Object.keys(entry.outputs.values)).toHaveLength(6);
    await withCache(dir, async (c) => {
      for (const e of await c.index.all()) for (const ref of entryBlobs(e)) expect(c.blobs.sizeOf(ref.hash)).toBe(ref.size);
      const v = await verifyCache(c);
      expect(v.evicted).toEqual([]);
      expect(v.corrupt).toEqual([]);
    });
    resetCalls();
    const again = await runPipeline({ file: slowFile, registry, cacheRoot: cacheDir, runsRoot: join(dir, 'runs') });
    expect(again.computed).toBe(0);
    expect(calls).toEqual({});
  });
});
