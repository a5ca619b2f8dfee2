// The blob directory: only "not found" is missing, any other read failure is an error that names
// the path and deletes nothing (here or in RunCache), and a failed write leaves no temp file.
import { lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobReadError, CorruptBlobError } from '../../src/store/blob-store.js';
import { DirBlobStore } from '../../src/store/dir-blobs.js';
import { RunCache } from '../../src/store/run-cache.js';
import type { RawTensor } from '../../src/store/tensor-bytes.js';
import { fakeEntry, tempRoot } from './helpers.js';

const raw = (n: number, fill = 7): RawTensor => ({ dtype: 'uint8', shape: [n], bytes: new Uint8Array(n).fill(fill) });
const errno = (code: string) => Object.assign(new Error(`${code}: injected, write`), { code });

/** Writes through the seam a real disk would fail at: at most `chunk` bytes a call, and an error
 * (or a call that writes nothing) once `failAt` calls have gone through. */
class FlakyDisk extends DirBlobStore {
  calls = 0;
  constructor(
    root: string,
    private readonly opts: { chunk?: number; failAt?: number; error?: Error | 'nothing' },
  ) {
    super(root);
  }
  protected override writeSome(fd: number, data: Uint8Array, offset: number): number {
    if (this.opts.failAt !== undefined && this.calls++ >= this.opts.failAt) {
      if (this.opts.error === 'nothing') return 0;
      throw this.opts.error;
    }
    const n = Math.min(this.opts.chunk ?? Infinity, data.byteLength - offset);
    return super.writeSome(fd, data.subarray(0, offset + n), offset);
  }
}

describe('DirBlobStore reads', () => {
  it('a folder where a blob should be is an error naming the path, not a missing blob', () => {
    const store = new DirBlobStore(tempRoot());
    const { hash } = store.put(raw(100));
    rmSync(store.path(hash));
    mkdirSync(store.path(hash));
    expect(() => store.sizeOf(hash)).toThrow(BlobReadError);
    expect(() => store.sizeOf(hash)).toThrow(`cannot read cache blob ${store.path(hash)}: not a regular file (a directory)`);
    const err = (() => {
      try {
        store.get(hash);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BlobReadError);
    expect(err).not.toBeInstanceOf(CorruptBlobError);
    expect(statSync(store.path(hash)).isDirectory()).toBe(true);
  });

  it('any other error of the path (here ELOOP: root passes every permission check) is an error too', () => {
    const store = new DirBlobStore(tempRoot());
    const { hash } = store.put(raw(100));
    rmSync(store.path(hash));
    symlinkSync(store.path(hash), store.path(hash)); // a link to itself
    expect(() => store.sizeOf(hash)).toThrow(BlobReadError);
    expect(() => store.sizeOf(hash)).toThrow(/ELOOP/);
    expect(() => store.get(hash)).toThrow(BlobReadError);
    expect(lstatSync(store.path(hash)).isSymbolicLink()).toBe(true);
  });

  it('not found (ENOENT, or ENOTDIR when a file stands where its folder should be) is missing', () => {
    const root = tempRoot();
    const store = new DirBlobStore(root);
    const hash = 'ab'.repeat(32);
    expect(store.sizeOf(hash)).toBeUndefined();
    expect(() => store.get(hash)).toThrow(new CorruptBlobError(hash, 'missing'));
    mkdirSync(join(root, 'blobs'));
    writeFileSync(join(root, 'blobs', 'ab'), 'a file, not a folder');
    expect(store.sizeOf(hash)).toBeUndefined();
    expect(() => store.get(hash)).toThrow(/missing/);
    expect(store.touch(hash)).toBe(false);
  });
});

describe('DirBlobStore writes', () => {
  it('short writes are continued: the stored blob is whole', () => {
    const store = new FlakyDisk(tempRoot(), { chunk: 7 });
    const { hash, size } = store.put(raw(1000, 3));
    expect(store.sizeOf(hash)).toBe(size);
    expect(Buffer.from(store.get(hash).bytes)).toEqual(Buffer.from(raw(1000, 3).bytes));
  });

  it.each([
    ['ENOSPC', errno('ENOSPC'), /no space left on the device \(ENOSPC\); free some space/],
    ['EIO', errno('EIO'), /an I\/O error/],
    ['EROFS', errno('EROFS'), /the file system is read-only \(EROFS\)/],
    ['a write that stores nothing', 'nothing' as const, /write stored nothing/],
  ])('%s part-way through: an error naming the blob path, and no temp file or blob left', (_, error, message) => {
    const root = tempRoot();
    const store = new FlakyDisk(root, { chunk: 64, failAt: 3, error });
    const tensor = raw(5000);
    const { hash: expected, size } = new DirBlobStore(tempRoot()).put(tensor);
    expect(() => store.put(tensor)).toThrow(message);
    expect(() => store.put(tensor)).toThrow(`cannot store cache blob ${expected.slice(0, 12)} (${size} bytes) at ${store.path(expected)}: `);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
    expect(store.sizeOf(expected)).toBeUndefined();
  });

  it('check() names a cache folder that cannot be written', () => {
    const root = tempRoot();
    writeFileSync(join(root, 'tmp'), 'a file where the tmp folder should be');
    expect(() => new DirBlobStore(root).check()).toThrow(`cannot write to the cache folder ${join(root, 'tmp')}`);
  });
});

describe('RunCache keeps what it could not read', () => {
  /** A cache with one entry whose output and picture are stored; `damage` then works on its files. */
  async function cacheWithEntry() {
    const root = tempRoot();
    const cache = RunCache.local(root);
    const out = cache.blobs.put(raw(64, 1));
    const pic = cache.blobs.put({ dtype: 'uint8', shape: [2, 2], bytes: new Uint8Array(4) });
    const entry = fakeEntry('cd'.repeat(32), { values: { x: out } }, { strip: pic });
    await cache.index.set(entry);
    return { cache, entry, out, pic };
  }

  it.each(['output', 'picture'] as const)('a folder in place of an %s blob: lookup throws, entry and folder stay', async (which) => {
    const { cache, entry, out, pic } = await cacheWithEntry();
    const path = cache.blobs.path(which === 'output' ? out.hash : pic.hash);
    rmSync(path);
    mkdirSync(path);
    try {
      await expect(cache.lookup(entry.key)).rejects.toThrow(`cannot read cache blob ${path}`);
      await expect(cache.peek(entry.key)).rejects.toThrow(BlobReadError);
      if (which === 'output') await expect(cache.loadArtifact(entry, 'values')).rejects.toThrow(BlobReadError);
      expect(await cache.index.get(entry.key)).toMatchObject({ key: entry.key });
      expect(statSync(path).isDirectory()).toBe(true);
    } finally {
      await cache.close();
    }
  });

  it('a blob path that fails to stat (ELOOP): lookup throws, the entry and the path stay', async () => {
    const { cache, entry, out } = await cacheWithEntry();
    const path = cache.blobs.path(out.hash);
    rmSync(path);
    symlinkSync(path, path);
    try {
      await expect(cache.lookup(entry.key)).rejects.toThrow(`cannot read cache blob ${path}`);
      expect(await cache.index.get(entry.key)).toMatchObject({ key: entry.key });
      expect(lstatSync(path).isSymbolicLink()).toBe(true);
    } finally {
      await cache.close();
    }
  });

  it('a missing blob still drops the entry (the behaviour the errors above must not fall into)', async () => {
    const { cache, entry, out } = await cacheWithEntry();
    try {
      rmSync(cache.blobs.path(out.hash));
      expect(await cache.lookup(entry.key)).toBeUndefined();
      expect(await cache.index.get(entry.key)).toBeUndefined();
    } finally {
      await cache.close();
    }
  });

  it('check() fails before any work when the cache root cannot be written, and closes the cache', async () => {
    const root = tempRoot();
    const cache = RunCache.local(root);
    writeFileSync(join(root, 'blobs'), 'a file where the blobs folder should be');
    await expect(cache.check()).rejects.toThrow(`cannot write to the cache folder ${join(root, 'blobs')}`);
  });
});
