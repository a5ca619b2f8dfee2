// How errors become messages and exit statuses (0 ok, 1 failed, 2 bad input), for every command;
// and, from options.ts, the repeatable options and the config options (--set, --cache, --backend).
import { ConfigErrors, formatError, UsageError } from '../config/errors.js';
import type { AmbiguousKeyError } from '../runner/inspect.js';
import { lastUseOf } from '../store/entry.js';
import { alignRows } from './format.js';

// The parsers and shared options live in options.ts (what registering the commands needs, kept
// light); re-exported here for the command modules and their tests.
export {
  CACHE_HELP,
  collect,
  type ConfigFlags,
  configOptions,
  parsed,
  parseDuration,
  parseSize,
  positiveNumber,
  usageExit,
  wholeNumber,
} from './options.js';

/** runner/inspect.ts's AmbiguousKeyError, told by its shape: importing the class would load the
 * cache (sqlite, tfjs) into every command that reports an error, `runs ls` included. */
function isAmbiguousKey(err: unknown): err is AmbiguousKeyError {
  const e = err as Partial<AmbiguousKeyError>;
  return err instanceof UsageError && typeof e.prefix === 'string' && Array.isArray(e.matches);
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
  if (isAmbiguousKey(err)) {
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
