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

/** Where an entry was last used: the pipeline and stage id of the run that hit (or saved) it. */
export interface EntryUse {
  pipeline: string;
  stageId: string;
}

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
  /** ISO time of the last save or cache hit: gc's "least recently used" and ls's "last used". */
  lastUsed: string;
  lastRun?: EntryUse;
}

/** Entries written before use was recorded count as last used when they were created. */
function withUse(entry: CacheEntry | undefined): CacheEntry | undefined {
  if (entry && !entry.lastUsed) entry.lastUsed = entry.created;
  return entry;
}

export class IndexStore {
  private readonly keyv: Keyv<CacheEntry>;
  private readonly sqlite: KeyvSqlite;

  constructor(root: string) {
    mkdirSync(root, { recursive: true });
    this.sqlite = new KeyvSqlite({ uri: `sqlite://${join(root, 'index.sqlite')}`, busyTimeout: 30_000 });
    this.keyv = new Keyv<CacheEntry>({ store: this.sqlite, namespace: 'entries' });
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    return withUse(await this.keyv.get(key));
  }

  async set(entry: CacheEntry): Promise<void> {
    await this.keyv.set(entry.key, entry);
  }

  async delete(key: string): Promise<void> {
    await this.keyv.delete(key);
  }

  async *entries(): AsyncGenerator<CacheEntry> {
    if (!this.keyv.iterator) throw new Error('the cache index store cannot list its entries');
    for await (const [, value] of this.keyv.iterator(undefined)) yield withUse(value as CacheEntry)!;
  }

  /** Every entry, read in full before the caller starts deleting (an open iterator pages through
   * the table, and deleting under it would skip rows). */
  async all(): Promise<CacheEntry[]> {
    const out: CacheEntry[] = [];
    for await (const e of this.entries()) out.push(e);
    return out;
  }

  async close(): Promise<void> {
    await this.keyv.disconnect();
  }
}
