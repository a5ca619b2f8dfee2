// `cache verify`: re-hash every blob on disk, drop the ones whose bytes no longer match their
// name, evict the index entries that point at a corrupt or missing blob, and remove index rows
// that are not readable entries, so the next run recomputes them. (Runs already refuse such blobs
// on read; this finds them before a run does.) With `repair`, an index that does not open or
// fails its integrity check is moved aside and replaced by an empty one first.
//
// What cannot be read is reported and left alone: a blob path that is not a regular file, or
// that fails with a permission or I/O error, may hold a good result; a person decides.
import { lstatSync, rmSync } from 'node:fs';
import { BlobReadError, CorruptBlobError } from './blob-store.js';
import { entryBlobs, lastUseOf, type CacheEntry } from './entry.js';
import { IndexError, type DamagedEntry } from './index-store.js';
import type { RunCache } from './run-cache.js';

export interface EntryRef {
  key: string;
  stageType: string;
  stageId: string;
  pipeline: string;
}

type BlobProblem = { hash: string; reason: string; usedBy: string[] };

export interface VerifyReport {
  blobs: number;
  bytes: number;
  entries: number;
  corrupt: BlobProblem[];
  /** Referenced by an entry but absent (or not the size the entry recorded). */
  missing: BlobProblem[];
  /** There but not readable as a blob: left in place, and so are the entries that use them. */
  unreadable: BlobProblem[];
  /** Index rows that are not readable entries: removed (unless a dry run). */
  damagedEntries: DamagedEntry[];
  /** Set when the index itself was damaged: what was wrong, and where --repair moved it (not set
   * on a dry run). */
  index?: { location: string; problem: string; movedTo?: string };
  evicted: EntryRef[];
  dryRun: boolean;
}

const isBlobName = (name: string) => /^[0-9a-f]{64}$/.test(name);

function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/** The index's state before the entries are read: repaired when asked and needed. An index
 * failure that moving the file would not fix (locked, read-only) is thrown as it is. */
async function indexState(cache: RunCache, opts: { dryRun?: boolean; repair?: boolean }): Promise<VerifyReport['index']> {
  try {
    await cache.index.check();
    return undefined;
  } catch (err) {
    if (!(err instanceof IndexError) || !err.damaged || !opts.repair) throw err;
    const state = { location: err.location, problem: err.problem };
    return opts.dryRun ? state : { ...state, movedTo: await cache.index.repair() };
  }
}

export async function verifyCache(cache: RunCache, opts: { dryRun?: boolean; repair?: boolean } = {}): Promise<VerifyReport> {
  const index = await indexState(cache, opts);
  const corrupt = new Map<string, string>();
  const unreadable = new Map<string, string>();
  const paths = new Map<string, string>();
  let blobs = 0;
  let bytes = 0;
  for (const { hash, path } of cache.blobs.list()) {
    paths.set(hash, path);
    if (!isBlobName(hash)) {
      // A stray file can go; a stray folder (or anything else) may be someone's, and stays.
      if (isRegularFile(path)) corrupt.set(hash, `not a blob name: ${path}`);
      else unreadable.set(hash, `not a blob: ${path}`);
      continue;
    }
    try {
      cache.blobs.get(hash);
      bytes += cache.blobs.sizeOf(hash) ?? 0;
      blobs++;
    } catch (err) {
      if (err instanceof BlobReadError) unreadable.set(hash, `${err.reason}: ${err.path}`);
      // Gone since the listing (a concurrent gc): not corrupt; the entry check below sees it.
      else if (err instanceof CorruptBlobError) {
        if (err.reason !== 'missing') corrupt.set(hash, err.reason);
      } else throw err;
    }
  }
  // A damaged index on a dry run stays unreadable: there are no entries to check.
  const { entries, damaged } = index && !index.movedTo ? { entries: [] as CacheEntry[], damaged: [] } : await cache.index.scan();
  const missing = new Map<string, string>();
  const usedBy = new Map<string, string[]>();
  const evicted: EntryRef[] = [];
  for (const e of entries) {
    let bad = false;
    for (const ref of entryBlobs(e)) {
      const users = usedBy.get(ref.hash) ?? [];
      users.push(e.key);
      usedBy.set(ref.hash, users);
      if (corrupt.has(ref.hash)) bad = true;
      else if (!unreadable.has(ref.hash)) {
        let size: number | undefined;
        try {
          size = cache.blobs.sizeOf(ref.hash);
        } catch (err) {
          if (!(err instanceof BlobReadError)) throw err;
          unreadable.set(ref.hash, `${err.reason}: ${err.path}`);
          continue;
        }
        if (size === ref.size) continue;
        missing.set(ref.hash, size === undefined ? 'missing' : `${size} bytes, entry recorded ${ref.size}`);
        bad = true;
      }
    }
    if (bad) evicted.push({ key: e.key, stageType: e.stageType, ...lastUseOf(e) });
  }
  if (!opts.dryRun) {
    for (const hash of corrupt.keys()) rmSync(paths.get(hash)!, { force: true });
    for (const e of evicted) await cache.index.delete(e.key);
    for (const d of damaged) await cache.index.delete(d.key);
  }
  const list = (m: Map<string, string>) => [...m].map(([hash, reason]) => ({ hash, reason, usedBy: usedBy.get(hash) ?? [] }));
  return {
    blobs,
    bytes,
    entries: entries.length + damaged.length,
    corrupt: list(corrupt),
    missing: list(missing),
    unreadable: list(unreadable),
    damagedEntries: damaged,
    index,
    evicted,
    dryRun: Boolean(opts.dryRun),
  };
}

/** Anything verify found: its exit status is 1 when this is not 0. */
export const problemCount = (r: VerifyReport): number =>
  r.corrupt.length + r.missing.length + r.unreadable.length + r.damagedEntries.length + (r.index ? 1 : 0);
