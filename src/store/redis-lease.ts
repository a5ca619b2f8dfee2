// One computation per cache key across machines: the Redis counterpart of lease.ts. A lease is
// the key `<prefix>:lease:<cache key>`, taken with `SET key value NX PX ttl` (atomic on the
// server), renewed every ttl/3 while held, and released with a compare-and-delete script, so a
// holder whose lease expired (a long pause, an outage) never deletes the lease someone else took
// since. A holder killed with -9 stops renewing: its lease expires after at most `ttlMs`, with no
// pid to look at (that works on one host only). Two holders after an expiry compute the same key
// twice: wasted work, never a wrong entry (blobs are content-addressed, the entry is the same key).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Holder, Lease } from './lease.js';

const POLL_MS = 200;

const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

function holderOf(text: string | null): Holder | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Holder;
  } catch {
    return undefined;
  }
}

const pause = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      if (signal?.aborted) reject(signal.reason);
      else resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

export class RedisLeases {
  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    readonly ttlMs = 30_000,
  ) {}

  private name(key: string): string {
    return `${this.prefix}:lease:${key}`;
  }

  /** Take the lease of `key`, waiting while another process holds it; `onWait` is called once,
   * when it is found held. Rejects if `signal` aborts while waiting. */
  async acquire(key: string, opts: { onWait?: (holder: Holder) => void; signal?: AbortSignal } = {}): Promise<Lease> {
    const name = this.name(key);
    const value = JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString(), token: randomUUID() });
    let told = false;
    for (;;) {
      opts.signal?.throwIfAborted();
      if ((await this.client.set(name, value, 'PX', this.ttlMs, 'NX')) === 'OK') return this.held(name, value);
      if (!told) {
        const holder = holderOf(await this.client.get(name));
        if (holder) {
          told = true;
          opts.onWait?.(holder);
        }
      }
      await pause(POLL_MS, opts.signal);
    }
  }

  private held(name: string, value: string): Lease {
    // A renewal that fails (Redis away for a moment) is tried again at the next tick; the lease
    // outlives the outage by up to ttl/3 * 2.
    const timer = setInterval(() => {
      this.client.eval(RENEW, 1, name, value, this.ttlMs).catch(() => undefined);
    }, this.ttlMs / 3);
    timer.unref();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        this.client.eval(RELEASE, 1, name, value).catch(() => undefined);
      },
    };
  }

  /** Nothing to clean: an abandoned lease expires by itself. */
  cleanDead(): number {
    return 0;
  }
}
