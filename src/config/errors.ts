// Config problems carry the position of the node that caused them, so every message can be
// printed as `FILE:LINE:COL: message` and the user can jump straight to the offending text.
import * as path from 'node:path';

/** Where a value was written. line/col are 1-based; a `--set` argument has neither. */
export interface Position {
  file: string;
  line?: number;
  col?: number;
}
export interface ConfigError extends Position {
  message: string;
}

/** Prefix of the pseudo-file used for values that came from a command-line `--set`. */
export const SET_ARG_PREFIX = '--set ';

/** A real file is shown relative to the working directory when it lies inside it, so the
 * output stays short and is still clickable in most terminals and editors. */
function displayFile(file: string): string {
  if (!path.isAbsolute(file)) return file;
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

export function formatError(e: ConfigError): string {
  const where = e.line === undefined ? displayFile(e.file) : `${displayFile(e.file)}:${e.line}:${e.col ?? 1}`;
  return `${where}: ${e.message}`;
}

/** Groups errors by file (in `fileOrder`, then in the order files were first mentioned) and by
 * position inside a file, so a long list reads top to bottom like the files themselves.
 * Identical lines are dropped. */
export function sortErrors(errors: ConfigError[], fileOrder: string[] = []): ConfigError[] {
  const fileRank = new Map<string, number>();
  for (const e of [...fileOrder.map((file) => ({ file })), ...errors]) if (!fileRank.has(e.file)) fileRank.set(e.file, fileRank.size);
  const seen = new Set<string>();
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => fileRank.get(a.e.file)! - fileRank.get(b.e.file)! || (a.e.line ?? 0) - (b.e.line ?? 0) || (a.e.col ?? 0) - (b.e.col ?? 0) || a.i - b.i)
    .map(({ e }) => e)
    .filter((e) => {
      const key = formatError(e);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

export class ConfigErrors extends Error {
  readonly errors: ConfigError[];
  constructor(errors: ConfigError[], fileOrder?: string[]) {
    const sorted = sortErrors(errors, fileOrder);
    super(sorted.map(formatError).join('\n'));
    this.name = 'ConfigErrors';
    this.errors = sorted;
  }
}

/** Bad input that is not in a file: an unknown stage for --force, a cache key that matches
 * nothing, a bad option value. Like ConfigErrors it means exit status 2 and nothing was done. */
export class UsageError extends Error {
  override name = 'UsageError';
}
