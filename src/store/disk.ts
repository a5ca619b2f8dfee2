// File system trouble as errors a user can act on: which path, what went wrong in words, and
// the errno code for searching. Node's own messages name the syscall, and some name no path.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const WORDS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a folder on the way is a file',
  EMFILE: 'too many open files in this process',
  ENFILE: 'too many open files on this system',
  EIO: 'an I/O error (a failing disk or a network file system)',
};

const ADVICE: Record<string, string> = {
  ENOSPC: 'free some space (`pipeline cache gc --max-size SIZE` shrinks the cache) or use another cache (--cache DIR)',
  EDQUOT: 'free some space (`pipeline cache gc --max-size SIZE` shrinks the cache) or use another cache (--cache DIR)',
  EROFS: 'use a writable cache (--cache DIR or $PIPELINE_CACHE)',
  EACCES: 'check the owner and mode of the path, or use another cache (--cache DIR)',
  EPERM: 'check the owner and mode of the path, or use another cache (--cache DIR)',
};

export const errnoOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/** "no space left on the device (ENOSPC)", or the error's own message for the rare codes. */
export function describeFsError(err: unknown): string {
  const code = errnoOf(err);
  return code && WORDS[code] ? `${WORDS[code]} (${code})` : err instanceof Error ? err.message : String(err);
}

/** A cache path could not be written or read. */
export class CacheIOError extends Error {
  override name = 'CacheIOError';
  constructor(
    readonly path: string,
    what: string,
    cause: unknown,
  ) {
    const advice = ADVICE[errnoOf(cause) ?? ''];
    super(`${what} ${path}: ${describeFsError(cause)}${advice ? `; ${advice}` : ''}`, { cause });
  }
}

/** mkdir -p that reports the real cause: Node's recursive mkdir says ENOENT where a read-only file
 * system refused the folder. */
export function makeDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') return;
    if (errnoOf(err) !== 'ENOENT' || dirname(dir) === dir) throw err;
    makeDir(dirname(dir));
    try {
      mkdirSync(dir);
    } catch (again) {
      if (errnoOf(again) !== 'EEXIST') throw again;
    }
  }
}

/** Create `dir` if needed and write and remove a small file in it: a read-only file system, a
 * folder without write permission or a full disk fails here, before any work that would need it.
 * (A disk with a little room left passes; the write that does not fit fails on its own.) The
 * probe's name starts with a dot, which blob listings skip. */
export function probeWritable(dir: string): void {
  const probe = join(dir, `.probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    makeDir(dir);
    writeFileSync(probe, 'probe\n');
  } catch (err) {
    throw new CacheIOError(dir, 'cannot write to the cache folder', err);
  } finally {
    try {
      rmSync(probe, { force: true });
    } catch {
      // not created, or not removable: the write above has already said why
    }
  }
}
