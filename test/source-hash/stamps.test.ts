// Source-data hashes kept in the cache index by file stamp (keys/source-files.ts): reused while
// size, mtime, ctime, inode and device are unchanged, never for a file rewritten in place (even
// with its mtime put back), re-read with rehash, and a wrong or damaged record costs a read,
// never a wrong hash.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/keys/hash.js';
import { SourceFiles, sourceFileReads } from '../../src/keys/source-files.js';
import type { StageDef } from '../../src/sdk/stage.js';
import { SqliteIndex } from '../../src/store/sqlite-index.js';
import { fakeEntry, rowCount, sql, tempRoot } from '../store/helpers.js';
import { copiedMnist, IDX, rewriteInPlace, settle, stampRows } from './helpers.js';

/** A stage declaring the four IDX files of a folder (the shape of `load`'s files()). */
const stage = {
  type: 'idx',
  files: (p: { dir: string }) => Object.fromEntries(IDX.map((f) => [f, [join(p.dir, f)]])),
} as unknown as StageDef;

let data: string;
beforeAll(async () => {
  data = copiedMnist();
  await settle();
});

const open: SqliteIndex[] = [];
afterEach(async () => {
  for (const i of open.splice(0)) await i.close();
});
function index(root = tempRoot()): { idx: SqliteIndex; file: string; root: string } {
  const idx = new SqliteIndex(root);
  open.push(idx);
  return { idx, file: join(root, 'index.sqlite'), root };
}

/** The hashes, and how many files were read to get them. */
async function hashed(sources: SourceFiles, dir = data): Promise<{ hashes: Record<string, string>; reads: number }> {
  const before = sourceFileReads();
  const { hashes } = await sources.hashes(stage, { dir });
  return { hashes, reads: sourceFileReads() - before };
}

const truth = (dir = data) => Object.fromEntries(IDX.map((f) => [f, sha256(readFileSync(join(dir, f)))]));

describe('file stamps in the index', () => {
  it('a second run (a new SourceFiles on the same index) reads no file and gets the same hashes', async () => {
    const { idx } = index();
    const first = await hashed(new SourceFiles({ store: idx, record: true }));
    expect(first.reads).toBe(4);
    expect(first.hashes).toEqual(truth());
    const second = await hashed(new SourceFiles({ store: idx, record: true }));
    expect(second.reads).toBe(0);
    expect(second.hashes).toEqual(first.hashes);
  });

  it('a file rewritten in place, same size and inode, mtime restored, is read again (its ctime moved)', async () => {
    const dir = copiedMnist();
    await settle();
    const { idx, file } = index();
    const before = await hashed(new SourceFiles({ store: idx, record: true }), dir);
    const old = (await stampRows(file)).find((r) => r.path.endsWith('t10k-labels-idx1-ubyte'))!;
    rewriteInPlace(join(dir, 't10k-labels-idx1-ubyte'), 100);
    await settle(); // past the racy window: only the stamp can tell the file changed
    const after = await hashed(new SourceFiles({ store: idx, record: true }), dir);
    expect(after.reads).toBe(1);
    expect(after.hashes['t10k-labels-idx1-ubyte']).not.toBe(before.hashes['t10k-labels-idx1-ubyte']);
    expect(after.hashes).toEqual(truth(dir));
    const now = (await stampRows(file)).find((r) => r.path.endsWith('t10k-labels-idx1-ubyte'))!;
    // size:mtime:ctime:inode:device: only the ctime differs, and the record follows the file.
    const [os, om, oc, oi, od] = old.stamp.split(':');
    const [ns, nm, nc, ni, nd] = now.stamp.split(':');
    expect([ns, nm, ni, nd]).toEqual([os, om, oi, od]);
    expect(nc).not.toBe(oc);
    expect(now.hash).toBe(after.hashes['t10k-labels-idx1-ubyte']);
  });

  it('a file changed moments ago is read every time, and no stamp is recorded for it', async () => {
    const dir = copiedMnist(); // not settled
    const { idx, file } = index();
    expect((await hashed(new SourceFiles({ store: idx, record: true }), dir)).reads).toBe(4);
    expect(await stampRows(file).catch(() => [])).toEqual([]);
    expect((await hashed(new SourceFiles({ store: idx, record: true }), dir)).reads).toBe(4);
  });

  it('rehash reads every file once, even when stamps are recorded, and records them anew', async () => {
    const { idx, file } = index();
    await hashed(new SourceFiles({ store: idx, record: true }));
    await sql(file, `UPDATE file_hashes SET hash = '${'f'.repeat(64)}'`); // wrong records
    const sources = new SourceFiles({ store: idx, record: true, rehash: true });
    const first = await hashed(sources);
    expect(first.reads).toBe(4);
    expect(first.hashes).toEqual(truth());
    expect((await hashed(sources)).reads).toBe(0); // once per run, not once per stage instance
    expect(new Set((await stampRows(file)).map((r) => r.hash))).toEqual(new Set(Object.values(truth())));
  });

  it('plan and why record nothing (record: false), yet use the stamps a run recorded', async () => {
    const { idx, file } = index();
    await hashed(new SourceFiles({ store: idx, record: false }));
    expect(await stampRows(file).catch(() => [])).toEqual([]);
    await hashed(new SourceFiles({ store: idx, record: true }));
    expect((await hashed(new SourceFiles({ store: idx, record: false }))).reads).toBe(0);
  });

  it('a damaged record is no record: the file is read and the row written over', async () => {
    const { idx, file } = index();
    await hashed(new SourceFiles({ store: idx, record: true }));
    const [one, two, three] = (await stampRows(file)).map((r) => r.path);
    await sql(
      file,
      `UPDATE file_hashes SET hash = 'not a hash' WHERE path = '${one}'`,
      `UPDATE file_hashes SET hash = 42 WHERE path = '${two}'`,
      `UPDATE file_hashes SET stamp = 'garbage' WHERE path = '${three}'`,
    );
    const again = await hashed(new SourceFiles({ store: idx, record: true }));
    expect(again.reads).toBe(3);
    expect(again.hashes).toEqual(truth());
    expect(new Set((await stampRows(file)).map((r) => r.hash))).toEqual(new Set(Object.values(truth())));
    expect((await hashed(new SourceFiles({ store: idx, record: true }))).reads).toBe(0);
  });

  it('a record that names the wrong bytes is caught when the stage computes: forCompute reads, reports it and corrects the record', async () => {
    const { idx, file } = index();
    await hashed(new SourceFiles({ store: idx, record: true }));
    const wrong = 'e'.repeat(64);
    const target = (await stampRows(file)).find((r) => r.path.endsWith('train-labels-idx1-ubyte'))!.path;
    await sql(file, `UPDATE file_hashes SET hash = '${wrong}' WHERE path = '${target}'`);
    const sources = new SourceFiles({ store: idx, record: true });
    const { hashes } = await hashed(sources);
    expect(hashes['train-labels-idx1-ubyte']).toBe(wrong); // the key would name the wrong bytes...
    const before = sourceFileReads();
    const checked = await sources.forCompute(stage, { dir: data }, hashes);
    expect(sourceFileReads() - before).toBe(4); // ...but computing reads them all
    expect(checked.changed).toEqual(['train-labels-idx1-ubyte']);
    expect(checked.files.hashes).toEqual(truth());
    expect(checked.files.files['train-labels-idx1-ubyte'].bytes.length).toBe(60008);
    expect((await stampRows(file)).find((r) => r.path === target)!.hash).toBe(truth()['train-labels-idx1-ubyte']);
    // Without bytes (a worker reads them): files this run hashed from bytes are not read again.
    const again = await sources.forCompute(stage, { dir: data }, checked.files.hashes, undefined, false);
    expect(again.changed).toEqual([]);
    expect(again.files.files).toEqual({});
  });

  it('a missing file fails as before, naming the candidates', async () => {
    const { idx } = index();
    const err = await new SourceFiles({ store: idx, record: true }).hashes(stage, { dir: join(data, 'nowhere') }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`idx: missing file "${IDX[0]}": looked for ${join(data, 'nowhere', IDX[0])}`);
  });

  it('stamps live in a table of their own: entries, scans and row counts see entries only', async () => {
    const { idx, file } = index();
    await idx.set(fakeEntry('a'.repeat(64)));
    await hashed(new SourceFiles({ store: idx, record: true }));
    expect((await idx.scan()).entries.map((e) => e.key)).toEqual(['a'.repeat(64)]);
    expect((await idx.scan()).damaged).toEqual([]);
    expect(await rowCount(file)).toBe(1);
    expect((await stampRows(file)).length).toBe(4);
    await idx.check();
  });

  it('an index without the stamp table (made before stamps, or read-only) has no stamps', async () => {
    const { idx } = index();
    expect(await idx.fileHash('/some/file', '1:2:3:4:5')).toBeUndefined();
    await idx.setFileHash('/some/file', '1:2:3:4:5', 'a'.repeat(64));
    expect(await idx.fileHash('/some/file', '1:2:3:4:5')).toBe('a'.repeat(64));
    expect(await idx.fileHash('/some/file', '1:2:3:4:6')).toBeUndefined();
    await idx.setFileHash('/some/file', '1:2:3:4:6', 'b'.repeat(64)); // one record per path
    expect(await idx.fileHash('/some/file', '1:2:3:4:5')).toBeUndefined();
    expect(await idx.fileHash('/some/file', '1:2:3:4:6')).toBe('b'.repeat(64));
  });

  it('a store without stamp methods (another index) reads every file', async () => {
    const sources = new SourceFiles({ store: {}, record: true });
    expect((await hashed(sources)).reads).toBe(4);
    expect((await hashed(new SourceFiles({ store: {}, record: true }))).reads).toBe(4);
  });
});
