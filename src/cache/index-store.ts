// The cache index: cache key -> manifest of a stage run (output blob hashes, metrics, params,
// timings). A keyv store backed by SQLite in the cache root: each get/set/delete is one atomic
// statement, so concurrent processes can share it; listing reads one snapshot (all()). Only all()
// speaks SQL: a Redis adapter would replace that one method.
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

const TABLE = 'keyv';
const NAMESPACE = 'entries';

export class IndexStore {
  private readonly keyv: Keyv<CacheEntry>;
  private readonly sqlite: KeyvSqlite;

  constructor(root: string) {
    mkdirSync(root, { recursive: true });
    this.sqlite = new KeyvSqlite({ uri: `sqlite://${join(root, 'index.sqlite')}`, table: TABLE, busyTimeout: 30_000 });
    this.keyv = new Keyv<CacheEntry>({ store: this.sqlite, namespace: NAMESPACE });
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

  /** Every entry, as one snapshot: a single SELECT, so rows that another process deletes or
   * adds meanwhile can neither be skipped nor seen twice (keyv's iterator pages with OFFSET). */
  async all(): Promise<CacheEntry[]> {
    const rows = (await this.sqlite.query(`SELECT value FROM ${TABLE} WHERE key LIKE ?`, [`${NAMESPACE}:%`])) as Array<{ value: string }>;
    const out: CacheEntry[] = [];
    for (const row of rows) {
      const data = await this.keyv.deserialize!<CacheEntry>(row.value);
      if (data?.value) out.push(withUse(data.value)!);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.keyv.disconnect();
  }
}
