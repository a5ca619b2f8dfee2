// Bounds on the work one config may cause. Broken or hostile input (an alias bomb, a device named
// in `extends:`, a million-variant grid) must end in a positioned error within seconds, not in
// minutes of work and gigabytes of memory. Each bound is far above what a real pipeline needs,
// and each is named in the message that reports it.
import type { ConfigError } from './errors.js';

/** A pipeline file (and every file it extends) is read only if it is a regular file this big.
 * The yaml package parses dense YAML (`[0,0,0,...]`) at roughly a second per 100-200 KB, so this
 * bounds parsing to a few seconds; real pipeline files are a few KB. */
export const MAX_FILE_BYTES = 512 * 1024;
export const MAX_FILE_TEXT = '512 KB';

/** Values produced by expanding aliases, per file: a few aliases of a stage block or a list are
 * fine; a "billion laughs" is not. */
export const MAX_ALIAS_NODES = 10_000;

/** Levels of nesting of maps and lists. Deeper values would overflow recursive code further on. */
export const MAX_DEPTH = 64;

/** Files in one `extends:` chain. */
export const MAX_EXTENDS = 32;

/** Stages in one pipeline: graph building, hashing and planning recurse over stages. */
export const MAX_STAGES = 1000;

/** Problems listed in one report; the rest are counted. */
export const MAX_REPORTED = 50;

/** Variants of one sweep, counted before any is built; the variable raises it. */
export const DEFAULT_MAX_VARIANTS = 10_000;
export const MAX_VARIANTS_ENV = 'PIPELINE_MAX_VARIANTS';

export function maxVariants(env: NodeJS.ProcessEnv = process.env): number | ConfigError {
  const raw = env[MAX_VARIANTS_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_MAX_VARIANTS;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) return { file: `${MAX_VARIANTS_ENV}=${raw}`, message: 'expected a whole number of variants, at least 1' };
  return n;
}

/** A pipeline name becomes a folder (`runs/NAME/...`): one path segment, so no `.` or `..`, no
 * separators or control characters; not hidden, and not read as an option in a shell command. */
export const NAME_MAX_LENGTH = 100;
export const NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9._-]*$';
export const NAME_RULE = `use letters, digits, ".", "_" and "-", starting with a letter, digit or "_" (at most ${NAME_MAX_LENGTH} characters)`;

/** Keys that name parts of every JavaScript object: writing one through a path would change
 * Object.prototype, or shadow what the code reads, instead of adding a key. */
export const RESERVED_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** The reserved name among the dot-separated segments of a key or set path, if any. */
export function reservedSegment(key: string): string | undefined {
  if (!key.includes('.')) return RESERVED_KEYS.includes(key) ? key : undefined;
  return key.split('.').find((s) => RESERVED_KEYS.includes(s));
}

export function reservedMessage(key: string, segment: string): string {
  const what = key === segment ? `"${segment}" cannot be used as a key` : `"${key}": "${segment}" cannot be used as a key or path segment`;
  return `${what} (reserved: ${RESERVED_KEYS.join(', ')})`;
}
