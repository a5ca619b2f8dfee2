// The blob store as a directory: blobs/<first two hex digits>/<the rest>. Writes go to a temp file
// in tmp/ and are renamed into place, so a crash never leaves a half-written blob under a real
// name; reads re-hash, so a blob altered on disk is detected and never used.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CorruptBlobError, type BlobFile, type BlobRef, type BlobStore } from './blob-store.js';
import type { RawTensor, StoredDtype } from './tensor-bytes.js';

const MAGIC = 'PLTB1\n';

export class DirBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  path(hash: string): string {
    return join(this.root, 'blobs', hash.slice(0, 2), hash.slice(2));
  }

  /** Store a tensor; returns its content hash and size. Existing blobs are not rewritten. */
  put(raw: RawTensor): BlobRef {
    // Padded to 8 bytes so the data that follows can be viewed in place as a typed array.
    const meta = `${MAGIC}${JSON.stringify({ dtype: raw.dtype, shape: raw.shape })}`;
    const header = Buffer.from(`${meta.padEnd(Math.ceil((meta.length + 1) / 8) * 8 - 1)}\n`);
    const hash = createHash('sha256').update(header).update(raw.bytes).digest('hex');
    const size = header.length + raw.bytes.byteLength;
    const dest = this.path(hash);
    if (this.sizeOf(hash) === size) return { hash, size };
    mkdirSync(join(this.root, 'tmp'), { recursive: true });
    mkdirSync(join(this.root, 'blobs', hash.slice(0, 2)), { recursive: true });
    const tmp = join(this.root, 'tmp', `${hash}.${randomBytes(4).toString('hex')}`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, header);
      writeSync(fd, raw.bytes);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, dest);
    return { hash, size };
  }

  /** Size on disk, or undefined when the blob is missing. */
  sizeOf(hash: string): number | undefined {
    try {
      return statSync(this.path(hash)).size;
    } catch {
      return undefined;
    }
  }

  /** Read and verify a blob; throws CorruptBlobError when its bytes do not match its name. */
  get(hash: string): RawTensor {
    let buf: Buffer;
    try {
      buf = readFileSync(this.path(hash));
    } catch {
      throw new CorruptBlobError(hash, 'missing');
    }
    if (createHash('sha256').update(buf).digest('hex') !== hash) throw new CorruptBlobError(hash, 'hash mismatch');
    const end = buf.indexOf(0x0a, MAGIC.length);
    if (!buf.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC)) || end < 0) {
      throw new CorruptBlobError(hash, 'bad header');
    }
    const meta = JSON.parse(buf.subarray(MAGIC.length, end).toString('utf8')) as { dtype: StoredDtype; shape: number[] };
    return { dtype: meta.dtype, shape: meta.shape, bytes: buf.subarray(end + 1) };
  }

  remove(hash: string): void {
    rmSync(this.path(hash), { force: true });
  }

  touch(hash: string): boolean {
    const now = new Date();
    try {
      utimesSync(this.path(hash), now, now);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return false;
    }
  }

  list(): BlobFile[] {
    const root = join(this.root, 'blobs');
    const out: BlobFile[] = [];
    let dirs: string[];
    try {
      dirs = readdirSync(root);
    } catch {
      return out;
    }
    for (const d of dirs.sort()) {
      let names: string[];
      try {
        names = readdirSync(join(root, d));
      } catch {
        continue; // not a folder
      }
      for (const n of names.sort()) out.push({ hash: d + n, path: join(root, d, n) });
    }
    return out;
  }
}
