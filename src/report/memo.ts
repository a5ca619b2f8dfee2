// A folder of derived bytes kept between runs: what a report is made of and costs time to make
// again (a plot's SVG, a picture's PNG), under a name that is the hash of everything it was made
// from. A re-run of cached stages makes the same report parts, so it takes them from here instead
// of loading vega or running the PNG encoder. Each file holds the sha256 of its bytes, checked on
// every read (a damaged file is a miss); the least recently used go once there are too many.
// Nothing here is a cache entry: `cache gc` and `cache verify` leave the folder alone, and
// deleting it costs the next run the time to make its report parts again.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const digest = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

/** Folders whose file count this process knows (after one listing, counted on), by path. */
const counts = new Map<string, number>();

export class FileMemo {
  /**
   * @param dir the folder (made on the first write)
   * @param max at most this many files are kept; past `max + slack` the least recently used go
   */
  constructor(
    readonly dir: string,
    readonly max = 512,
    readonly slack = 64,
  ) {}

  /** The bytes kept under `name`, or undefined (none, unreadable, or damaged). */
  get(name: string): Buffer | undefined {
    const path = join(this.dir, name);
    try {
      const file = readFileSync(path);
      if (file.length < 32) return undefined;
      const data = file.subarray(32);
      if (!digest(data).equals(file.subarray(0, 32))) return undefined;
      const now = new Date();
      utimesSync(path, now, now); // used: among the last to go
      return data;
    } catch {
      return undefined;
    }
  }

  /** Keep `data` under `name`; a memo that cannot be written is no error (the next run makes it again). */
  set(name: string, data: Uint8Array): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      const path = join(this.dir, name);
      const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(tmp, Buffer.concat([digest(data), data]));
      renameSync(tmp, path);
      const count = (counts.get(this.dir) ?? readdirSync(this.dir).length - 1) + 1;
      counts.set(this.dir, count > this.max + this.slack ? this.trim() : count);
    } catch {
      // not kept
    }
  }

  /** Remove the least recently used files down to `max` (and temp files an hour old); returns how many are left. */
  trim(): number {
    const files = readdirSync(this.dir).flatMap((name) => {
      try {
        return [{ name, used: statSync(join(this.dir, name)).mtimeMs }];
      } catch {
        return [];
      }
    });
    files.sort((a, b) => b.used - a.used);
    const stale = Date.now() - 3600e3;
    let kept = 0;
    for (const f of files) {
      const tmp = f.name.endsWith('.tmp');
      if (tmp ? f.used > stale : kept < this.max) {
        if (!tmp) kept++;
        continue;
      }
      rmSync(join(this.dir, f.name), { force: true });
    }
    return kept;
  }
}
