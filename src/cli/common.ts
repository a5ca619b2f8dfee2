// What every command shares: repeatable options, the config options (--set, --cache, --backend),
// and how errors become messages and exit statuses (0 ok, 1 failed, 2 bad input).
import { InvalidArgumentError, Option, type Command, type CommanderError } from 'commander';
import { BACKENDS, type BackendChoice } from '../backend/index.js';
import { ConfigErrors, formatError, UsageError } from '../config/index.js';
import { AmbiguousKeyError } from '../runner/inspect.js';
import { lastUseOf } from '../store/entry.js';
import { alignRows } from './format.js';

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
}

/** --set, --cache and --backend: what a command that reads a pipeline file needs. */
export function configOptions(cmd: Command): Command {
  return cmd
    .option('--set <stage.param=value>', 'override a value (repeatable), e.g. --set confident.threshold=0.9', collect)
    .option('--cache <dir>', CACHE_HELP)
    .addOption(new Option('--backend <name>', "compute backend (default: the file's `backend:`, else auto)").choices(BACKENDS));
}

/** Print an error the way a user can act on it; returns the exit status. */
export function reportError(err: unknown): number {
  if (err instanceof ConfigErrors) {
    for (const e of err.errors) console.error(formatError(e));
    // A capped list ends in an "... and N more" line that stands for N problems.
    const total = err.errors.reduce((n, e) => n + (e.omitted ?? 1), 0);
    console.error(`${total} problem${total === 1 ? '' : 's'} found; nothing was run.`);
    return 2;
  }
  if (err instanceof AmbiguousKeyError) {
    const rows = err.matches.map((e) => [e.key.slice(0, Math.max(12, err.prefix.length + 2)), e.stageType, `${lastUseOf(e).pipeline}/${lastUseOf(e).stageId}`]);
    console.error(`error: ${err.message}:`);
    for (const line of alignRows(rows)) console.error(`  ${line}`);
    return 2;
  }
  if (err instanceof UsageError) {
    console.error(`error: ${err.message}`);
    return 2;
  }
  console.error(err instanceof Error ? (process.env.PIPELINE_DEBUG ? err.stack : `error: ${err.message}`) : err);
  return 1;
}

/** Commander's own usage errors (unknown option, missing argument) are bad input too. */
export const usageExit = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : 2);
