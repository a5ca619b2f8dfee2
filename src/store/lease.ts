// One computation per cache key across processes: before computing a key, a process takes its
// lease; a second process that misses the same key waits for the lease, then finds the stored
// entry and uses it.
//
// A lease is a file, locks/<key>.lock, created with O_EXCL (atomic on a local filesystem) and
// holding its holder's pid, host and start time. Why files and not rows in the index's SQLite:
// keyv offers no transactions, so lease rows would need a second SQLite client beside it, and a
// row cannot tell that its holder died; a file names its holder, so a waiter on the same host sees
// at its next poll (every POLL_MS) that the holder's pid is gone (kill -9) and takes the lease
// over. A holder on another host (a shared folder) refreshes the file's mtime every REFRESH_MS;
// a lease not refreshed for STALE_MS is taken over.
import { closeSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from './owner.js';

const POLL_MS = 100;
const REFRESH_MS = 5_000;
const STALE_MS = 30_000;
const UNWRITTEN_MS = 2_000;

export interface Holder {
  pid: number;
  host: string;
  started: string;
}

export interface Lease {
  release(): void;
}

const HOST = hostname();

/** Whether the process that wrote `h` may still be running (unknowable for another host). */
export function holderAlive(h: Holder): boolean {
  return h.host !== HOST || pidAlive(h.pid);
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return undefined; // gone, or being written: look again at the next poll
  }
}

export class Leases {
  private readonly dir: string;

  constructor(root: string) {
    this.dir = join(root, 'locks');
  }

  private path(key: string): string {
    return join(this.dir, `${key}.lock`);
  }

  /** Take the lease of `key`, waiting while another live process holds it. `onWait` is called
   * once, when the lease is found held. Rejects if `signal` aborts while waiting. */
  async acquire(key: string, opts: { onWait?: (holder: Holder) => void; signal?: AbortSignal } = {}): Promise<Lease> {
    mkdirSync(this.dir, { recursive: true });
    const path = this.path(key);
    const me: Holder = { pid: process.pid, host: HOST, started: new Date().toISOString() };
    let told = false;
    for (;;) {
      opts.signal?.throwIfAborted();
      if (this.tryCreate(path, me)) return this.held(path);
      const holder = readHolder(path);
      if (holder && !this.stale(path, holder)) {
        if (!told) opts.onWait?.(holder);
        told = true;
      } else if (holder) this.takeOver(path, holder);
      else if (this.unwritten(path)) this.takeOver(path, undefined);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private tryCreate(path: string, me: Holder): boolean {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    try {
      writeSync(fd, JSON.stringify(me));
    } catch (err) {
      closeSync(fd);
      rmSync(path, { force: true }); // an empty lease would name no holder
      throw err;
    }
    closeSync(fd);
    return true;
  }

  /** A lease file that names no holder well after it was made: its maker died between creating
   * and writing it (a holder writes at once), so nobody will ever release it. */
  private unwritten(path: string): boolean {
    try {
      return Date.now() - statSync(path).mtimeMs > UNWRITTEN_MS;
    } catch {
      return false;
    }
  }

  private stale(path: string, holder: Holder): boolean {
    if (!holderAlive(holder)) return true;
    if (holder.host === HOST) return false;
    try {
      return Date.now() - statSync(path).mtimeMs > STALE_MS;
    } catch {
      return false;
    }
  }

  /** Move a dead holder's lease aside, then check it was that lease that moved: between reading
   * and moving, another waiter may have taken over and a live lease stands there now. */
  private takeOver(path: string, dead: Holder | undefined): void {
    const aside = `${path}.${process.pid}.stale`;
    try {
      renameSync(path, aside);
    } catch {
      return; // someone else moved it
    }
    const moved = readHolder(aside);
    const live = moved && (!dead || moved.pid !== dead.pid || moved.host !== dead.host || moved.started !== dead.started);
    if (live) {
      // Put it back; link, unlike rename, never replaces a lease a third process made meanwhile
      // (then two hold the key and it is computed twice: wasted work, never a wrong entry).
      try {
        linkSync(aside, path);
      } catch {
        // a newer lease stands there
      }
    }
    rmSync(aside, { force: true });
  }

  private held(path: string): Lease {
    const timer = setInterval(() => {
      const now = new Date();
      try {
        utimesSync(path, now, now);
      } catch {
        // released meanwhile
      }
    }, REFRESH_MS);
    timer.unref();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        rmSync(path, { force: true });
      },
    };
  }

  /** Remove the leases of processes of this host that are gone (a kill -9 leaves its lease). */
  cleanDead(): number {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const path = join(this.dir, name);
      const holder = readHolder(path);
      // A `.stale` file is a takeover in progress unless it has been there a while.
      const leftover = name.endsWith('.stale') && this.unwritten(path);
      if (leftover || (holder && holder.host === HOST && !holderAlive(holder))) {
        rmSync(path, { force: true });
        removed++;
      }
    }
    return removed;
  }
}
