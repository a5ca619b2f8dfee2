// Config problems carry the position of the node that caused them, so every message can be
// printed as `FILE:LINE:COL: message` and the user can jump straight to the offending text.
import * as path from 'node:path';
import { MAX_REPORTED } from './limits.js';

/** Where a value was written. line/col are 1-based; a `--set` argument has neither. */
export interface Position {
  file: string;
  line?: number;
  col?: number;
}
export interface ConfigError extends Position {
  message: string;
  /** Set on the line that stands for problems left out of a long report: how many. */
  omitted?: number;
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

// Control characters and bidirectional overrides in a key or value would be interpreted by the
// terminal (or reorder the line) when printed: show them as escapes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const printable = (s: string): string => s.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

export function formatError(e: ConfigError): string {
  const file = displayFile(e.file);
  return printable(`${e.line === undefined ? file : `${file}:${e.line}:${e.col ?? 1}`}: ${e.message}`);
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
      // The parts of the printed line, without the cost of printing each of thousands.
      const key = `${e.file}\u0000${e.line}\u0000${e.col}\u0000${e.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** The first MAX_REPORTED problems, then one line, at the first one left out, counting the rest:
 * twenty thousand lines help nobody. A count from an earlier report (re-thrown with more) adds up. */
function capped(sorted: ConfigError[]): ConfigError[] {
  let omitted = 0;
  const real = sorted.filter((e) => {
    omitted += e.omitted ?? 0;
    return e.omitted === undefined;
  });
  omitted += Math.max(0, real.length - MAX_REPORTED);
  if (omitted === 0) return real;
  const at = real[MAX_REPORTED] ?? sorted.find((e) => e.omitted !== undefined)!;
  const where: Position = at.line === undefined ? { file: at.file } : { file: at.file, line: at.line, col: at.col };
  const message = `... and ${omitted} more problem${omitted === 1 ? '' : 's'} (only the first ${MAX_REPORTED} are listed)`;
  return [...real.slice(0, MAX_REPORTED), { ...where, message, omitted }];
}

export class ConfigErrors extends Error {
  readonly errors: ConfigError[];
  constructor(errors: ConfigError[], fileOrder?: string[]) {
    const sorted = capped(sortErrors(errors, fileOrder));
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
