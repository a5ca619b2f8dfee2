// Shared by the config tests: load a fixture and get its errors as formatted lines.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigErrors, formatError, loadConfig } from '../../src/config/index.js';
import type { LoadedConfig } from '../../src/config/index.js';
import { registry } from '../fixtures/registry.js';

export const fixtureDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/config');
/** How formatError prints a fixture's path (relative to the working directory). */
export const F = `${path.relative(process.cwd(), fixtureDir)}/`;

export const fixture = (name: string): string => path.join(fixtureDir, name);

export function load(name: string, set?: string[]): Promise<LoadedConfig> {
  return loadConfig(fixture(name), { registry, set });
}

/** The formatted errors of a config that must fail to load. */
export async function errorsOf(name: string, set?: string[]): Promise<string[]> {
  try {
    await load(name, set);
  } catch (err) {
    if (!(err instanceof ConfigErrors)) throw err;
    const lines = err.errors.map(formatError);
    if (err.message !== lines.join('\n')) throw new Error('ConfigErrors.message must list the formatted errors');
    return lines;
  }
  throw new Error(`${name} loaded without errors`);
}
