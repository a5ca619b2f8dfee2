// Reading a pipeline file without trusting the path: `extends: /dev/zero` or a FIFO must fail at
// once, not read forever or block, and a huge file must fail before it is read.
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { MAX_FILE_BYTES, MAX_FILE_TEXT } from './limits.js';

/** `reason` is appended to "cannot read FILE": empty when the file does not exist. */
export type ReadResult = { ok: true; text: string; bytes: number } | { ok: false; reason: string };

function kind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

const sizeText = (bytes: number): string => (bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);
const tooBig = (size: string): string => ` (${size}; a pipeline file may be at most ${MAX_FILE_TEXT}, ${MAX_FILE_BYTES} bytes)`;
const overBudget = (size: string): string => ` (${size}; the files of one pipeline may be at most ${MAX_FILE_TEXT} together)`;

function checkStats(st: Stats, budget: number): string | undefined {
  if (!st.isFile()) return ` (${kind(st)}, not a regular file)`;
  if (st.size > MAX_FILE_BYTES) return tooBig(sizeText(st.size));
  if (st.size > budget) return overBudget(sizeText(st.size));
  return undefined;
}

const failure = (err: unknown): ReadResult => {
  const code = (err as NodeJS.ErrnoException).code;
  return { ok: false, reason: code === 'ENOENT' || code === undefined ? '' : ` (${code})` };
};

/** `budget`: bytes left for this file, when the files it extends (or that extend it) share the
 * limit: a chain of files must not multiply it. */
export async function readText(file: string, budget = MAX_FILE_BYTES): Promise<ReadResult> {
  // stat before open: opening a FIFO for reading blocks until someone writes to it.
  try {
    const bad = checkStats(await stat(file), budget);
    if (bad) return { ok: false, reason: bad };
  } catch (err) {
    return failure(err);
  }
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    // O_NONBLOCK: the path may have been swapped for a FIFO since the stat.
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return failure(err);
  }
  try {
    const bad = checkStats(await fh.stat(), budget);
    if (bad) return { ok: false, reason: bad };
    // One byte more than allowed tells a file that grew since the stat from one that did not.
    const max = Math.min(budget, MAX_FILE_BYTES);
    const buf = Buffer.allocUnsafe(max + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length)
        return { ok: false, reason: max < MAX_FILE_BYTES ? overBudget(`more than ${sizeText(max)}`) : tooBig(`more than ${MAX_FILE_TEXT}`) };
    }
    return { ok: true, text: buf.toString('utf8', 0, n), bytes: n };
  } catch (err) {
    return failure(err);
  } finally {
    await fh.close();
  }
}
