// The blob store as the runner sees it: content-addressed tensors, named by the sha256 of their
// bytes. Today's implementation is a directory (dir-blobs.ts); a directory every worker mounts
// (NFS) is the same class at another path.
import type { RawTensor } from './tensor-bytes.js';

export interface BlobRef {
  hash: string;
  size: number;
}

export interface BlobFile {
  hash: string;
  path: string;
}

export class CorruptBlobError extends Error {
  constructor(
    readonly hash: string,
    readonly reason: 'missing' | 'hash mismatch' | 'bad header',
  ) {
    super(`cache blob ${hash.slice(0, 12)} is ${reason === 'missing' ? 'missing' : `corrupt (${reason})`}`);
  }
}

/** A blob is there but cannot be read: not a regular file, no permission, an I/O error. Unlike a
 * CorruptBlobError this says nothing about the blob's bytes, so nothing is deleted for it. */
export class BlobReadError extends Error {
  override name = 'BlobReadError';
  constructor(
    readonly hash: string,
    readonly path: string,
    /** What is wrong, in words: "not a regular file (a directory)", "permission denied (EACCES)". */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot read cache blob ${path}: ${reason}; nothing was deleted: fix or remove it, then run \`pipeline cache verify\``, options);
  }
}

export interface BlobStore {
  /** Store a tensor; returns its content hash and size. An existing blob is not rewritten. */
  put(raw: RawTensor): BlobRef;
  /** Read and verify a blob; throws CorruptBlobError when it is missing or its bytes do not
   * match its name, BlobReadError when it is there but cannot be read. */
  get(hash: string): RawTensor;
  /** Size in the store, or undefined when the blob is missing; BlobReadError when something that
   * is not a readable blob stands at its place. */
  sizeOf(hash: string): number | undefined;
  remove(hash: string): void;
  /** Stamp a blob as used now, so a concurrent gc leaves it; false when it is gone. */
  touch(hash: string): boolean;
  /** Every stored blob (by the name it is stored under, which a damaged store may not make a
   * valid hash). */
  list(): BlobFile[];
  /** Fails, naming the path, when blobs cannot be written (read-only, no permission, full). */
  check(): void;
}
