// The cache index as the runner sees it: cache key -> entry. Today's implementation is SQLite in
// the cache root (sqlite-index.ts); a Redis index for many machines implements the same five
// methods. Each get/set/delete is atomic on its own; all() is one consistent snapshot.
import type { CacheEntry } from './entry.js';

export interface IndexStore {
  get(key: string): Promise<CacheEntry | undefined>;
  set(entry: CacheEntry): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every entry, as one snapshot: rows another process adds or deletes meanwhile are neither
   * skipped nor seen twice. */
  all(): Promise<CacheEntry[]>;
  close(): Promise<void>;
}
