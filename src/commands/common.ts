// What every command shares: repeatable options, the config options (--set, --cache, --backend),
// and how errors become messages and exit statuses (0 ok, 1 failed, 2 bad input).
import { InvalidArgumentError, Option, type Command, type CommanderError } from 'commander';
import { CacheCommandError } from '../cache/inspect.js';
import { ConfigErrors, formatError } from '../config/index.js';
import { UsageError } from '../runner/run.js';
import { BACKENDS, type BackendChoice } from '../tensors/backend.js';

export const CACHE_HELP = 'cache root (default: $PIPELINE_CACHE or ./cache)';

/** An option parser whose complaint commander reports as a usage error. */
export const parsed = <T>(parse: (v: string) => T) => (v: string): T => {
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
    console.error(`${err.errors.length} problem${err.errors.length === 1 ? '' : 's'} found; nothing was run.`);
    return 2;
  }
  if (err instanceof UsageError || err instanceof CacheCommandError) {
    console.error(`error: ${err.message}`);
    return 2;
  }
  console.error(err instanceof Error ? (process.env.PIPELINE_DEBUG ? err.stack : `error: ${err.message}`) : err);
  return 1;
}

/** Commander's own usage errors (unknown option, missing argument) are bad input too. */
export const usageExit = (err: CommanderError): never => process.exit(err.exitCode === 0 ? 0 : 2);
