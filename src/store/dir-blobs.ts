// The blob store as a directory: blobs/<first two hex digits>/<the rest>. Writes go to a temp file
// in tmp/ and are renamed into place, so a crash never leaves a half-written blob under a real
// name; reads re-hash, so a blob altered on disk is detected and never used.
//
// Only "not found" means missing. Any other failure to read (a directory where a blob should be,
// no permission, too many open files, an I/O error) is a BlobReadError: callers drop entries and
// blobs for missing or corrupt blobs, and must not for a blob they merely failed to read.
import { closeSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync, type Stats } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { BlobReadError, CorruptBlobError, type BlobFile, type BlobRef, type BlobStore } from './blob-store.js';
import { CacheIOError, describeFsError, errnoOf, makeDir, probeWritable } from './disk.js';
import { OWNER } from './owner.js';
import type { RawTensor, StoredDtype } from './tensor-bytes.js';

const MAGIC = 'PLTB1\n';

/** ENOTDIR: a file stands where a folder on the way should be, so the blob is not there either. */
const isMissing = (err: unknown): boolean => errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR';

const kindOf = (st: Stats): string => (st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link' : st.isFIFO() ? 'a FIFO' : 'a special file');

/** Clean up after a failed write. Cleanup errors are dropped: the write error is the one to report. */
function discard(fd: number | undefined, tmp: string): void {
  try {
    if (fd !== undefined) closeSync(fd);
  } catch {
    // closing a file whose write failed may fail the same way
  }
  try {
    rmSync(tmp, { force: true });
  } catch {
    // nothing there, or a file system that refuses everything now
  }
}

export class DirBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  path(hash: string): string {
    return join(this.root, 'blobs', hash.slice(0, 2), hash.slice(2));
  }

  /** Store a tensor; returns its content hash and size. Existing blobs are not rewritten. On any
   * failure the temp file is removed: a failed put leaves nothing behind. */
  put(raw: RawTensor): BlobRef {
    // Padded to 8 bytes so the data that follows can be viewed in place as a typed array.
    const meta = `${MAGIC}${JSON.stringify({ dtype: raw.dtype, shape: raw.shape })}`;
    const header = Buffer.from(`${meta.padEnd(Math.ceil((meta.length + 1) / 8) * 8 - 1)}\n`);
    const hash = createHash('sha256').update(header).update(raw.bytes).digest('hex');
    const size = header.length + raw.bytes.byteLength;
    const dest = this.path(hash);
    if (this.sizeOf(hash) === size) return { hash, size };
    const tmp = join(this.root, 'tmp', `${hash}.${OWNER}.${randomBytes(4).toString('hex')}`);
    let fd: number | undefined;
    try {
      makeDir(dirname(tmp));
      makeDir(dirname(dest));
      fd = openSync(tmp, 'w');
      this.writeAll(fd, header);
      this.writeAll(fd, raw.bytes);
      closeSync(fd);
      fd = undefined;
      renameSync(tmp, dest);
    } catch (err) {
      discard(fd, tmp);
      throw new CacheIOError(dest, `cannot store cache blob ${hash.slice(0, 12)} (${size} bytes) at`, err);
    }
    return { hash, size };
  }

  /** A write may store only part of the bytes (a nearly full disk writes what fits; the next call
   * fails): keep writing until all are written or an error says why not. */
  protected writeAll(fd: number, data: Uint8Array): void {
    for (let done = 0; done < data.byteLength; ) {
      const n = this.writeSome(fd, data, done);
      if (n <= 0) throw new Error(`write stored nothing (${done} of ${data.byteLength} bytes written)`);
      done += n;
    }
  }

  /** One write call: the seam tests use to inject short writes and errors. */
  protected writeSome(fd: number, data: Uint8Array, offset: number): number {
    return writeSync(fd, data, offset, data.byteLength - offset);
  }

  /** Size on disk, or undefined when the blob is missing. */
  sizeOf(hash: string): number | undefined {
    const path = this.path(hash);
    let st: Stats;
    try {
      st = statSync(path);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw new BlobReadError(hash, path, describeFsError(err), { cause: err });
    }
    if (!st.isFile()) throw new BlobReadError(hash, path, `not a regular file (${kindOf(st)})`);
    return st.size;
  }

  /** Read and verify a blob; throws CorruptBlobError when its bytes do not match its name. */
  get(hash: string): RawTensor {
    // A stat first: reading a FIFO would block, and a directory is not "missing".
    if (this.sizeOf(hash) === undefined) throw new CorruptBlobError(hash, 'missing');
    const path = this.path(hash);
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch (err) {
      if (isMissing(err)) throw new CorruptBlobError(hash, 'missing'); // gone since the stat
      throw new BlobReadError(hash, path, describeFsError(err), { cause: err });
    }
    if (createHash('sha256').update(buf).digest('hex') !== hash) throw new CorruptBlobError(hash, 'hash mismatch');
    const end = buf.indexOf(0x0a, MAGIC.length);
    if (!buf.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC)) || end < 0) {
      throw new CorruptBlobError(hash, 'bad header');
    }
    let meta: { dtype: StoredDtype; shape: number[] };
    try {
      meta = JSON.parse(buf.subarray(MAGIC.length, end).toString('utf8'));
    } catch {
      throw new CorruptBlobError(hash, 'bad header');
    }
    return { dtype: meta.dtype, shape: meta.shape, bytes: buf.subarray(end + 1) };
  }

  /** Removes a blob file; never a folder (rmSync without `recursive` refuses one). */
  remove(hash: string): void {
    rmSync(this.path(hash), { force: true });
  }

  touch(hash: string): boolean {
    const now = new Date();
    try {
      utimesSync(this.path(hash), now, now);
      return true;
    } catch (err) {
      if (!isMissing(err)) throw new CacheIOError(this.path(hash), 'cannot stamp cache blob', err);
      return false;
    }
  }

  /** Every name under blobs/, two levels down. A file at the first level is listed under its own
   * name (not a blob name, so verify reports it). Dot-files are writability probes (check). */
  list(): BlobFile[] {
    const root = join(this.root, 'blobs');
    const out: BlobFile[] = [];
    let dirs: string[];
    try {
      dirs = readdirSync(root);
    } catch (err) {
      if (isMissing(err)) return out;
      throw new CacheIOError(root, 'cannot list cache blobs in', err);
    }
    for (const d of dirs.sort()) {
      if (d.startsWith('.')) continue;
      let names: string[];
      try {
        names = readdirSync(join(root, d));
      } catch (err) {
        if (errnoOf(err) === 'ENOTDIR') out.push({ hash: d, path: join(root, d) });
        else if (errnoOf(err) !== 'ENOENT') throw new CacheIOError(join(root, d), 'cannot list cache blobs in', err);
        continue;
      }
      for (const n of names.sort()) out.push({ hash: d + n, path: join(root, d, n) });
    }
    return out;
  }

  check(): void {
    probeWritable(join(this.root, 'tmp'));
    probeWritable(join(this.root, 'blobs'));
  }
}
