// The cache index as the runner sees it: cache key -> entry. Today's implementation is SQLite in
// the cache root (sqlite-index.ts); a Redis index for many machines implements the same methods.
// Each get/set/delete is atomic on its own; scan() is one consistent snapshot.
//
// A failure of the index is an error, never a miss or a no-op: a miss recomputes, and a write
// that silently did not happen would report as stored a stage that is not.
import type { CacheEntry } from './entry.js';

/** A row that is in the index but is not a readable entry. */
export interface DamagedEntry {
  key: string;
  reason: string;
}

export interface IndexScan {
  entries: CacheEntry[];
  damaged: DamagedEntry[];
}

export interface IndexStore {
  /** Where the index is, for messages: a file, a URL. */
  readonly location: string;
  /** undefined only when there is no such row; DamagedEntryError when there is one that does not
   * read as an entry. */
  get(key: string): Promise<CacheEntry | undefined>;
  set(entry: CacheEntry): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every entry and every unreadable row, as one snapshot: rows another process adds or deletes
   * meanwhile are neither skipped nor seen twice. */
  scan(): Promise<IndexScan>;
  /** The readable entries of scan(): for readers that only compare with entries (plan, why). */
  all(): Promise<CacheEntry[]>;
  /** Source-data file hashes by stamp (keys/source-files.ts), so that a run whose stages are
   * cached does not read the data files to make their keys. Optional: with an index that does not
   * keep them, every file is read for every run.
   *
   * The sha256 recorded for the file at `path` (absolute) under exactly `stamp` (what
   * source-files.ts makes of its size, mtime, ctime, inode and device); undefined when none is
   * recorded, the record is for another stamp, or it is unreadable. Kept apart from the entries:
   * scan() never sees these records. */
  fileHash?(path: string, stamp: string): Promise<string | undefined>;
  /** Record (replace) the hash of the file at `path` under `stamp`: one record per path. */
  setFileHash?(path: string, stamp: string, hash: string): Promise<void>;
  /** Fails with an IndexError when the index cannot be opened or fails its integrity check. */
  check(): Promise<void>;
  /** After check() failed with a damaged index: set it aside, start an empty one and return
   * where the old one went. Entries are lost; blobs are not the index's. */
  repair(): Promise<string>;
  close(): Promise<void>;
}

/** The index failed. `damaged`: the index itself is unusable (not a database, corrupt, cannot be
 * opened), which `pipeline cache verify --repair` fixes; otherwise the cause is around it (locked,
 * read-only, disk full) and moving it aside would not help. */
export class IndexError extends Error {
  override name = 'IndexError';
  constructor(
    readonly location: string,
    /** What is wrong, without the advice: for reports that already say what was done about it. */
    readonly problem: string,
    readonly damaged: boolean,
    advice: string,
    options?: { cause?: unknown },
  ) {
    super(`cache index ${location} ${problem}. ${advice}`, options);
  }
}

/** One row that does not read as an entry. A run stops at it instead of recomputing over it: see
 * RunCache.lookup. */
export class DamagedEntryError extends Error {
  override name = 'DamagedEntryError';
  constructor(
    readonly key: string,
    readonly location: string,
    readonly reason: string,
  ) {
    super(`cache entry ${key.slice(0, 12)} in ${location} is unreadable (${reason}): \`pipeline cache verify\` removes it, and the stage is then recomputed`);
  }
}

/** The hash a stored stamp record gives for `stamp`: a record for another stamp, or not of two
 * strings, or whose hash is not a sha256, is no record (the file is read and the record written
 * over). Shared by the indexes that keep stamps. */
export function stampedHash(record: { stamp?: unknown; hash?: unknown } | undefined, stamp: string): string | undefined {
  if (record?.stamp !== stamp || typeof record.hash !== 'string' || !/^[0-9a-f]{64}$/.test(record.hash)) return undefined;
  return record.hash;
}
