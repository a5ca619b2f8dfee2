// Compiling the pipeline schema with ajv costs more than anything else in loading a config
// (~50-80 ms, and importing ajv ~25 ms more), and every `pipeline run` compiles the same schema
// again. So a compiled validator is kept as ajv's standalone code (the very function ajv
// compiled, written out as source) in dist/.cache/validators/, named by the sha256 of ajv's
// version, the options and the schema; a later process with the same schema evaluates that code
// (~3 ms) and imports no ajv at all. The folder sits in the build, so the code evaluated is as
// trusted as the build itself; each file carries the sha256 of its code, checked before use.
//
// Only a build in dist/ keeps validators: run from the TypeScript sources (vitest), every process
// compiles as before. A schema that is not plain JSON (a function, a RegExp) is never kept.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Options, ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** At most this many validators are kept (least recently used go first). */
export const MAX_KEPT = 32;
const HEADER = '// sha256 ';

/** dist/.cache/validators/ when this file runs from a build in dist/, else undefined. */
function defaultDir(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  return /[\\/]dist[\\/]src[\\/]config[\\/][^\\/]+\.js$/.test(here) ? fileURLToPath(new URL('../../.cache/validators/', import.meta.url)) : undefined;
}

/** JSON of the schema, or undefined when it holds anything JSON would not keep. */
function plainJson(schema: unknown): string | undefined {
  let plain = true;
  const text = JSON.stringify(schema, (_, v: unknown) => {
    const t = typeof v;
    if (t === 'function' || t === 'undefined' || t === 'symbol' || t === 'bigint' || (t === 'number' && !Number.isFinite(v))) plain = false;
    else if (t === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null)
      plain = false;
    return v;
  });
  return plain ? text : undefined;
}

function ajvVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('ajv/package.json'), 'utf8')) as { version: string }).version;
}

/** Evaluate kept standalone code: a CommonJS module that requires ajv's small runtime helpers. */
function load(path: string): ValidateFunction | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const newline = text.indexOf('\n');
  const code = text.slice(newline + 1);
  if (!text.startsWith(HEADER) || text.slice(HEADER.length, newline) !== sha256(code)) return undefined;
  const module = { exports: {} as unknown };
  new Function('module', 'exports', 'require', code)(module, module.exports, require);
  const validate = module.exports as ValidateFunction;
  if (typeof validate !== 'function') return undefined;
  try {
    const now = new Date();
    utimesSync(path, now, now); // used: the last to go when the folder is trimmed
  } catch {
    // a read-only build: it is used all the same
  }
  return validate;
}

function keep(dir: string, path: string, code: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, `${HEADER}${sha256(code)}\n${code}`);
    renameSync(tmp, path);
    const files = readdirSync(dir).flatMap((name) => {
      try {
        return [{ name, used: statSync(join(dir, name)).mtimeMs }];
      } catch {
        return [];
      }
    });
    files.sort((a, b) => b.used - a.used);
    for (const f of files.slice(MAX_KEPT)) rmSync(join(dir, f.name), { force: true });
  } catch {
    // Not kept (a read-only install): the next process compiles again.
  }
}

/**
 * `new Ajv(options).compile(schema)`, or the same function evaluated from the code a previous
 * compile of the same schema (same options, same ajv) kept in `dir`. Compile errors are thrown
 * as ajv throws them, and never kept.
 */
export function compileValidator(schema: object, options: Options, dir = defaultDir()): ValidateFunction {
  const json = dir === undefined ? undefined : plainJson(schema);
  const path = json === undefined || dir === undefined ? undefined : join(dir, `${sha256(JSON.stringify([ajvVersion(), options, json]))}.cjs`);
  if (path) {
    const kept = load(path);
    if (kept) return kept;
  }
  const { Ajv } = require('ajv') as typeof import('ajv');
  const ajv = new Ajv(path ? { ...options, code: { ...options.code, source: true } } : options);
  const validate = ajv.compile(schema);
  if (path && dir) {
    const standalone = require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js');
    keep(dir, path, standalone.default(ajv, validate));
  }
  return validate;
}
