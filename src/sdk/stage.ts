// The stage contract: what a stage declares and what the runner hands it.
// A stage is pure compute: no files, no cache, no clock, no Math.random. The runner does all I/O,
// which is what lets the cache trust a stage's result and lets tests call a stage directly.
import type { JSONSchemaType } from 'ajv';
import type * as tf from '@tensorflow/tfjs-core';
import type { GreyImage } from '../render/grid.js';
import type { Rng } from './rng.js';

export type { GreyImage };

/** A named bundle of tensors: one output of a stage (e.g. a dataset, a model's weights). Tensor
 * name -> tensor; the runner stores each tensor as one content-addressed blob. */
export type Artifact = Record<string, tf.Tensor>;

/** What a stage measured (accuracy, final loss, loss curve, ...): name -> a number or a list of
 * numbers. Stored with the cache entry and written to the run's `manifest.json`. */
export type Metrics = Record<string, number | number[]>;

/** A source-data file as the runner read it; `sha256` is of `bytes`, already computed for the key. */
export interface StageFile {
  /** The candidate path that existed (see `StageDef.files`). */
  path: string;
  /** The whole file, as read. */
  bytes: Uint8Array;
  /** Hex sha256 of `bytes`: the file's part of the cache key. */
  sha256: string;
}

/** Extra information a progress report may carry. */
export interface ProgressInfo {
  /** The current training loss, when it was read back from the backend anyway. */
  loss?: number;
}

/** What the runner hands a stage's `run`. */
export interface StageContext<P> {
  /** The validated `with:` block, every schema default filled in; the stage's own copy. */
  params: P;
  /** Input name (as declared in `StageDef.inputs`) -> the upstream artifact. Owned by the runner:
   * read them, never dispose them. */
  inputs: Record<string, Artifact>;
  /** Seeded from the pipeline's `seed` (or the stage's): the only source of randomness a stage may
   * use, so the same seed gives bitwise the same outputs. Draw from it in a fixed order. */
  rng: Rng;
  /** The bytes of the files named by `StageDef.files`, read (and content-hashed into the cache key)
   * by the runner. */
  files: Record<string, StageFile>;
  /** Report `step` of `total` (any unit: training steps, samples). Cheap to call every step; pass
   * `loss` only when it was read back anyway. Training loops should `await` it: now and then it
   * yields to the event loop so the display stays live, and a stopped run (Ctrl-C) throws from it. */
  progress(step: number, total: number, info?: ProgressInfo): void | Promise<void>;
}

/** What a stage's `run` returns. The runner stores it and disposes the output tensors after the
 * run; a stage must dispose every other tensor it made. */
export interface StageResult {
  /** Output name (every name of `StageDef.outputs`) -> artifact. */
  outputs: Record<string, Artifact>;
  /** Numbers for the run record and `pipeline cache show`. */
  metrics?: Metrics;
  /** Picture name -> grey image, saved as `<name>.png` in the run folder. */
  pictures?: Record<string, GreyImage>;
}

/** A stage definition as the registry holds it (of any params type). Write one with
 * `defineStage`, which also checks the params schema against `P`. */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds stages of every params type; `unknown` would reject each one
export interface StageDef<P = any> {
  /** The name used in YAML `uses:`. */
  type: string;
  /** Bump when the computation changes in a way the source hash cannot see (e.g. a dependency upgrade). */
  version: number;
  /** `import.meta.url` of the module that defines the stage: its source and the project files it
   * imports are hashed into the cache key, so editing the code invalidates old entries. A stage
   * file named by `uses:` may leave it out (the loader knows the file); a stage handed to
   * `runPipeline` in a registry must set it, or its key cannot be computed. */
  source?: string;
  /** One line for `pipeline stages` and error messages. */
  description: string;
  /** JSON schema of the YAML `with:` block, with defaults (ajv applies them). A schema that lists
   * `properties` is closed (`additionalProperties: false`) unless it says otherwise. */
  params: Record<string, unknown>;
  /** Input name -> artifact kind. */
  inputs: Record<string, string>;
  /** Output name -> artifact kind. The first output is the one a bare stage reference means. */
  outputs: Record<string, string>;
  /** false when the stage runs no tensor kernel (it only builds tensors from data, as `load`
   * does): the backend's kernel code then stays out of its cache key, so editing a kernel does not
   * recompute it. Claim it only when true (`tf.profile` of the stage lists no kernels; a test
   * checks `load`). Default true. */
  kernels?: boolean;
  /** Files outside the cache that the stage reads (source data): name -> candidate paths, the
   * first that exists is used (e.g. `[f, f + '.gz']`). The runner reads them, so the stage stays
   * pure, and hashes their bytes into the key, so changed data is never served from the cache. */
  files?(params: P): Record<string, string[]>;
  /** The computation: pure, from `ctx` to the result. Called with the backend initialised. */
  run(ctx: StageContext<P>): Promise<StageResult>;
}

/** Stage type -> definition: what `loadRegistry` returns and `runPipeline({ registry })` takes. */
export type Registry = Record<string, StageDef>;

/** The keywords ajv's `JSONSchemaType` adds to a property's schema: `nullable: true` exactly when
 * the property is optional, and `const`, `enum`, `default` of the property's type. */
type Nullable<T> = undefined extends T
  ? { nullable: true; const?: null; enum?: readonly (T | null)[]; default?: T | null }
  : { nullable?: false; const?: T; enum?: readonly T[]; default?: T };

/** The schema of one param of type `T`: ajv's `JSONSchemaType<T>` (so `minimum`, `items`,
 * `description`, ... are all allowed, and a wrong `type` is not). */
export type PropertySchema<T> = JSONSchemaType<T> & Nullable<T>;

type RequiredKeys<P> = { [K in keyof P]-?: undefined extends P[K] ? never : K }[keyof P];

interface ObjectSchema {
  type: 'object';
  additionalProperties?: boolean;
  description?: string;
  [keyword: string]: unknown;
}

/**
 * Params schema in the built-in stages' style: every property has a `default` of its type, so no
 * `required` list is needed (defaults are filled in before a stage runs: every param is present).
 */
export interface DefaultedParamsSchema<P> extends ObjectSchema {
  properties: { [K in keyof P]-?: PropertySchema<P[K]> & { default: P[K] } };
  required?: readonly (keyof P)[];
}

/** Params schema in ajv's `JSONSchemaType` style: the non-optional params are listed in
 * `required` (ajv checks the names, not that the list is complete); defaults are optional. */
export type RequiredParamsSchema<P> = ObjectSchema & { properties: { [K in keyof P]-?: PropertySchema<P[K]> } } & ([RequiredKeys<P>] extends [never]
    ? { required?: readonly (keyof P)[] }
    : { required: readonly RequiredKeys<P>[] });

/**
 * The params schema `defineStage` accepts for params type `P`: an object schema whose
 * `properties` name exactly the keys of `P`, each checked by ajv's `JSONSchemaType` for its type;
 * either every property has a typed `default` (`DefaultedParamsSchema`) or the required ones are
 * listed in `required` (`RequiredParamsSchema`, ajv's own rule). A param missing from the schema,
 * one too many, a wrong `type`, or a `default`, `enum` or `const` of the wrong type is a compile
 * error: the type and the schema cannot drift apart. (ajv's whole-object `JSONSchemaType<P>` would
 * also demand `required` of the defaulted style and, being a union with `anyOf`/`oneOf` forms,
 * lets an extra property through.)
 */
export type ParamsSchema<P> = DefaultedParamsSchema<P> | RequiredParamsSchema<P>;

/** What `defineStage` takes: a `StageDef<P>` whose `params` schema is checked against `P`. */
export type StageSpec<P> = Omit<StageDef<P>, 'params'> & {
  /** JSON schema of the YAML `with:` block, checked against `P` (see `ParamsSchema`). */
  params: ParamsSchema<P>;
};

/**
 * Declare a stage. At run time the identity function; at compile time it checks the params
 * schema against the params type, so give the type explicitly:
 *
 * ```ts
 * interface MeanParams { axis: number }
 * export default defineStage<MeanParams>({
 *   type: 'mean', version: 1, source: import.meta.url, description: 'Mean along an axis.',
 *   params: { type: 'object', properties: { axis: { type: 'integer', minimum: 0, default: 0 } } },
 *   inputs: { data: 'tensor' }, outputs: { mean: 'tensor' },
 *   async run(ctx) { return { outputs: { mean: { x: tf.mean(ctx.inputs.data.x, ctx.params.axis) } } }; },
 * });
 * ```
 */
export function defineStage<P>(def: StageSpec<P>): StageDef<P> {
  return def as StageDef<P>;
}
