// Shared by the store tests: a temp folder, a minimal valid entry, raw SQL against an index file
// (through a second connection, as another process would), and the bytes of a file.
import KeyvSqlite from '@keyv/sqlite';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CacheEntry } from '../../src/store/entry.js';

export const tempRoot = (): string => mkdtempSync(join(tmpdir(), 'pipeline-store-'));

export function fakeEntry(key: string, outputs: CacheEntry['outputs'] = {}, pictures: CacheEntry['pictures'] = {}): CacheEntry {
  const created = new Date().toISOString();
  return {
    key,
    stageType: 'total',
    stageId: 'sum',
    pipeline: 'p',
    parts: { stage: 'total', version: 1, code: {}, params: {}, inputs: {}, files: {}, seed: 1, backend: 'cpu' },
    outputs,
    pictures,
    metrics: {},
    timings: { computeMs: 1, storeMs: 1 },
    created,
    lastUsed: created,
  };
}

/** Run statements on the index file through a connection of its own. Its keyv table is named
 * apart, so opening it never recreates a table a test has taken away. */
export async function sql(file: string, ...statements: string[]): Promise<unknown[][]> {
  const db = new KeyvSqlite({ uri: `sqlite://${file}`, table: 'test_helper' });
  try {
    const out: unknown[][] = [];
    for (const s of statements) out.push(await db.query(s));
    return out;
  } finally {
    await db.disconnect();
  }
}

export const rowCount = async (file: string): Promise<number> => ((await sql(file, 'SELECT count(*) AS n FROM keyv'))[0][0] as { n: number }).n;
