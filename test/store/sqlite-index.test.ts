// The SQLite index never turns an SQLite error into a miss or a no-op, reports rows that are not
// entries instead of skipping or deleting them, and tells a damaged file apart so that --repair
// can move it aside.
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DamagedEntryError, IndexError } from '../../src/store/index-store.js';
import { SqliteIndex } from '../../src/store/sqlite-index.js';
import { fakeEntry, rowCount, sql, tempRoot } from './helpers.js';

const key = (c: string) => c.repeat(64);

/** An index with two entries, closed: the file is ready for a test to damage. */
async function indexWithTwo(): Promise<{ root: string; file: string }> {
  const root = tempRoot();
  const idx = new SqliteIndex(root);
  await idx.set(fakeEntry(key('a')));
  await idx.set(fakeEntry(key('b')));
  await idx.close();
  return { root, file: join(root, 'index.sqlite') };
}

async function using<T>(root: string, fn: (idx: SqliteIndex) => Promise<T>): Promise<T> {
  const idx = new SqliteIndex(root);
  try {
    return await fn(idx);
  } finally {
    await idx.close();
  }
}

describe('SQLite errors surface', () => {
  it('a write or delete the database refuses throws, naming the index file', async () => {
    const { root, file } = await indexWithTwo();
    // Triggers make SQLite itself refuse, as a full disk or a lock would, without either.
    await sql(
      file,
      "CREATE TRIGGER no_insert BEFORE INSERT ON keyv BEGIN SELECT RAISE(ABORT, 'injected insert failure'); END",
      "CREATE TRIGGER no_update BEFORE UPDATE ON keyv BEGIN SELECT RAISE(ABORT, 'injected update failure'); END",
      "CREATE TRIGGER no_delete BEFORE DELETE ON keyv BEGIN SELECT RAISE(ABORT, 'injected delete failure'); END",
    );
    await using(root, async (idx) => {
      const set = await idx.set(fakeEntry(key('c'))).catch((e: unknown) => e);
      expect(set).toBeInstanceOf(IndexError);
      expect((set as Error).message).toContain(file);
      expect((set as Error).message).toMatch(/injected insert failure/);
      await expect(idx.set(fakeEntry(key('a')))).rejects.toThrow(/injected/); // the upsert of an existing key too
      await expect(idx.delete(key('a'))).rejects.toThrow(/injected delete failure/);
      expect(await idx.get(key('c'))).toBeUndefined();
      expect(await idx.get(key('a'))).toMatchObject({ key: key('a') });
    });
  });

  it('a read the database refuses throws instead of reading as a miss', async () => {
    const { root, file } = await indexWithTwo();
    await using(root, async (idx) => {
      expect(await idx.get(key('a'))).toBeDefined();
      await sql(file, 'ALTER TABLE keyv RENAME TO moved_away');
      await expect(idx.get(key('a'))).rejects.toThrow(IndexError);
      await expect(idx.get(key('a'))).rejects.toThrow(/no such table/);
      await expect(idx.scan()).rejects.toThrow(file);
      await expect(idx.check()).rejects.toThrow(/verify --repair/);
    });
  });
});

describe('rows that are not entries', () => {
  const garbage: [string, string, RegExp][] = [
    ['bad JSON', '{"value": {"key": ', /not JSON/],
    ['JSON null', 'null', /not a keyv record/],
    ['a number', '5', /not a keyv record/],
    ['a null value', '{"value": null}', /not an entry \(null\)/],
    ['another key', JSON.stringify({ value: fakeEntry(key('f')) }), /key field/],
    ['no outputs', JSON.stringify({ value: { ...fakeEntry(key('b')), outputs: undefined } }), /bad outputs/],
  ];

  it.each(garbage)('%s: get throws DamagedEntryError, scan reports it, nothing is deleted', async (_, text, reason) => {
    const { root, file } = await indexWithTwo();
    await sql(file, `UPDATE keyv SET value = '${text.replaceAll("'", "''")}' WHERE key = 'entries:${key('b')}'`);
    await using(root, async (idx) => {
      const err = await idx.get(key('b')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DamagedEntryError);
      expect((err as DamagedEntryError).reason).toMatch(reason);
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toContain('pipeline cache verify');
      const scan = await idx.scan();
      expect(scan.entries.map((e) => e.key)).toEqual([key('a')]);
      expect(scan.damaged).toEqual([{ key: key('b'), reason: expect.stringMatching(reason) }]);
      expect((await idx.all()).map((e) => e.key)).toEqual([key('a')]);
    });
    expect(await rowCount(file)).toBe(2);
  });

  it('a row with an expiry keyv would act on is neither deleted nor a miss', async () => {
    const { root, file } = await indexWithTwo();
    await sql(file, `UPDATE keyv SET value = '${JSON.stringify({ value: fakeEntry(key('b')), expires: 1 })}' WHERE key = 'entries:${key('b')}'`);
    await using(root, async (idx) => {
      expect((await idx.scan()).entries.map((e) => e.key).sort()).toEqual([key('a'), key('b')]);
      expect(await idx.get(key('b'))).toMatchObject({ key: key('b') });
    });
    expect(await rowCount(file)).toBe(2);
  });
});

describe('a damaged index file', () => {
  function garbleHeader(file: string): Buffer {
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(200, 0x5a), 0, 200, 0);
    closeSync(fd);
    return readFileSync(file);
  }

  it('garbled header: every call fails naming the file and --repair; repair moves it aside with its journal', async () => {
    const { root, file } = await indexWithTwo();
    const bytes = garbleHeader(file);
    const idx = new SqliteIndex(root);
    // Nothing asks the index for a while: a failed connect must not become an unhandled rejection.
    await new Promise((r) => setTimeout(r, 200));
    const err = await idx.check().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IndexError);
    expect((err as IndexError).damaged).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`^cache index ${file} is not an SQLite database .*SQLITE_NOTADB`));
    expect((err as Error).message).toContain('`pipeline cache verify --repair` moves it aside');
    for (const call of [() => idx.get(key('a')), () => idx.set(fakeEntry(key('c'))), () => idx.delete(key('a')), () => idx.scan()]) {
      await expect(call()).rejects.toThrow(/SQLITE_NOTADB.*verify --repair/);
    }
    // SQLite removes a journal it finds invalid on opening: this one appears once it is open.
    writeFileSync(`${file}-journal`, 'a journal of the damaged file');
    const aside = await idx.repair();
    expect(aside).toMatch(new RegExp(`^${file}\\.damaged-\\d{4}-`));
    expect(readFileSync(aside)).toEqual(bytes);
    expect(readFileSync(`${aside}-journal`, 'utf8')).toBe('a journal of the damaged file');
    expect(existsSync(`${file}-journal`)).toBe(false);
    await idx.check();
    expect((await idx.scan()).entries).toEqual([]);
    await idx.set(fakeEntry(key('c')));
    expect(await idx.get(key('c'))).toBeDefined();
    await idx.close();
  });

  it('a folder or a text file in its place fails the check as damaged, and repair moves it', async () => {
    for (const [what, make, code] of [
      ['a folder', (f: string) => mkdirSync(f), /SQLITE_CANTOPEN/],
      ['a text file', (f: string) => writeFileSync(f, 'these are not the pages of a database\n'.repeat(40)), /SQLITE_NOTADB/],
    ] as const) {
      const root = tempRoot();
      make(join(root, 'index.sqlite'));
      await using(root, async (idx) => {
        const err = await idx.check().catch((e: unknown) => e);
        expect(err, what).toBeInstanceOf(IndexError);
        expect((err as IndexError).damaged, what).toBe(true);
        expect((err as Error).message, what).toMatch(code);
        await idx.repair();
        await idx.check();
      });
      expect(
        readdirSync(root).filter((n) => n.startsWith('index.sqlite.damaged-')),
        what,
      ).toHaveLength(1);
    }
  });

  it('a healthy index passes the check', async () => {
    const { root } = await indexWithTwo();
    await using(root, (idx) => idx.check());
  });
});
