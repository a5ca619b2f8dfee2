// The cache index: cache key -> manifest of a stage run (output blob hashes, metrics, params,
// timings). A keyv store backed by SQLite in the cache root, so concurrent processes share it
// safely and a later Redis adapter is a one-line change.
import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Metrics } from '../stage.js';
import type { BlobRef } from './blobs.js';
import type { KeyParts } from './key.js';

export interface CacheEntry {
  key: string;
  stageType: string;
  stageId: string;
  pipeline: string;
  parts: KeyParts;
  /** output name -> tensor name -> blob */
  outputs: Record<string, Record<string, BlobRef>>;
  /** picture name -> blob (uint8 [height, width]) */
  pictures: Record<string, BlobRef>;
  metrics: Metrics;
  timings: { computeMs: number; storeMs: number };
  created: string;
}

export class IndexStore {
  private readonly keyv: Keyv<CacheEntry>;
  private readonly sqlite: KeyvSqlite;

  constructor(root: string) {
    mkdirSync(root, { recursive: true });
    this.sqlite = new KeyvSqlite({ uri: `sqlite://${join(root, 'index.sqlite')}`, busyTimeout: 30_000 });
    this.keyv = new Keyv<CacheEntry>({ store: this.sqlite, namespace: 'entries' });
  }

  get(key: string): Promise<CacheEntry | undefined> {
    return this.keyv.get(key);
  }

  async set(entry: CacheEntry): Promise<void> {
    await this.keyv.set(entry.key, entry);
  }

  async delete(key: string): Promise<void> {
    await this.keyv.delete(key);
  }

  async *entries(): AsyncGenerator<CacheEntry> {
    if (!this.keyv.iterator) throw new Error('the cache index store cannot list its entries');
    for await (const [, value] of this.keyv.iterator(undefined)) yield value as CacheEntry;
  }

  /** The newest entry recorded for a stage id (for explaining a miss). */
  async newestFor(stageId: string, pipeline: string): Promise<CacheEntry | undefined> {
    let best: CacheEntry | undefined;
    for await (const e of this.entries()) {
      if (e.stageId !== stageId) continue;
      const score = (x: CacheEntry) => (x.pipeline === pipeline ? 1 : 0);
      if (!best || score(e) > score(best) || (score(e) === score(best) && e.created > best.created)) best = e;
    }
    return best;
  }

  async close(): Promise<void> {
    await this.keyv.disconnect();
  }
}
