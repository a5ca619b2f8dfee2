// `cache verify`: re-hash every blob on disk, drop the ones whose bytes no longer match their
// name, and evict the index entries that point at a corrupt or missing blob, so the next run
// recomputes them. (Runs already refuse such blobs on read; this finds them before a run does.)
import { rmSync } from 'node:fs';
import { CorruptBlobError } from './blob-store.js';
import { entryBlobs, lastUseOf } from './entry.js';
import type { RunCache } from './run-cache.js';

export interface EntryRef {
  key: string;
  stageType: string;
  stageId: string;
  pipeline: string;
}

export interface VerifyReport {
  blobs: number;
  bytes: number;
  entries: number;
  corrupt: { hash: string; reason: string; usedBy: string[] }[];
  /** Referenced by an entry but absent (or not the size the entry recorded). */
  missing: { hash: string; reason: string; usedBy: string[] }[];
  evicted: EntryRef[];
  dryRun: boolean;
}

export async function verifyCache(cache: RunCache, opts: { dryRun?: boolean } = {}): Promise<VerifyReport> {
  const corrupt = new Map<string, string>();
  const paths = new Map<string, string>();
  let blobs = 0;
  let bytes = 0;
  for (const { hash, path } of cache.blobs.list()) {
    paths.set(hash, path);
    if (!/^[0-9a-f]{64}$/.test(hash)) {
      corrupt.set(hash, `not a blob name: ${path}`);
      continue;
    }
    try {
      cache.blobs.get(hash);
      bytes += cache.blobs.sizeOf(hash) ?? 0;
      blobs++;
    } catch (err) {
      if (!(err instanceof CorruptBlobError)) {
        corrupt.set(hash, (err as Error).message);
        continue;
      }
      const reason = err.reason;
      // Gone since the listing (a concurrent gc): not corrupt; the entry check below sees it.
      if (reason !== 'missing') corrupt.set(hash, reason);
    }
  }
  const entries = await cache.index.all();
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
      else {
        const size = cache.blobs.sizeOf(ref.hash);
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
  }
  const list = (m: Map<string, string>) => [...m].map(([hash, reason]) => ({ hash, reason, usedBy: usedBy.get(hash) ?? [] }));
  return { blobs, bytes, entries: entries.length, corrupt: list(corrupt), missing: list(missing), evicted, dryRun: Boolean(opts.dryRun) };
}
