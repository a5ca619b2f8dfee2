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

export interface BlobStore {
  /** Store a tensor; returns its content hash and size. An existing blob is not rewritten. */
  put(raw: RawTensor): BlobRef;
  /** Read and verify a blob; throws CorruptBlobError when it is missing or its bytes do not
   * match its name. */
  get(hash: string): RawTensor;
  /** Size in the store, or undefined when the blob is missing. */
  sizeOf(hash: string): number | undefined;
  remove(hash: string): void;
  /** Stamp a blob as used now, so a concurrent gc leaves it; false when it is gone. */
  touch(hash: string): boolean;
  /** Every stored blob (by the name it is stored under, which a damaged store may not make a
   * valid hash). */
  list(): BlobFile[];
}
