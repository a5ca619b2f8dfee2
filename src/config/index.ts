// The config layer's entry point: file -> extends chain merged -> set blocks -> --set args ->
// one validation pass. Throws ConfigErrors listing every problem, each at FILE:LINE:COL.
import * as path from 'node:path';
import type { Registry, StageDef } from '../sdk/stage.js';
import { ConfigErrors, SET_ARG_PREFIX } from './errors.js';
import type { ConfigError, Position } from './errors.js';
import { loadLayer } from './layers.js';
import type { LoadState } from './layers.js';
import { applySetEntries } from './merge.js';
import type { SetEntry } from './merge.js';
import { OriginMap, type Path, type Tracked } from './origins.js';
import { reservedMessage, reservedSegment } from './limits.js';
import { isObject } from './json.js';
import { plainValue } from './to-plain.js';
import { validateMerged } from './validate.js';
import type { PipelineConfig } from './types.js';

export type { StageConfig, PipelineConfig } from './types.js';
export type { Position, ConfigError } from './errors.js';
export { ConfigErrors, formatError, UsageError } from './errors.js';
export type { SetEntry } from './merge.js';
export type { NodeOrigin, Path, Tracked } from './origins.js';
export { OriginMap } from './origins.js';
export { applySetEntries } from './merge.js';
export { unsweepable, validateMerged } from './validate.js';
export { resolveSetPath } from './set-paths.js';
export { parseRef, type Ref } from './references.js';
export { DEFAULT_MAX_VARIANTS, MAX_VARIANTS_ENV, maxVariants, reservedMessage, reservedSegment } from './limits.js';
export { plainValue } from './to-plain.js';

export interface LoadedConfig {
  /** Validated, defaults applied, plain JSON. */
  config: PipelineConfig;
  /** Files read: the requested one (absolute) first, then the files it extends, in order. */
  files: string[];
  /** Where the value at `path` (e.g. ['stages', 'confident', 'with', 'threshold']) was written;
   * a value filled in by a default is shown where its enclosing value was written. */
  origin(path: Path): Position | undefined;
  /** The config with its origins, for deriving variants with `applyOverrides`. */
  tracked: Tracked;
  /** The stage types it was validated against: the given registry plus the stage modules its
   * `uses:` named (see StageModuleLoader). */
  registry: Registry;
}

/** A `uses:` value that is not a registered stage type: a stage file or package to load. */
export interface StageModuleRequest {
  uses: string;
  /** The folder of the file that wrote the value (the working directory for `--set`). */
  dir: string;
  /** The folder of the requested file. */
  topDir: string;
  pos: Position;
}
/** `key`: the registry key the stage goes under (`uses` is rewritten to it); `error`: a config
 * error at the `uses:` value; undefined: not a module, left to validation ("unknown stage type"). */
export type StageModuleResult = { key: string; def: StageDef } | { error: string } | undefined;
export type StageModuleLoader = (req: StageModuleRequest) => Promise<StageModuleResult>;

/** Load the stage modules `uses:` values name, before validation. Returns the registry to
 * validate against (the same object when nothing was loaded: its compiled schema is cached). */
async function withStageModules(tracked: Tracked, registry: Registry, loader: StageModuleLoader, topFile: string, errors: ConfigError[]): Promise<Registry> {
  const stages = tracked.value.stages;
  if (!isObject(stages)) return registry;
  const extra: Registry = {};
  for (const [id, stage] of Object.entries(stages)) {
    if (!isObject(stage) || typeof stage.uses !== 'string' || Object.hasOwn(registry, stage.uses)) continue;
    const pos = tracked.origins.valuePos(['stages', id, 'uses']) ?? { file: topFile };
    const dir = pos.file.startsWith(SET_ARG_PREFIX) ? process.cwd() : path.dirname(pos.file);
    const r = await loader({ uses: stage.uses, dir, topDir: path.dirname(topFile), pos });
    if (r === undefined) continue;
    if ('error' in r) {
      errors.push({ ...pos, message: `uses: ${r.error}` });
      continue;
    }
    if (Object.hasOwn(registry, r.key) || (Object.hasOwn(extra, r.key) && extra[r.key] !== r.def)) {
      errors.push({ ...pos, message: `uses: ${stage.uses} names stage "${r.key}", which is already another stage` });
      continue;
    }
    extra[r.key] = r.def;
    stage.uses = r.key;
  }
  return Object.keys(extra).length > 0 ? { ...registry, ...extra } : registry;
}

/** `--set PATH=VALUE`: VALUE is read as YAML, so `0.9` is a number, `true` a boolean and `[1, 2]`
 * a list; quote it (`name='"007"'`) to keep a string. */
export function parseSetArg(arg: string): SetEntry | ConfigError {
  const pos: Position = { file: SET_ARG_PREFIX + arg };
  const eq = arg.indexOf('=');
  if (eq <= 0) return { ...pos, message: 'expected PATH=VALUE, e.g. confident.threshold=0.9' };
  const dotted = arg.slice(0, eq).trim();
  const reserved = reservedSegment(dotted);
  if (reserved !== undefined) return { ...pos, message: reservedMessage(dotted, reserved) };
  const read = plainValue(pos.file, arg.slice(eq + 1));
  if ('error' in read) return { ...pos, message: read.syntax ? `cannot read the value as YAML: ${read.error}` : read.error };
  return { path: dotted, value: read.value ?? null, origin: { value: pos, key: pos } };
}

function fromTracked(tracked: Tracked, registry: Registry, files: string[], errors: ConfigError[], setArgs: string[]): LoadedConfig {
  const result = validateMerged(tracked, registry);
  if (result.errors.length > 0 || errors.length > 0) {
    // The requested file first, then what it extends, then --set arguments in the order given.
    throw new ConfigErrors([...errors, ...result.errors], [...files, ...setArgs.map((a) => SET_ARG_PREFIX + a)]);
  }
  const origins: OriginMap = tracked.origins;
  return {
    config: result.config!,
    files,
    origin: (p) => origins.valuePos(p),
    tracked,
    registry,
  };
}

export async function loadConfig(file: string, opts: { registry: Registry; set?: string[]; stageModules?: StageModuleLoader }): Promise<LoadedConfig> {
  const st: LoadState = { errors: [], files: [], fatal: false, bytes: 0 };
  const tracked = await loadLayer(path.resolve(file), [], st);
  if (!tracked || st.fatal) throw new ConfigErrors(st.errors, st.files);
  // Command-line overrides come last: they win over every file.
  const entries: SetEntry[] = [];
  for (const arg of opts.set ?? []) {
    const parsed = parseSetArg(arg);
    if ('message' in parsed) st.errors.push(parsed);
    else entries.push(parsed);
  }
  st.errors.push(...applySetEntries(tracked, entries));
  let registry = opts.registry;
  if (opts.stageModules) {
    const moduleErrors: ConfigError[] = [];
    registry = await withStageModules(tracked, registry, opts.stageModules, path.resolve(file), moduleErrors);
    // A stage that did not load has no schema: validating it would only add "unknown stage type".
    if (moduleErrors.length > 0) throw new ConfigErrors([...st.errors, ...moduleErrors], [...st.files, ...(opts.set ?? []).map((a) => SET_ARG_PREFIX + a)]);
  }
  return fromTracked(tracked, registry, st.files, st.errors, opts.set ?? []);
}

/** A variant of a loaded config: `entries` (e.g. one value per sweep axis, with the position of
 * that value in the sweep file) applied over it, then validated again. Throws ConfigErrors with
 * each bad value at its own position. The input is not modified. */
export function applyOverrides(loaded: LoadedConfig, entries: SetEntry[], registry: Registry): LoadedConfig {
  const tracked: Tracked = { value: structuredClone(loaded.tracked.value), origins: loaded.tracked.origins.clone() };
  const errors = applySetEntries(tracked, entries);
  return fromTracked(tracked, registry, loaded.files, errors, []);
}

/** The config of one variant: what `applyOverrides(...).config` returns, made with one copy of
 * the value and no copy of its origins. Positions are needed only for problems, so a variant with
 * any problem is made again by `applyOverrides`, which throws them with their positions. A sweep
 * of 10,000 variants makes 10,000 of these. */
export function variantConfig(loaded: LoadedConfig, entries: SetEntry[], registry: Registry): PipelineConfig {
  const tracked: Tracked = { value: structuredClone(loaded.tracked.value), origins: new OriginMap() };
  if (applySetEntries(tracked, entries).length === 0) {
    const result = validateMerged(tracked, registry, { inPlace: true });
    if (result.errors.length === 0) return result.config!;
  }
  return applyOverrides(loaded, entries, registry).config;
}

/** The override "set `dotted` to the value written at `at`" (e.g. at = ['sweep',
 * 'confident.threshold', 1] or ['variants', 0, 'classifier.hidden']), positioned at that value
 * and its parts, ready for `applyOverrides`. */
export function overrideFrom(loaded: LoadedConfig, dotted: string, at: Path): SetEntry {
  const origins = loaded.tracked.origins;
  let value: unknown = loaded.config;
  for (const seg of at) value = (value as Record<string | number, unknown> | undefined)?.[seg];
  const origin = origins.getExact(at) ?? { value: origins.valuePos(at) ?? { file: loaded.files[0] } };
  return { path: dotted, value: structuredClone(value), origin, valueOrigins: origins.subtree(at) };
}
