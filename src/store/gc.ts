// `cache gc`: evict entries by policy (keep the last N per stage, older than a duration, over a
// size budget, least recently used first), then delete every blob and tmp file no entry reaches.
//
// Safe beside running pipelines. A save writes its blobs before its index entry, so a blob that no
// entry names may be about to be named. gc therefore takes an unreferenced blob only when it is
// older than both gc's own start and the start of every save in progress (RunCache.save holds a
// lease file in tmp/ for that long). A save that reuses an existing blob stamps its mtime, and gc
// moves a blob aside and re-checks its mtime before deleting it, so that stamp is never lost.
//
// gc deletes only what it has read: a blob path it cannot stat, or that is not a regular file, is
// left in place and reported (`cache verify` says more), and so is an index row that does not
// read as an entry (verify removes it).
import { mkdirSync, openSync, closeSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BlobReadError } from './blob-store.js';
import { describeFsError, errnoOf } from './disk.js';
import { entryBlobs, lastUseOf, type CacheEntry } from './entry.js';
import { madeByDeadProcess, OWNER } from './owner.js';
import { LEASE_SUFFIX, type RunCache } from './run-cache.js';
import type { EntryRef } from './verify.js';

export interface GcOptions {
  /** Keep the N most recently used entries of each stage (per pipeline and stage id). */
  keepLast?: number;
  /** Evict entries not used for this long (ms). */
  olderThanMs?: number;
  /** Evict least recently used entries until what stays fits in this many bytes. */
  maxSize?: number;
  dryRun?: boolean;
  /** A lease older than this is from a process that died mid-save and is ignored (default 1 h). */
  staleLeaseMs?: number;
}

export interface GcReport {
  evicted: (EntryRef & { lastUsed: string; reason: string })[];
  blobs: { count: number; bytes: number };
  tmp: { count: number; bytes: number };
  /** Unreferenced blobs left alone because a run may be about to reference them. */
  recent: { count: number; bytes: number };
  remaining: { entries: number; bytes: number };
  /** Blob paths left in place because they could not be read or are not regular files. */
  left: { path: string; reason: string }[];
  /** Index rows that are not readable entries (`cache verify` removes them). */
  damagedEntries: number;
  dryRun: boolean;
}

const usedAt = (e: CacheEntry): number => Date.parse(e.lastUsed || e.created);

/** Which entries the policies evict, with a reason each; `sizeOf` is a blob's bytes on disk. */
export function selectEvictions(entries: CacheEntry[], opts: GcOptions, sizeOf: (hash: string) => number, now = Date.now()): Map<string, string> {
  const out = new Map<string, string>();
  const day = (e: CacheEntry) => e.lastUsed.slice(0, 16).replace('T', ' ');
  if (opts.olderThanMs !== undefined) {
    for (const e of entries) if (now - usedAt(e) > opts.olderThanMs) out.set(e.key, `not used since ${day(e)}`);
  }
  if (opts.keepLast !== undefined) {
    const groups = new Map<string, CacheEntry[]>();
    for (const e of entries) {
      const g = `${lastUseOf(e).pipeline}/${lastUseOf(e).stageId}`;
      groups.set(g, [...(groups.get(g) ?? []), e]);
    }
    for (const [g, list] of groups) {
      list.sort((a, b) => usedAt(b) - usedAt(a));
      for (const e of list.slice(opts.keepLast)) if (!out.has(e.key)) out.set(e.key, `beyond the last ${opts.keepLast} of ${g}`);
    }
  }
  if (opts.maxSize !== undefined) {
    const survivors = entries.filter((e) => !out.has(e.key)).sort((a, b) => usedAt(a) - usedAt(b));
    const refs = new Map<string, number>();
    let total = 0;
    const unique = (e: CacheEntry) => [...new Set(entryBlobs(e).map((r) => r.hash))];
    for (const e of survivors)
      for (const h of unique(e)) {
        if (!refs.has(h)) total += sizeOf(h);
        refs.set(h, (refs.get(h) ?? 0) + 1);
      }
    for (const e of survivors) {
      if (total <= opts.maxSize) break;
      out.set(e.key, `least recently used (last ${day(e)}) while the cache is over the size limit`);
      for (const h of unique(e)) {
        const n = refs.get(h)! - 1;
        refs.set(h, n);
        if (n === 0) total -= sizeOf(h);
      }
    }
  }
  return out;
}

export async function gcCache(cache: RunCache, opts: GcOptions = {}): Promise<GcReport> {
  const tmp = join(cache.root, 'tmp');
  mkdirSync(tmp, { recursive: true });
  // gc's start on the filesystem's own clock, the clock blob mtimes are stamped with.
  const marker = join(tmp, `gc${OWNER}.${randomBytes(4).toString('hex')}.start`);
  closeSync(openSync(marker, 'w'));
  const started = statSync(marker).mtimeMs;
  rmSync(marker, { force: true });
  const staleMs = opts.staleLeaseMs ?? 3600e3;
  let cutoff = started;
  const tmpFiles = readdirSync(tmp).flatMap((name) => {
    try {
      const st = statSync(join(tmp, name));
      return st.isFile() ? [{ name, path: join(tmp, name), size: st.size, mtime: st.mtimeMs, ctime: st.ctimeMs }] : [];
    } catch {
      return [];
    }
  });
  // A lease of a process that is gone (kill -9 mid-save) protects nothing.
  for (const f of tmpFiles) if (f.name.endsWith(LEASE_SUFFIX) && started - f.mtime < staleMs && !madeByDeadProcess(f.name)) cutoff = Math.min(cutoff, f.mtime);

  const left = new Map<string, string>();
  // An unreadable blob counts as 0 bytes: --max-size then evicts less, never more.
  const sizeOf = (hash: string) => {
    try {
      return cache.blobs.sizeOf(hash) ?? 0;
    } catch (err) {
      if (!(err instanceof BlobReadError)) throw err;
      left.set(err.path, err.reason);
      return 0;
    }
  };
  const { entries, damaged } = await cache.index.scan();
  const evict = selectEvictions(entries, opts, sizeOf);
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const evicted: GcReport['evicted'] = [...evict].map(([key, reason]) => {
    const e = byKey.get(key)!;
    return { key, stageType: e.stageType, ...lastUseOf(e), lastUsed: e.lastUsed, reason };
  });
  if (!opts.dryRun) for (const e of evicted) await cache.index.delete(e.key);

  // Read the index again: entries saved since the first read reference blobs too.
  const live = (await cache.index.all()).filter((e) => !evict.has(e.key));
  const referenced = new Set(live.flatMap((e) => entryBlobs(e).map((r) => r.hash)));
  const blobs = { count: 0, bytes: 0 };
  const recent = { count: 0, bytes: 0 };
  for (const { hash, path } of cache.blobs.list()) {
    if (referenced.has(hash) || !/^[0-9a-f]{64}$/.test(hash)) continue;
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') left.set(path, describeFsError(err));
      continue;
    }
    if (!st.isFile()) {
      left.set(path, 'not a regular file');
      continue;
    }
    if (st.mtimeMs >= cutoff) {
      recent.count++;
      recent.bytes += st.size;
      continue;
    }
    const freed = opts.dryRun ? st.size : takeBlob(path, tmp, cutoff);
    if (freed === undefined) continue;
    blobs.count++;
    blobs.bytes += freed;
  }

  const tmpFreed = { count: 0, bytes: 0 };
  for (const f of tmpFiles) {
    const lease = f.name.endsWith(LEASE_SUFFIX);
    // Another gc's blob in transit: it decides that blob's fate (rename sets ctime).
    const inTransit = f.name.startsWith('gc@') && started - f.ctime < staleMs;
    const kept = inTransit || (lease ? started - f.mtime < staleMs : f.mtime >= cutoff);
    if (kept && !madeByDeadProcess(f.name)) continue;
    if (!opts.dryRun) rmSync(f.path, { force: true });
    tmpFreed.count++;
    tmpFreed.bytes += f.size;
  }
  let remainingBytes = 0;
  for (const h of referenced) remainingBytes += sizeOf(h);
  return {
    evicted,
    blobs,
    tmp: tmpFreed,
    recent,
    remaining: { entries: live.length, bytes: remainingBytes },
    left: [...left].map(([path, reason]) => ({ path, reason })),
    damagedEntries: damaged.length,
    dryRun: Boolean(opts.dryRun),
  };
}

/** Delete an unreferenced blob unless a save stamped it after gc looked: move it aside first, so
 * a stamp can no longer land on it unseen, then look at its mtime again. Returns bytes freed. */
function takeBlob(path: string, tmp: string, cutoff: number): number | undefined {
  const aside = join(tmp, `gc${OWNER}.${randomBytes(6).toString('hex')}.blob`);
  try {
    renameSync(path, aside);
  } catch {
    return undefined; // already gone
  }
  const st = statSync(aside);
  if (st.mtimeMs >= cutoff) {
    renameSync(aside, path); // a save is reusing it: put it back
    return undefined;
  }
  rmSync(aside, { force: true });
  return st.size;
}
