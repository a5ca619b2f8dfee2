// Sweep expansion: `sweep:` axes (a grid: the cross product), `variants:` (explicit set-blocks)
// and `--sweep stage.param=a,b,c` become a list of validated configs. Every value keeps the
// position where it was written, so a bad value in one variant is reported at its FILE:LINE:COL
// before anything runs. When both `variants:` and a grid are given, each variant is crossed with
// every grid point.
import { parse as parseYaml } from 'yaml';
import {
  applyOverrides,
  ConfigErrors,
  overrideFrom,
  type ConfigError,
  type LoadedConfig,
  type PipelineConfig,
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
  let values: unknown;
  try {
    values = parseYaml(`[${arg.slice(eq + 1)}]`);
  } catch (err) {
    return { file, message: `cannot read the values: ${(err as Error).message.split('\n')[0]}` };
  }
  const list = values as unknown[];
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

/** All variants of a loaded config (one, unchanged, when it is not a sweep). Throws ConfigErrors
 * with every bad value of every variant. */
export function expandSweep(loaded: LoadedConfig, registry: Registry, sweepArgs: string[] = []): Variant[] {
  const errors: ConfigError[] = [];
  const axes: SetEntry[][] = Object.keys(loaded.config.sweep ?? {}).map((path) =>
    (loaded.config.sweep![path] as unknown[]).map((_, i) => overrideFrom(loaded, path, ['sweep', path, i])),
  );
  for (const arg of sweepArgs) {
    const parsed = parseSweepArg(arg);
    if ('message' in parsed) errors.push(parsed);
    else axes.push(parsed.entries);
  }
  const explicit: SetEntry[][] = (loaded.config.variants ?? []).map((v, i) => Object.keys(v).map((path) => overrideFrom(loaded, path, ['variants', i, path])));
  if (errors.length) throw new ConfigErrors(errors, []);
  const grid = crossProduct(axes);
  const combos = explicit.length ? explicit.flatMap((v) => grid.map((g) => [...v, ...g])) : grid;
  const variants: Variant[] = [];
  const seen = new Set<string>();
  for (const entries of combos) {
    try {
      const config = structuredClone(applyOverrides(loaded, entries, registry).config);
      delete config.sweep;
      delete config.variants;
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
