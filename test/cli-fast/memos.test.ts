// What makes a run of hits cheap keeps it correct: the report memo (report/memo.ts, SVGs and PNGs
// by the hash of what made them), compiled validators (config/compiled-validator.ts) and kept code
// scans (keys/code.ts) all give what doing the work again would give, and a damaged or outdated
// kept file is never used.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileValidator } from '../../src/config/compiled-validator.js';
import { sha256 } from '../../src/keys/hash.js';
import { FileMemo } from '../../src/report/memo.js';
import { renderSvg, withSvgMemo } from '../../src/report/plots.js';
import { lossSpec } from '../../src/report/specs.js';
import { root } from './helpers.js';

const temp = () => mkdtempSync(join(tmpdir(), 'pipeline-memo-'));

describe('FileMemo', () => {
  it('gives back what was kept, nothing for a damaged file, and keeps at most max + slack files', () => {
    const memo = new FileMemo(join(temp(), 'memo'), 4, 2);
    expect(memo.get('a')).toBeUndefined();
    memo.set('a', Buffer.from('alpha'));
    expect(memo.get('a')?.toString()).toBe('alpha');
    const path = join(memo.dir, 'a');
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(path, bytes);
    expect(memo.get('a')).toBeUndefined();
    for (let i = 0; i < 10; i++) {
      memo.set(`f${i}`, Buffer.from(String(i)));
      utimesSync(join(memo.dir, `f${i}`), new Date(1e12 + i * 1000), new Date(1e12 + i * 1000));
    }
    expect(readdirSync(memo.dir).length).toBeLessThanOrEqual(6);
    expect(memo.get('f9')?.toString()).toBe('9'); // the most recently used stay
  });
});

describe('renderSvg with a memo', () => {
  const spec = lossSpec({ stage: 's', x: [0, 10, 20, 30], y: [5, 3, Number.NaN, 1], xTitle: 'step' });

  it('returns what rendering returns, from the memo the second time, and renders again past a damaged file', async () => {
    const fresh = await renderSvg(spec, 'p0-');
    const memo = new FileMemo(join(temp(), 'memo'));
    const first = await withSvgMemo(memo, () => renderSvg(spec, 'p0-'));
    expect(first).toBe(fresh);
    const [file] = readdirSync(memo.dir);
    expect(file).toMatch(/^[0-9a-f]{64}\.svg$/);
    const kept = readFileSync(join(memo.dir, file));
    // Tell a memo hit from a render: a kept file (its checksum made right) that says something else.
    const fake = Buffer.from('<svg>kept</svg>');
    writeFileSync(join(memo.dir, file), Buffer.concat([Buffer.from(sha256(fake), 'hex'), fake]));
    expect(await withSvgMemo(memo, () => renderSvg(spec, 'p0-'))).toBe('<svg>kept</svg>');
    writeFileSync(join(memo.dir, file), kept.subarray(0, kept.length - 3));
    expect(await withSvgMemo(memo, () => renderSvg(spec, 'p0-'))).toBe(fresh);
  });

  it('names a plot by all of its spec and its prefix', async () => {
    const memo = new FileMemo(join(temp(), 'memo'));
    await withSvgMemo(memo, async () => {
      await renderSvg(spec, 'p0-');
      await renderSvg(spec, 'p1-');
      await renderSvg(lossSpec({ stage: 's', x: [0, 10, 20, 30], y: [5, 3, null as unknown as number, 1], xTitle: 'step' }), 'p0-');
      await renderSvg(lossSpec({ stage: 's', x: [0, 10, 20, 30], y: [5, 3, Number.NaN, 1.5], xTitle: 'step' }), 'p0-');
    });
    expect(readdirSync(memo.dir)).toHaveLength(4);
  });
});

describe('compileValidator', () => {
  const schema = {
    type: 'object',
    properties: { n: { type: 'integer', minimum: 1, default: 3 }, tags: { type: 'array', items: { type: 'string' }, default: [] } },
    additionalProperties: false,
  };
  const options = { allErrors: true, useDefaults: true, verbose: true, strict: true, strictTypes: false };

  it('keeps the compiled code and, loaded, validates and fills in defaults as the compiled function does', () => {
    const dir = join(temp(), 'validators');
    const compiled = compileValidator(schema, options, dir);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const loaded = compileValidator(schema, options, dir);
    expect(loaded).not.toBe(compiled);
    for (const data of [{}, { n: 0, extra: 1 }, { n: 2, tags: ['a', 3] }]) {
      const [a, b] = [structuredClone(data), structuredClone(data)];
      expect(loaded(b)).toBe(compiled(a));
      expect(b).toEqual(a);
      expect(loaded.errors ?? null).toEqual(compiled.errors ?? null);
    }
    expect(readdirSync(dir)).toEqual(files);
  });

  it('compiles again past a damaged file, and keeps nothing of a schema JSON cannot hold', () => {
    const dir = join(temp(), 'validators');
    compileValidator(schema, options, dir);
    const [file] = readdirSync(dir);
    writeFileSync(join(dir, file), readFileSync(join(dir, file), 'utf8').replace('minimum', 'maximum'));
    const v = compileValidator(schema, options, dir);
    expect(v({ n: 0 })).toBe(false);
    expect(v({ n: 5 })).toBe(true);
    const other = join(temp(), 'validators');
    compileValidator({ ...schema, description: undefined }, options, other);
    expect(existsSync(other)).toBe(false);
  });
});

describe('kept code scans (a build in dist/)', () => {
  /** A project with a build: package.json, two sources, their compiled files and dist/.built. */
  function project(): string {
    const dir = temp();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p' }));
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'dist', 'src'), { recursive: true });
    const sources = { 'src/a.ts': "import { b } from './b.js';\nexport const a = b;\n", 'src/b.ts': 'export const b = 1;\n' };
    for (const [f, text] of Object.entries(sources)) {
      writeFileSync(join(dir, f), text);
      writeFileSync(join(dir, 'dist', f.replace(/\.ts$/, '.js')), '');
    }
    const built = Object.fromEntries(Object.entries(sources).map(([f, t]) => [f, sha256(t)]));
    writeFileSync(join(dir, 'dist', '.built'), JSON.stringify({ sources: built }));
    return dir;
  }

  /** moduleFiles of dist/src/a.js in a fresh process running the build of code.ts. */
  const files = (dir: string): { files?: Record<string, string>; error?: string } => {
    const code = pathToFileURL(join(root, 'dist', 'src', 'keys', 'code.js')).href;
    const start = pathToFileURL(join(dir, 'dist', 'src', 'a.js')).href;
    const script = `const { moduleFiles } = await import(${JSON.stringify(code)});
      try { console.log(JSON.stringify({ files: moduleFiles(${JSON.stringify(start)}) })); } catch (e) { console.log(JSON.stringify({ error: e.message })); }`;
    const r = spawnSync('node', ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  it('are kept, and a file written since is read again, even one of the same size and mtime', async () => {
    const dir = project();
    // Only a file written over 2 s before it is read is kept (keys/code.ts, SETTLED_MS).
    await new Promise((r) => setTimeout(r, 2100));
    const first = files(dir);
    expect(Object.keys(first.files ?? {})).toEqual(['src/a.ts', 'src/b.ts']);
    const kept = join(dir, 'dist', '.cache', 'code-files.json');
    expect(existsSync(kept)).toBe(true);
    expect(files(dir)).toEqual(first);
    // The same size and mtime, new bytes: the stale build is refused as without kept scans.
    const b = join(dir, 'src', 'b.ts');
    const { mtime } = statSync(b);
    writeFileSync(b, 'export const b = 2;\n');
    utimesSync(b, mtime, mtime);
    expect(files(dir).error).toMatch(/the build is older than its sources: src\/b\.ts changed/);
  });
});
