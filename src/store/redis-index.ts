// The cache index in Redis, for many machines: one hash, `<prefix>:index`, cache key -> entry JSON.
// Each get/set/delete is one command (atomic on the server), and scan() is one HGETALL: a
// consistent snapshot, as the IndexStore interface asks. Source-file hashes by stamp live in a
// second hash, `<prefix>:files`, by machine and path: machines share the index, not their files.
//
// ioredis directly, not keyv's Redis adapter: keyv's adapter brings a second client library, while
// this one client (and its reconnect settings) also serves BullMQ's queue and the key leases,
// which need a raw `SET key value NX PX ms` and Lua compare-and-delete that keyv does not offer.
// As with the SQLite index, a failure is an error (IndexError), never a miss or a no-op.
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { entryProblem, withUse, type CacheEntry } from './entry.js';
import { DamagedEntryError, IndexError, stampedHash, type DamagedEntry, type IndexScan, type IndexStore } from './index-store.js';
import { closeRedis, lastErrorOf, redactUrl } from './redis-client.js';

export const DEFAULT_PREFIX = 'mlpipe';
const CONNECT_MS = 10_000;
const ADVICE = 'Check that redis-server runs there and that this machine can reach it';
const NOEVICTION =
  'Queued stage jobs and cache entries would vanish under memory pressure: run Redis with --maxmemory-policy noeviction (or CONFIG SET maxmemory-policy noeviction)';

/** Paths are one machine's: another machine's file at the same path is another file. */
const fileField = (path: string) => `${hostname()}:${path}`;

export class RedisIndex implements IndexStore {
  readonly location: string;
  /** The URL, without its password. */
  readonly url: string;
  private readonly hash: string;
  private readonly files: string;

  constructor(
    /** Shared with the queue and the leases of this process. */
    readonly client: Redis,
    url: string,
    readonly prefix = DEFAULT_PREFIX,
  ) {
    this.url = redactUrl(url);
    this.hash = `${prefix}:index`;
    this.files = `${prefix}:files`;
    this.location = `${this.url} (${this.hash})`;
  }

  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw new IndexError(this.location, `failed (${what}: ${(err as Error).message})`, false, ADVICE, { cause: err });
    }
  }

  private entryOf(key: string, text: string): CacheEntry {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new DamagedEntryError(key, this.location, `not JSON: ${(err as Error).message}`);
    }
    const problem = entryProblem(value, key);
    if (problem) throw new DamagedEntryError(key, this.location, problem);
    return withUse(value as CacheEntry)!;
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    const text = await this.run(`reading entry ${key.slice(0, 12)}`, () => this.client.hget(this.hash, key));
    return text === null ? undefined : this.entryOf(key, text);
  }

  async set(entry: CacheEntry): Promise<void> {
    await this.run(`writing entry ${entry.key.slice(0, 12)}`, () => this.client.hset(this.hash, entry.key, JSON.stringify(entry)));
  }

  async delete(key: string): Promise<void> {
    await this.run(`deleting entry ${key.slice(0, 12)}`, () => this.client.hdel(this.hash, key));
  }

  async scan(): Promise<IndexScan> {
    const rows = await this.run('listing entries', () => this.client.hgetall(this.hash));
    const entries: CacheEntry[] = [];
    const damaged: DamagedEntry[] = [];
    for (const [key, text] of Object.entries(rows)) {
      try {
        entries.push(this.entryOf(key, text));
      } catch (err) {
        if (!(err instanceof DamagedEntryError)) throw err;
        damaged.push({ key, reason: err.reason });
      }
    }
    return { entries, damaged };
  }

  async all(): Promise<CacheEntry[]> {
    return (await this.scan()).entries;
  }

  /** A record that is not JSON, or damaged, is none (stampedHash). */
  async fileHash(path: string, stamp: string): Promise<string | undefined> {
    const text = await this.run(`reading the stamp of ${path}`, () => this.client.hget(this.files, fileField(path)));
    let record: { stamp?: unknown; hash?: unknown } | undefined;
    try {
      record = text === null ? undefined : JSON.parse(text);
    } catch {
      return undefined;
    }
    return stampedHash(record, stamp);
  }

  async setFileHash(path: string, stamp: string, hash: string): Promise<void> {
    await this.run(`writing the stamp of ${path}`, () => this.client.hset(this.files, fileField(path), JSON.stringify({ stamp, hash })));
  }

  /** Reachable within CONNECT_MS (a mistyped URL fails now, not after the reconnect budget), and
   * not evicting keys. CONFIG may be disabled (a managed Redis): then the policy is not checked
   * here (BullMQ warns about it on its own). */
  async check(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), CONNECT_MS);
    });
    try {
      const pong = await Promise.race([this.client.ping(), late]);
      if (pong === 'late') {
        const why = lastErrorOf(this.client)?.message ?? 'no answer';
        throw new IndexError(this.location, `cannot be reached within ${CONNECT_MS / 1000} s (${why})`, false, ADVICE);
      }
    } catch (err) {
      if (err instanceof IndexError) throw err;
      throw new IndexError(this.location, `cannot be reached (${(err as Error).message})`, false, ADVICE, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    let policy: string | undefined;
    try {
      policy = ((await this.client.config('GET', 'maxmemory-policy')) as string[])[1];
    } catch {
      return;
    }
    if (policy && policy !== 'noeviction') throw new IndexError(this.location, `evicts keys (maxmemory-policy ${policy})`, false, NOEVICTION);
  }

  /** A hash cannot be damaged as a whole (check() never says so), but verify --repair may ask:
   * the entries are renamed aside, as the SQLite index moves its file. */
  async repair(): Promise<string> {
    const aside = `${this.hash}:damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await this.run('moving the index aside', async () => {
      if (await this.client.exists(this.hash)) await this.client.rename(this.hash, aside);
    });
    return `${this.url} (${aside})`;
  }

  close(): Promise<void> {
    return closeRedis(this.client);
  }
}
