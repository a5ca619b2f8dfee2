// The local cache index: a keyv store backed by SQLite in the cache root. Each get/set/delete is
// one atomic statement, so concurrent processes can share it.
import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withUse, type CacheEntry } from './entry.js';
import type { IndexStore } from './index-store.js';

const TABLE = 'keyv';
const NAMESPACE = 'entries';

export class SqliteIndex implements IndexStore {
  private readonly keyv: Keyv<CacheEntry>;
  private readonly sqlite: KeyvSqlite;

  constructor(root: string) {
    mkdirSync(root, { recursive: true });
    this.sqlite = new KeyvSqlite({ uri: `sqlite://${join(root, 'index.sqlite')}`, table: TABLE, busyTimeout: 30_000, iterationLimit: Number.MAX_SAFE_INTEGER });
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

  /** keyv's iterator pages with OFFSET, and a page boundary could skip or repeat rows that another
   * process deletes or adds meanwhile: with no page limit (iterationLimit) its first SELECT reads
   * every row, one snapshot; the rows a later page may add are new ones, and repeats are dropped. */
  async all(): Promise<CacheEntry[]> {
    const out = new Map<string, CacheEntry>();
    for await (const [key, value] of this.keyv.iterator!(undefined) as AsyncGenerator<[string, CacheEntry | undefined]>) {
      if (value && !out.has(key)) out.set(key, withUse(value)!);
    }
    return [...out.values()];
  }

  async close(): Promise<void> {
    await this.keyv.disconnect();
  }
}
