// Shared by the hostile-input tests: pipeline files written to a temp folder, their errors as
// printed, and a check that no attempt reached Object.prototype.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ConfigErrors, formatError, loadConfig } from '../../src/config/index.js';
import type { ConfigError, LoadedConfig } from '../../src/config/index.js';
import { registry } from '../fixtures/registry.js';

export const dir = mkdtempSync(join(tmpdir(), 'pipeline-hostile-'));

/** A valid pipeline for the fake registry, to extend or to append keys to. */
export const OK = [
  'name: ok',
  'stages:',
  '  data: { uses: load, with: { train: 300 } }',
  '  classifier: { uses: train-classifier, inputs: { data: data } }',
  '  confident: { uses: filter-confident, inputs: { data: data, model: classifier } }',
  '',
].join('\n');
writeFileSync(join(dir, 'ok.yaml'), OK);

let count = 0;
/** Writes `text` to a new file in the temp folder and returns its path. */
export function write(text: string, name = `p${++count}.yaml`): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

export const load = (file: string, set?: string[]): Promise<LoadedConfig> => loadConfig(file, { registry, set });

/** The ConfigErrors a load must end in (any other outcome fails the test). */
export async function configErrors(file: string, set?: string[]): Promise<ConfigError[]> {
  try {
    await load(file, set);
  } catch (err) {
    if (!(err instanceof ConfigErrors)) throw err;
    return err.errors;
  }
  throw new Error(`${file} loaded without errors`);
}

/** The errors as printed, with the temp folder left out of file names. */
export async function errorLines(file: string, set?: string[]): Promise<string[]> {
  return (await configErrors(file, set)).map((e) => formatError(e).replaceAll(`${dir}/`, ''));
}

const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort();
/** Nothing was written onto Object.prototype (by `__proto__` in a path or a key). */
export function expectCleanPrototype(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoKeys);
  expect(({} as Record<string, unknown>).x).toBeUndefined();
}

/** Runs `fn` and returns how long it took, in milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}
