// Sweep expansion: `sweep:` axes (a grid: the cross product), `variants:` (explicit set-blocks)
// and `--sweep stage.param=a,b,c` become a list of validated configs. Every value keeps the
// position where it was written, so a bad value in one variant is reported at its FILE:LINE:COL
// before anything runs. When both `variants:` and a grid are given, each variant is crossed with
// every grid point.
import {
  applyOverrides,
  ConfigErrors,
  MAX_VARIANTS_ENV,
  maxVariants,
  overrideFrom,
  plainValue,
  reservedMessage,
  reservedSegment,
  type ConfigError,
  type LoadedConfig,
  type PipelineConfig,
  type Position,
  type SetEntry,
  unsweepable,
} from '../config/index.js';
import type { Registry } from '../sdk/stage.js';

export interface Variant {
  /** Short, filesystem-safe and unique, e.g. `v3`. */
  id: string;
  /** The swept values of this variant, by dotted path. */
  values: Record<string, unknown>;
  config: PipelineConfig;
}

const SWEEP_ARG = '--sweep ';

/** `stage.param=a,b,c` -> one axis; each value is read as YAML (`0.5` a number). */
function parseSweepArg(arg: string): { path: string; entries: SetEntry[] } | ConfigError {
  const file = SWEEP_ARG + arg;
  const eq = arg.indexOf('=');
  if (eq <= 0) return { file, message: 'expected PATH=V1,V2,..., e.g. confident.threshold=0.5,0.8' };
  const path = arg.slice(0, eq).trim();
  const fixed = unsweepable(path);
  if (fixed) return { file, message: fixed };
  const reserved = reservedSegment(path);
  if (reserved !== undefined) return { file, message: reservedMessage(path, reserved) };
  const read = plainValue(file, `[${arg.slice(eq + 1)}]`);
  if ('error' in read) return { file, message: read.syntax ? `cannot read the values: ${read.error}` : read.error };
  const list = read.value as unknown[];
  if (list.length === 0) return { file, message: 'no values given' };
  const origin = { value: { file }, key: { file } };
  return { path, entries: list.map((value) => ({ path, value, origin })) };
}

function crossProduct<T>(axes: T[][]): T[][] {
  return axes.reduce<T[][]>((acc, axis) => acc.flatMap((combo) => axis.map((v) => [...combo, v])), [[]]);
}

export function isSweep(loaded: LoadedConfig, sweepArgs: string[] = []): boolean {
  const c = loaded.config;
  return sweepArgs.length > 0 || Object.keys(c.sweep ?? {}).length > 0 || (c.variants ?? []).length > 0;
}

/** The number of variants, checked before any is built: a 100 x 100 x 100 grid would otherwise
 * take minutes to expand and validate only to be refused later, or never finish. */
function checkCount(loaded: LoadedConfig, axes: number[], items: number, args: string[]): void {
  const limit = maxVariants();
  if (typeof limit !== 'number') throw new ConfigErrors([limit]);
  const count = axes.reduce((a, n) => a * n, 1) * Math.max(1, items);
  if (count <= limit) return;
  const key = Object.keys(loaded.config.sweep ?? {}).length > 0 ? 'sweep' : items > 0 ? 'variants' : undefined;
  const pos: Position = (key && loaded.tracked.origins.keyPos([key])) || (args.length ? { file: SWEEP_ARG + args[0] } : { file: loaded.files[0] });
  const grid = axes.join(' x ');
  const how = items > 0 && axes.length > 0 ? ` (${grid} grid points for each of ${items} variants: items)` : axes.length > 1 ? ` (${grid})` : '';
  const message =
    `${key ?? 'sweep'}: ${count} variants${how}, more than the limit of ${limit}; ` +
    `to allow more, set the environment variable ${MAX_VARIANTS_ENV}, e.g. ${MAX_VARIANTS_ENV}=${count}`;
  throw new ConfigErrors([{ ...pos, message }]);
}

/** The config every variant starts from: without its `sweep:` and `variants:`, which would
 * otherwise be copied and validated again for every variant (quadratic for one long axis). */
function sweepBase(loaded: LoadedConfig): LoadedConfig {
  const value = { ...loaded.tracked.value };
  delete value.sweep;
  delete value.variants;
  const origins = loaded.tracked.origins.clone();
  origins.deleteUnder(['sweep']);
  origins.deleteUnder(['variants']);
  return { ...loaded, tracked: { value, origins } };
}

/** All variants of a loaded config (one, unchanged, when it is not a sweep). Throws ConfigErrors
 * with every bad value of every variant. */
export function expandSweep(loaded: LoadedConfig, registry: Registry, sweepArgs: string[] = []): Variant[] {
  const errors: ConfigError[] = [];
  const sweep = loaded.config.sweep ?? {};
  const args: { path: string; entries: SetEntry[] }[] = [];
  for (const arg of sweepArgs) {
    const parsed = parseSweepArg(arg);
    if ('message' in parsed) errors.push(parsed);
    else args.push(parsed);
  }
  if (errors.length) throw new ConfigErrors(errors, []);
  const fileAxes = Object.keys(sweep);
  const items = loaded.config.variants ?? [];
  checkCount(loaded, [...fileAxes.map((p) => (sweep[p] as unknown[]).length), ...args.map((a) => a.entries.length)], items.length, sweepArgs);

  const axes: SetEntry[][] = fileAxes.map((path) => (sweep[path] as unknown[]).map((_, i) => overrideFrom(loaded, path, ['sweep', path, i])));
  for (const a of args) axes.push(a.entries);
  const explicit: SetEntry[][] = items.map((v, i) => Object.keys(v).map((path) => overrideFrom(loaded, path, ['variants', i, path])));
  const grid = crossProduct(axes);
  const combos = explicit.length ? explicit.flatMap((v) => grid.map((g) => [...v, ...g])) : grid;
  const base = sweepBase(loaded);
  const variants: Variant[] = [];
  const seen = new Set<string>();
  for (const entries of combos) {
    try {
      const config = applyOverrides(base, entries, registry).config;
      const fingerprint = JSON.stringify(config);
      if (seen.has(fingerprint)) continue; // the same variant twice is one variant
      seen.add(fingerprint);
      variants.push({ id: `v${variants.length + 1}`, values: Object.fromEntries(entries.map((e) => [e.path, e.value])), config });
    } catch (err) {
      if (!(err instanceof ConfigErrors)) throw err;
      errors.push(...err.errors);
    }
  }
  if (errors.length) throw new ConfigErrors(errors, loaded.files);
  return variants;
}
