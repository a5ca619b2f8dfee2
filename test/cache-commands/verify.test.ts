// `cache verify`: corrupt and missing blobs are reported, removed with the entries that use them,
// and the next run recomputes exactly those stages.
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { verifyCache } from '../../src/store/verify.js';
import { calls, resetCalls } from '../fixtures/engine-stages.js';
import { cli, runIn, tempDir, withCache } from './helpers.js';

let dir: string;
let cacheDir: string;
beforeEach(() => {
  dir = tempDir();
  cacheDir = join(dir, 'cache');
  resetCalls();
});

describe('cache verify', () => {
  it('finds nothing wrong in a healthy cache', async () => {
    await runIn(dir);
    const r = await cli(['cache', 'verify', '--cache', cacheDir]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^checked 5 blobs \(\d+ B\) and 4 entries: all intact$/);
  });

  it('reports a corrupted blob, deletes it, evicts its entry, and the next run recomputes it', async () => {
    const first = await runIn(dir);
    const numbers = first.outcomes.get('numbers')!.entry!;
    const blob = await withCache(dir, (c) => c.blobs.path(numbers.outputs.values.x.hash));
    const bytes = readFileSync(blob);
    bytes[bytes.length - 1] ^= 0xff; // same size: a stat cannot tell, only the hash
    writeFileSync(blob, bytes);

    const dry = await withCache(dir, (c) => verifyCache(c, { dryRun: true }));
    expect(dry.corrupt.map((x) => x.hash)).toEqual([numbers.outputs.values.x.hash]);
    expect(readFileSync(blob)).toEqual(bytes); // a dry run changes nothing

    const r = await cli(['cache', 'verify', '--cache', cacheDir]);
    expect(r.status).toBe(1);
    const short = numbers.key.slice(0, 10);
    expect(r.out).toContain(`corrupt blob ${numbers.outputs.values.x.hash.slice(0, 10)} (hash mismatch), used by ${short}`);
    expect(r.out).toContain(`evicted entry ${short} sequence engine/numbers`);
    expect(r.out).toMatch(/1 bad blob, 1 entry evicted; they will be recomputed/);
    await withCache(dir, async (c) => {
      expect(c.blobs.sizeOf(numbers.outputs.values.x.hash)).toBeUndefined();
      expect(await c.index.get(numbers.key)).toBeUndefined();
    });

    resetCalls();
    const second = await runIn(dir);
    expect(second.outcomes.get('numbers')!.status).toBe('miss');
    expect(calls).toEqual({ sequence: 1 }); // same values again: everything downstream still hits
    const clean = await cli(['cache', 'verify', '--cache', cacheDir]);
    expect(clean.status).toBe(0);
    expect(clean.out).toMatch(/all intact/);
  });

  it('reports a missing blob and a stray file, and evicts the entries that needed the blob', async () => {
    const first = await runIn(dir);
    const sum = first.outcomes.get('sum')!.entry!;
    await withCache(dir, (c) => rmSync(c.blobs.path(sum.pictures.strip.hash)));
    mkdirSync(join(cacheDir, 'blobs', 'zz'), { recursive: true });
    writeFileSync(join(cacheDir, 'blobs', 'zz', 'junk'), 'x');
    const r = await withCache(dir, (c) => verifyCache(c));
    // raw-sum draws the same strip (16 values): both entries lose their picture.
    expect(r.missing).toEqual([{ hash: sum.pictures.strip.hash, reason: 'missing', usedBy: expect.arrayContaining([sum.key]) }]);
    expect(r.evicted.map((e) => e.stageId).sort()).toEqual(['raw-sum', 'sum']);
    expect(r.corrupt).toEqual([expect.objectContaining({ hash: 'zzjunk', reason: expect.stringMatching(/not a blob name/) })]);
    resetCalls();
    await runIn(dir);
    expect(calls).toEqual({ total: 2 });
  });
});
