// Sweep expansion: `sweep:` axes (a grid: the cross product), `variants:` (explicit set-blocks)
// and `--sweep stage.param=a,b,c` become a list of validated configs. Every value keeps the
// position where it was written, so a bad value in one variant is reported at its FILE:LINE:COL
// before anything runs. When both `variants:` and a grid are given, each variant is crossed with
// every grid point. Ids: a named item's name (`wide`; crossed with a grid `wide-1`, `wide-2`, ...
// by grid point), else `v1`, `v2`, ... by position among the variants.
import { createHash } from 'node:crypto';
import {
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
  variantConfig,
} from '../config/index.js';
import { isVariantBlock } from '../config/validate.js';
import type { Registry } from '../sdk/stage.js';

export interface Variant {
  /** Short, filesystem-safe and unique: the `name:` of its `variants:` item (`wide`; with a grid
   * too, `wide-1`, `wide-2`, ... by grid point), else `v1`, `v2`, ... in order. */
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
  const explicit = items.map((v, i) => explicitVariant(loaded, v as Record<string, unknown>, i));
  const grid = crossProduct(axes);
  const gridded = axes.length > 0;
  const combos: Combo[] = explicit.length
    ? explicit.flatMap((v) => grid.map((g, j) => ({ entries: [...v.entries, ...g], name: v.name, at: v.at, point: j + 1 })))
    : grid.map((entries, j) => ({ entries, point: j + 1 }));
  const base = sweepBase(loaded);
  const variants: Variant[] = [];
  const seen = new Set<string>();
  const ids = new Map<string, Combo>();
  for (const combo of combos) {
    try {
      const { entries, name } = combo;
      const config = variantConfig(base, entries, registry);
      // The same variant twice is one variant; a named one is kept under its own name. (A digest:
      // 10,000 configs' JSON would be tens of MB held until the end.)
      const fingerprint = createHash('sha256')
        .update(JSON.stringify([name ?? null, config]))
        .digest('base64');
      if (seen.has(fingerprint)) continue;
      seen.add(fingerprint);
      const id = name === undefined ? `v${variants.length + 1}` : gridded ? `${name}-${combo.point}` : name;
      const taken = ids.get(id.toLowerCase());
      if (taken) {
        errors.push({
          ...(combo.at ?? { file: loaded.files[0] }),
          message: `variant id "${id}" is also the id of ${describeCombo(taken, gridded)}; rename one`,
        });
        continue;
      }
      ids.set(id.toLowerCase(), combo);
      variants.push({ id, values: Object.fromEntries(entries.map((e) => [e.path, e.value])), config });
    } catch (err) {
      if (!(err instanceof ConfigErrors)) throw err;
      errors.push(...err.errors);
    }
  }
  if (errors.length) throw new ConfigErrors(errors, loaded.files);
  return variants;
}

/** One variant to build: its overrides, and for a named `variants:` item its name (and where it
 * is written) and its grid point, 1-based. */
interface Combo {
  entries: SetEntry[];
  name?: string;
  at?: Position;
  point: number;
}

function describeCombo(c: Combo, gridded: boolean): string {
  return c.name === undefined ? 'an unnamed variant' : gridded ? `variant "${c.name}" at grid point ${c.point}` : `variant "${c.name}"`;
}

/** A `variants:` item as overrides: `{ name?, set: {...} }`, or the older bare map of paths. */
function explicitVariant(loaded: LoadedConfig, item: Record<string, unknown>, i: number): { entries: SetEntry[]; name?: string; at?: Position } {
  if (!isVariantBlock(item)) return { entries: Object.keys(item).map((path) => overrideFrom(loaded, path, ['variants', i, path])) };
  const set = (item.set ?? {}) as Record<string, unknown>;
  const entries = Object.keys(set).map((path) => overrideFrom(loaded, path, ['variants', i, 'set', path]));
  const name = typeof item.name === 'string' ? item.name : undefined;
  return { entries, name, at: loaded.tracked.origins.valuePos(['variants', i, 'name']) };
}
