// The option parsers and shared options of every command: what `pipeline --help` needs, so this
// file imports commander and small modules only (no tfjs, no yaml, no ajv, no sqlite).
import { InvalidArgumentError, Option, type Command, type CommanderError } from '#commander';
import { BACKEND_CHOICES } from '../backend/name.js';
import type { BackendChoice } from '../backend/index.js';
import { UsageError } from '../config/errors.js';

export const CACHE_HELP = 'cache root (default: $PIPELINE_CACHE or ./cache)';

/** An option parser whose complaint commander reports as a usage error. */
export const parsed =
  <T>(parse: (v: string) => T) =>
  (v: string): T => {
    try {
      return parse(v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };

export const wholeNumber = parsed((v) => {
  if (!/^\d+$/.test(v)) throw new Error('a whole number is needed');
  return Number(v);
});

export const positiveNumber = parsed((v) => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error('a whole number of at least 1 is needed');
  return Number(v);
});

const UNITS_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };
const UNITS_BYTES: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
};

/** "90s", "30m", "12h", "7d", "2w" -> milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(text);
  if (!m) throw new UsageError(`bad duration "${text}": use a number and a unit, s m h d or w (e.g. 7d, 12h)`);
  return Number(m[1]) * UNITS_MS[m[2].toLowerCase()];
}

/** "2GB", "500MB", "1.5g", "4096" -> bytes (1 KB = 1024 bytes). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m?.[2].toLowerCase() ?? '';
  if (!m || !(unit in UNITS_BYTES)) throw new UsageError(`bad size "${text}": use a number and B, KB, MB, GB or TB (e.g. 2GB)`);
  return Math.floor(Number(m[1]) * UNITS_BYTES[unit]);
}

/** Commander parser for a repeatable option. */
export const collect = (value: string, previous: unknown): string[] => [...(Array.isArray(previous) ? previous : []), value];

export interface ConfigFlags {
  set?: string[];
  cache?: string;
  backend?: BackendChoice;
  rehash?: boolean;
}

/** --set, --cache, --backend and --rehash: what a command that reads a pipeline file needs. */
export function configOptions(cmd: Command): Command {
  return cmd
    .option('--set <stage.param=value>', 'override a value (repeatable), e.g. --set confident.threshold=0.9', collect)
    .option('--cache <dir>', CACHE_HELP)
    .addOption(new Option('--backend <name>', "compute backend (default: the file's `backend:`, else auto)").choices(BACKEND_CHOICES))
    .option('--rehash', 'read and hash every source-data file, not trusting the hashes the cache keeps by file size, mtime, ctime and inode');
}

/** Commander's own usage errors (unknown option, missing argument) are bad input too. */
export const usageExit = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : 2);

/** A command action whose code is imported when the command runs, not when the program starts:
 * `pipeline --help` loads none of it. `name` is the action's export in the loaded module. */
export function lazyAction<M>(load: () => Promise<M>, name: keyof M & string): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const action = (await load())[name] as (...a: unknown[]) => unknown;
    await action(...args);
  };
}
