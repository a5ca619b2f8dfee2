// A damaged, full or read-only cache as a user meets it: `pipeline run experiments/smoke.yaml` in a
// child process. Damage found before computing stops the run before any stage runs; damage found
// later fails the stage, names the path, and leaves nothing half-written.
//
// The full and read-only cases need a tmpfs (the tests run as root, where permissions cannot be
// tested); where mounting is not allowed they are skipped, and test/store/dir-blobs.test.ts covers
// the same errors by injection.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'src', 'cli', 'main.js');
const smoke = join(root, 'experiments', 'smoke.yaml');
let work: string;
/** A cache the smoke pipeline has filled, copied by the tests that damage one. */
let filled: string;

function pipeline(cache: string, runs: string, ...args: string[]) {
  const r = spawnSync('node', [main, ...args, '--cache', cache, ...(args[0] === 'run' ? ['--runs', runs] : [])], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: r.status, out: r.stdout, err: r.stderr, all: r.stdout + r.stderr };
}
const run = (cache: string, runs: string) => pipeline(cache, runs, 'run', smoke);
const runFolders = (runs: string) => (existsSync(join(runs, 'smoke')) ? readdirSync(join(runs, 'smoke')) : []);

function copyOfFilled(name: string): { cache: string; runs: string } {
  const cache = join(work, name, 'cache');
  cpSync(filled, cache, { recursive: true });
  return { cache, runs: join(work, name, 'runs') };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'pipeline-damage-cli-'));
  filled = join(work, 'filled');
  const r = run(filled, join(work, 'filled-runs'));
  expect(r.status, r.all).toBe(0);
});

describe('a damaged index', () => {
  it('garbled header: the run stops before computing, naming the file and --repair; verify --repair fixes it; the next run succeeds', () => {
    const { cache, runs } = copyOfFilled('garbled');
    const index = join(cache, 'index.sqlite');
    const fd = openSync(index, 'r+');
    writeSync(fd, Buffer.alloc(200, 0x5a), 0, 200, 0);
    closeSync(fd);

    const r = run(cache, runs);
    expect(r.status).toBe(1);
    expect(r.err).toContain(`error: cache index ${index} is not an SQLite database`);
    expect(r.err).toContain('`pipeline cache verify --repair`');
    expect(r.out).not.toMatch(/done|cached/);
    expect(runFolders(runs)).toEqual([]);

    const fix = pipeline(cache, runs, 'cache', 'verify', '--repair');
    expect(fix.status).toBe(1);
    expect(fix.out).toMatch(/moved it aside to .*index\.sqlite\.damaged-\S+ and started an empty index/);
    expect(readdirSync(cache).filter((n) => n.startsWith('index.sqlite.damaged-'))).toHaveLength(1);

    const again = run(cache, runs);
    expect(again.status, again.all).toBe(0);
    expect(runFolders(runs)).toHaveLength(1);
  });
});

describe('a garbled index row', () => {
  it('fails the stage that needs it, naming it; verify removes it; the next run recomputes it', () => {
    const { cache, runs } = copyOfFilled('row');
    const key = JSON.parse(pipeline(cache, runs, 'cache', 'ls', '--json').out).entries.find((e: { stageType: string }) => e.stageType === 'load').key;
    execFileSync('node', ['--input-type=module', '-e', garbleRowScript(join(cache, 'index.sqlite'), key)], { cwd: root });
    const r = run(cache, runs);
    expect(r.status).toBe(1);
    expect(r.all).toMatch(new RegExp(`stage data failed: cache entry ${key.slice(0, 12)} in .*index\\.sqlite is unreadable \\(not JSON`));
    const verify = pipeline(cache, runs, 'cache', 'verify');
    expect(verify.out).toContain(`unreadable entry ${key.slice(0, 10)}`);
    expect(run(cache, runs).status).toBe(0);
  });
});

const garbleRowScript = (file: string, key: string) => `
  import KeyvSqlite from '@keyv/sqlite';
  const db = new KeyvSqlite({ uri: ${JSON.stringify(`sqlite://${file}`)}, table: 'test_helper' });
  await db.query("UPDATE keyv SET value = '{not json' WHERE key = 'entries:${key}'");
  await db.disconnect();`;

describe('a folder in place of a blob', () => {
  it('fails the run with an error naming the path; the entry and the folder are still there', () => {
    const { cache, runs } = copyOfFilled('eisdir');
    const entries = JSON.parse(pipeline(cache, runs, 'cache', 'ls', '--json').out).entries as { key: string; stageType: string }[];
    const load = entries.find((e) => e.stageType === 'load')!;
    const show = JSON.parse(pipeline(cache, runs, 'cache', 'show', load.key, '--json').out) as { outputs: { blob: string }[] };
    const blob = show.outputs[0].blob;
    const path = join(cache, 'blobs', blob.slice(0, 2), blob.slice(2));
    rmSync(path);
    mkdirSync(path);

    const r = run(cache, runs);
    expect(r.status).toBe(1);
    expect(r.all).toContain(`stage data failed: cannot read cache blob ${path}: not a regular file (a directory); nothing was deleted`);
    expect(statSync(path).isDirectory()).toBe(true);
    const after = JSON.parse(pipeline(cache, runs, 'cache', 'ls', '--json').out).entries as { key: string }[];
    expect(after.map((e) => e.key).sort()).toEqual(entries.map((e) => e.key).sort());
  });
});

/** A small tmpfs at `dir`, or the reason it cannot be had here. */
function mountTmpfs(dir: string, size: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0
    ? undefined
    : `cannot mount a tmpfs (${(r.stderr || r.error?.message || '').trim()}): skipped; test/store/dir-blobs.test.ts injects the same errors`;
}
const mounted: string[] = [];
afterAll(() => {
  for (const m of mounted.reverse()) spawnSync('umount', [m]).status === 0 || spawnSync('umount', ['-l', m]);
});

describe('a full disk (tmpfs of 2 MB)', () => {
  it('fails the stages it cannot store with an error naming the path, leaves no temp file; a disk with no room at all stops the run before computing', (ctx) => {
    const mnt = join(work, 'full');
    const why = mountTmpfs(mnt, '2m');
    if (why) return ctx.skip(why);
    mounted.push(mnt);
    const cache = join(mnt, 'cache');
    const runs = join(work, 'full-runs');

    const r = run(cache, runs); // the smoke cache needs about 2.4 MB
    expect(r.status).toBe(1);
    expect(r.all).toMatch(
      new RegExp(`failed: cannot store cache blob [0-9a-f]{12} \\(\\d+ bytes\\) at ${cache}/blobs/\\S+: no space left on the device \\(ENOSPC\\)`),
    );
    expect(readdirSync(join(cache, 'tmp'))).toEqual([]);
    expect(emptyFiles(cache)).toEqual([]);
    // What was stored is whole: every entry's blobs are there at their recorded size.
    const verify = pipeline(cache, runs, 'cache', 'verify', '--dry-run');
    expect(verify.status, verify.all).toBe(0);

    const before = runFolders(runs);
    fillUp(join(mnt, 'filler'));
    const full = run(cache, runs);
    expect(full.status).toBe(1);
    expect(full.err).toContain(`error: cannot write to the cache folder ${cache}: no space left on the device (ENOSPC)`);
    expect(full.out).not.toMatch(/done|cached/);
    expect(runFolders(runs)).toEqual(before);
    expect(readdirSync(join(cache, 'tmp'))).toEqual([]);
    expect(emptyFiles(cache)).toEqual([]);
  });
});

/** Zero-byte files anywhere under `dir`: what a write that failed half-way would leave. */
function emptyFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && statSync(join(d.parentPath, d.name)).size === 0)
    .map((d) => join(d.parentPath, d.name));
}

/** Write until the file system is full. */
function fillUp(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (;;) writeSync(fd, Buffer.alloc(64 * 1024));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

describe('a read-only cache root (tmpfs remounted read-only)', () => {
  it('stops the run before computing, naming the root; ls still reads it', (ctx) => {
    const mnt = join(work, 'ro');
    const why = mountTmpfs(mnt, '8m');
    if (why) return ctx.skip(why);
    mounted.push(mnt);
    const cache = join(mnt, 'cache');
    cpSync(filled, cache, { recursive: true });
    writeFileSync(join(mnt, 'marker'), 'x');
    const ro = spawnSync('mount', ['-o', 'remount,ro', mnt], { encoding: 'utf8' });
    if (ro.status !== 0) return ctx.skip(`cannot remount read-only (${ro.stderr.trim()}): skipped`);
    try {
      const runs = join(work, 'ro-runs');
      const r = run(cache, runs);
      expect(r.status).toBe(1);
      expect(r.err).toContain(`error: cannot write to the cache folder ${cache}: the file system is read-only (EROFS)`);
      expect(r.out).not.toMatch(/done|cached/);
      expect(runFolders(runs)).toEqual([]);
      const ls = pipeline(cache, runs, 'cache', 'ls');
      expect(ls.status, ls.all).toBe(0);
      expect(ls.out).toMatch(/^7 entries/m);
    } finally {
      spawnSync('mount', ['-o', 'remount,rw', mnt]);
    }
  });
});
