// A damaged cache as the cache commands and a run see it, in-process on the engine fixture: an
// unreadable index row, a folder in place of a blob, a damaged index file, an index that refuses
// writes. Each is reported, and nothing that could not be read is deleted.
import { existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { calls, resetCalls } from '../fixtures/engine-stages.js';
import { rowCount, sql } from '../store/helpers.js';
import { cli, runIn, tempDir, withCache } from './helpers.js';

let dir: string;
let cacheDir: string;
let indexFile: string;
beforeEach(() => {
  dir = tempDir();
  cacheDir = join(dir, 'cache');
  indexFile = join(cacheDir, 'index.sqlite');
  resetCalls();
});

const garbleRow = (key: string) => sql(indexFile, `UPDATE keyv SET value = '{"value": {"key": "trunc' WHERE key = 'entries:${key}'`);

describe('an index row that is not an entry', () => {
  it('ls lists the rest and warns, a run fails that stage naming it, verify removes it, the next run recomputes it', async () => {
    const first = await runIn(dir);
    const sum = first.outcomes.get('sum')!.key!;
    await garbleRow(sum);

    const ls = await cli(['cache', 'ls', '--cache', cacheDir]);
    expect(ls.status).toBe(0);
    expect(ls.out).toMatch(/^3 entries/m);
    expect(ls.err).toContain(`warning: cache entry ${sum.slice(0, 10)} is unreadable (not JSON:`);
    expect(ls.err).toContain('1 unreadable entry not listed; `pipeline cache verify` removes it');
    expect(JSON.parse((await cli(['cache', 'ls', '--json', '--cache', cacheDir])).out).damaged).toEqual([
      { key: sum, reason: expect.stringMatching(/^not JSON/) },
    ]);
    const show = await cli(['cache', 'show', sum.slice(0, 8), '--cache', cacheDir]);
    expect(show.status).toBe(1);
    expect(show.err).toMatch(/cache entry [0-9a-f]{12} in .*index\.sqlite is unreadable/);

    const gc = await cli(['cache', 'gc', '--cache', cacheDir]);
    expect(gc.status).toBe(0);
    expect(gc.out).toContain('1 unreadable index entry left alone; `pipeline cache verify` removes them');

    resetCalls();
    const run = await runIn(dir);
    expect(run.ok).toBe(false);
    expect(run.outcomes.get('sum')!.status).toBe('failed');
    expect(run.outcomes.get('sum')!.error!.message).toMatch(
      new RegExp(`cache entry ${sum.slice(0, 12)} in ${indexFile} is unreadable .*pipeline cache verify`),
    );
    expect(run.outcomes.get('raw-sum')!.status).toBe('hit');
    expect(calls).toEqual({}); // neither a silent miss nor a recompute over the row
    expect(await rowCount(indexFile)).toBe(4);

    const dry = await cli(['cache', 'verify', '--dry-run', '--cache', cacheDir]);
    expect(dry.status).toBe(1);
    expect(dry.out).toContain(`unreadable entry ${sum.slice(0, 10)} (not JSON:`);
    expect(dry.out).toContain('would remove');
    expect(await rowCount(indexFile)).toBe(4);
    const verify = await cli(['cache', 'verify', '--cache', cacheDir]);
    expect(verify.status).toBe(1);
    expect(verify.out).toMatch(/and 4 entries: 1 unreadable entry removed$/);
    expect(await rowCount(indexFile)).toBe(3);

    resetCalls();
    const again = await runIn(dir);
    expect(again.ok).toBe(true);
    expect(calls).toEqual({ total: 1 });
    expect((await cli(['cache', 'verify', '--cache', cacheDir])).status).toBe(0);
  });
});

describe('a folder in place of a blob', () => {
  it('ls marks it, a run fails naming the path, gc and verify report it and leave it and its entry', async () => {
    const first = await runIn(dir);
    const numbers = first.outcomes.get('numbers')!.entry!;
    const path = await withCache(dir, (c) => c.blobs.path(numbers.outputs.values.x.hash));
    rmSync(path);
    mkdirSync(path);

    expect((await cli(['cache', 'ls', '--cache', cacheDir])).out).toMatch(new RegExp(`${numbers.key.slice(0, 10)} .*\\(1 unreadable\\)`));
    const run = await runIn(dir);
    expect(run.ok).toBe(false);
    expect(run.outcomes.get('numbers')!.error!.message).toBe(
      `cannot read cache blob ${path}: not a regular file (a directory); nothing was deleted: fix or remove it, then run \`pipeline cache verify\``,
    );

    const gc = await cli(['cache', 'gc', '--cache', cacheDir]);
    expect(gc.status).toBe(0);
    const verify = await cli(['cache', 'verify', '--cache', cacheDir]);
    expect(verify.status).toBe(1);
    expect(verify.out).toContain(
      `unreadable blob ${numbers.outputs.values.x.hash.slice(0, 10)} (not a regular file (a directory): ${path}), used by ${numbers.key.slice(0, 10)}: left in place`,
    );
    expect(verify.out).toMatch(/1 unreadable blob left in place$/);
    expect(statSync(path).isDirectory()).toBe(true);
    await withCache(dir, async (c) => expect(await c.index.get(numbers.key)).toBeDefined());

    // Unreferenced, gc still leaves it: it deletes only what it could read.
    await withCache(dir, (c) => c.index.delete(numbers.key));
    const gc2 = await cli(['cache', 'gc', '--cache', cacheDir]);
    expect(gc2.out).toContain(`left ${path} in place: not a regular file`);
    expect(statSync(path).isDirectory()).toBe(true);
  });
});

describe('a damaged index file', () => {
  it('verify without --repair names the file and --repair; --dry-run changes nothing; --repair moves it aside and keeps the blobs', async () => {
    await runIn(dir);
    const blobs = readdirSync(join(cacheDir, 'blobs')).length;
    const fd = openSync(indexFile, 'r+');
    writeSync(fd, Buffer.alloc(200, 0x5a), 0, 200, 0);
    closeSync(fd);

    const plain = await cli(['cache', 'verify', '--cache', cacheDir]);
    expect(plain.status).toBe(1);
    expect(plain.err).toContain(`error: cache index ${indexFile} is not an SQLite database`);
    expect(plain.err).toContain('`pipeline cache verify --repair` moves it aside');
    const ls = await cli(['cache', 'ls', '--cache', cacheDir]);
    expect(ls.status).toBe(1);
    expect(ls.err).toContain('verify --repair');

    const dry = await cli(['cache', 'verify', '--repair', '--dry-run', '--cache', cacheDir]);
    expect(dry.status).toBe(1);
    expect(dry.out).toContain('would move it aside and start an empty index (dry run)');
    expect(readdirSync(cacheDir).filter((n) => n.includes('damaged'))).toEqual([]);

    const fix = await cli(['cache', 'verify', '--repair', '--cache', cacheDir]);
    expect(fix.status).toBe(1);
    const moved = readdirSync(cacheDir).filter((n) => n.startsWith('index.sqlite.damaged-'));
    expect(moved).toHaveLength(1);
    expect(fix.out).toContain(`index ${indexFile} is not an SQLite database`);
    expect(fix.out).toContain(`moved it aside to ${join(cacheDir, moved[0])} and started an empty index; blobs are kept`);
    expect(readdirSync(join(cacheDir, 'blobs')).length).toBe(blobs);

    const after = await cli(['cache', 'verify', '--repair', '--cache', cacheDir]);
    expect(after.status).toBe(0);
    expect(after.out).toMatch(/and 0 entries: all intact$/);
    resetCalls();
    expect((await runIn(dir)).ok).toBe(true);
    expect(calls).toEqual({ sequence: 1, noisy: 1, total: 2 });
  });

  it('a run fails before computing anything, naming the file', async () => {
    await runIn(dir);
    rmSync(indexFile);
    mkdirSync(indexFile); // a folder in its place
    resetCalls();
    const err = await runIn(dir).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(new RegExp(`^cache index ${indexFile} cannot be opened .*SQLITE_CANTOPEN.*verify --repair`));
    expect(calls).toEqual({});
    expect(existsSync(join(dir, 'runs', 'engine'))).toBe(true); // the first run's folder
    expect(readdirSync(join(dir, 'runs', 'engine'))).toHaveLength(1);
  });
});

describe('an index that refuses writes', () => {
  it('fails every stage it could not store: the run is not ok', async () => {
    await runIn(dir, { set: ['numbers.n=4'] }); // creates the index
    await sql(indexFile, "CREATE TRIGGER no_insert BEFORE INSERT ON keyv BEGIN SELECT RAISE(ABORT, 'injected: index refuses writes'); END");
    const run = await runIn(dir);
    expect(run.ok).toBe(false);
    expect(run.outcomes.get('numbers')!.status).toBe('failed');
    expect(run.outcomes.get('numbers')!.error!.message).toMatch(new RegExp(`^cache index ${indexFile} failed \\(writing entry .*injected`));
    expect(run.manifest.status).toBe('failed');
  });
});
