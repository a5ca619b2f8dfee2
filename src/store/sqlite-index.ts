// The local cache index: a keyv store backed by SQLite in the cache root. Each get/set/delete is
// one atomic statement, so concurrent processes can share it.
//
// keyv turns store errors into misses and no-ops unless told to throw, drops a row whose value is
// JSON null as a miss, and deletes a row whose value carries a past `expires`. Here every SQLite
// error throws (as an IndexError naming the file), and a row that does not read as an entry is
// reported (DamagedEntryError, scan().damaged), never skipped or deleted on the quiet.
import Keyv, { type Deserialize } from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { CacheIOError, errnoOf, makeDir } from './disk.js';
import { entryProblem, withUse, type CacheEntry } from './entry.js';
import { DamagedEntryError, IndexError, stampedHash, type DamagedEntry, type IndexScan, type IndexStore } from './index-store.js';

const TABLE = 'keyv';
const NAMESPACE = 'entries';
/** Source-data file hashes by stamp (keys/source-files.ts): a table of its own beside keyv's, so
 * that keyv's rows, scan() and everything that counts entries see entries only. Created by the
 * first write: a read-only index without it simply has no stamps. */
const FILE_TABLE = 'file_hashes';
const REPAIR = '`pipeline cache verify --repair` moves it aside and starts an empty index; blobs are kept (`pipeline cache gc` removes the ones no entry uses)';

/** What a SQLite error code means here, and whether moving the file aside is the way out. */
function explain(code: string): { problem: string; damaged: boolean; advice: string } {
  switch (code) {
    case 'SQLITE_NOTADB':
      return { problem: 'is not an SQLite database', damaged: true, advice: `It is damaged, or another file stands in its place. ${REPAIR}` };
    case 'SQLITE_CORRUPT':
      return { problem: 'is damaged', damaged: true, advice: REPAIR };
    case 'SQLITE_CANTOPEN':
      return { problem: 'cannot be opened', damaged: true, advice: `It must be a readable, writable file in a writable folder. If it is not, ${REPAIR}` };
    case 'SQLITE_ERROR':
      // Every statement sent is fixed text: an error in one means the database is not ours.
      return { problem: 'does not hold the table it should', damaged: true, advice: REPAIR };
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return { problem: 'cannot be written', damaged: false, advice: 'Check the permissions of the file and its folder, and that the file system is writable' };
    case 'SQLITE_FULL':
      return { problem: 'cannot grow: the disk is full', damaged: false, advice: 'Free some space (`pipeline cache gc --max-size SIZE` shrinks the cache)' };
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return { problem: 'stayed locked by another process past the 30 s busy timeout', damaged: false, advice: 'Try again when the other process is done' };
    case 'SQLITE_IOERR':
      return { problem: 'cannot be read or written (I/O error)', damaged: false, advice: `Check the disk. If the file itself is damaged, ${REPAIR}` };
    default:
      return { problem: 'failed', damaged: false, advice: `If the file is damaged, ${REPAIR}` };
  }
}

/** A row whose text is not a keyv record, carried as its value: keyv's own parser would throw in
 * the middle of an iteration and lose every row after it. */
class Unreadable {
  constructor(readonly reason: string) {}
}

/** keyv's parser, made to return every row: bad JSON as Unreadable, and without `expires`, which
 * this index never sets and keyv would act on by deleting the row. */
function tolerant(parse: Deserialize): Deserialize {
  return (async (text: string) => {
    let data: unknown;
    try {
      data = await parse(text);
    } catch (err) {
      return { value: new Unreadable(`not JSON: ${(err as Error).message}`) };
    }
    if (typeof data !== 'object' || data === null || !('value' in data)) return { value: new Unreadable('not a keyv record') };
    return { value: (data as { value: unknown }).value };
  }) as Deserialize;
}

export class SqliteIndex implements IndexStore {
  readonly location: string;
  private keyv!: Keyv<unknown>;
  private sqlite!: KeyvSqlite;
  /** Settles once the connection is made; to the error when it could not be. */
  private opened!: Promise<unknown>;

  constructor(root: string) {
    try {
      makeDir(root);
    } catch (err) {
      throw new CacheIOError(root, 'cannot create the cache folder', err);
    }
    this.location = join(root, 'index.sqlite');
    this.open();
  }

  private open(): void {
    this.sqlite = new KeyvSqlite({ uri: `sqlite://${this.location}`, table: TABLE, busyTimeout: 30_000, iterationLimit: Number.MAX_SAFE_INTEGER });
    this.keyv = new Keyv<unknown>({ store: this.sqlite, namespace: NAMESPACE, throwOnErrors: true });
    this.keyv.deserialize = tolerant(this.keyv.deserialize!);
    // @keyv/sqlite connects in its constructor and rejects its connection promise if that fails;
    // a query now gives that promise a handler, so a failure is reported by the first call that
    // needs the index instead of killing the process as an unhandled rejection.
    this.opened = this.sqlite.query('SELECT 1').then(
      () => undefined,
      (err: unknown) => err,
    );
  }

  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      const code = errnoOf(err);
      if (!code?.startsWith('SQLITE_')) throw err;
      const { problem, damaged, advice } = explain(code);
      throw new IndexError(this.location, `${problem} (${what}: ${(err as Error).message})`, damaged, advice, { cause: err });
    }
  }

  private entryOf(key: string, value: unknown): CacheEntry {
    const problem = value instanceof Unreadable ? value.reason : entryProblem(value, key);
    if (problem) throw new DamagedEntryError(key, this.location, problem);
    return withUse(value as CacheEntry)!;
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    const value = await this.run(`reading entry ${key.slice(0, 12)}`, () => this.keyv.get(key));
    return value === undefined ? undefined : this.entryOf(key, value);
  }

  async set(entry: CacheEntry): Promise<void> {
    const stored = await this.run(`writing entry ${entry.key.slice(0, 12)}`, () => this.keyv.set(entry.key, entry));
    if (!stored) throw new IndexError(this.location, `did not store entry ${entry.key.slice(0, 12)}`, false, 'Try again');
  }

  /** Deleting a key that is not there is not an error: a concurrent gc or verify was first. */
  async delete(key: string): Promise<void> {
    await this.run(`deleting entry ${key.slice(0, 12)}`, () => this.keyv.delete(key));
  }

  /** keyv's iterator pages with OFFSET, and a page boundary could skip or repeat rows that another
   * process deletes or adds meanwhile: with no page limit (iterationLimit) its first SELECT reads
   * every row, one snapshot; the rows a later page may add are new ones, and repeats are dropped. */
  async scan(): Promise<IndexScan> {
    const entries = new Map<string, CacheEntry>();
    const damaged = new Map<string, DamagedEntry>();
    await this.run('listing entries', async () => {
      for await (const [key, value] of this.keyv.iterator!(undefined) as AsyncGenerator<[string, unknown]>) {
        if (entries.has(key) || damaged.has(key)) continue;
        try {
          entries.set(key, this.entryOf(key, value));
        } catch (err) {
          if (!(err instanceof DamagedEntryError)) throw err;
          damaged.set(key, { key, reason: err.reason });
        }
      }
    });
    return { entries: [...entries.values()], damaged: [...damaged.values()] };
  }

  async all(): Promise<CacheEntry[]> {
    return (await this.scan()).entries;
  }

  /** A damaged row is no record (stampedHash). */
  async fileHash(path: string, stamp: string): Promise<string | undefined> {
    const rows = (await this.run(`reading the stamp of ${path}`, async () => {
      try {
        return await this.sqlite.query(`SELECT stamp, hash FROM ${FILE_TABLE} WHERE path = ?`, path);
      } catch (err) {
        // Made by the first write: an index no run has written a stamp to has none.
        if (errnoOf(err) === 'SQLITE_ERROR' && (err as Error).message.includes(`no such table: ${FILE_TABLE}`)) return [];
        throw err;
      }
    })) as { stamp: unknown; hash: unknown }[];
    return stampedHash(rows[0], stamp);
  }

  async setFileHash(path: string, stamp: string, hash: string): Promise<void> {
    await this.run(`writing the stamp of ${path}`, async () => {
      await this.sqlite.query(`CREATE TABLE IF NOT EXISTS ${FILE_TABLE}(path TEXT PRIMARY KEY, stamp TEXT NOT NULL, hash TEXT NOT NULL)`);
      await this.sqlite.query(
        `INSERT INTO ${FILE_TABLE}(path, stamp, hash) VALUES(?, ?, ?) ON CONFLICT(path) DO UPDATE SET stamp = excluded.stamp, hash = excluded.hash`,
        path,
        stamp,
        hash,
      );
    });
  }

  /** quick_check reads every page (the index is small: milliseconds) and the SELECT proves the
   * table is the one keyv writes. */
  async check(): Promise<void> {
    const rows = (await this.run('checking', () => this.sqlite.query('PRAGMA quick_check'))) as Record<string, string>[];
    const problems = rows.map((r) => Object.values(r)[0]).filter((v) => v !== 'ok');
    if (problems.length) throw new IndexError(this.location, `is damaged (${problems.slice(0, 3).join('; ')})`, true, REPAIR);
    await this.run('checking', () => this.sqlite.query(`SELECT key, value FROM ${TABLE} LIMIT 1`));
  }

  /** The file goes aside with SQLite's journal files: a hot journal left beside a new, empty
   * index would be played back into it. */
  async repair(): Promise<string> {
    await this.close().catch(() => undefined);
    const aside = `${this.location}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    for (const suffix of ['', '-journal', '-wal', '-shm']) {
      try {
        renameSync(this.location + suffix, aside + suffix);
      } catch (err) {
        if (errnoOf(err) !== 'ENOENT') throw new CacheIOError(this.location + suffix, 'cannot move aside the damaged index', err);
      }
    }
    this.open();
    await this.check();
    return aside;
  }

  /** A connection that was never made has nothing to close; the call that needed it reported why. */
  async close(): Promise<void> {
    if ((await this.opened) !== undefined) return;
    await this.run('closing', () => this.keyv.disconnect());
  }
}
