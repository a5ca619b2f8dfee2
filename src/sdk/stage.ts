// The stage contract: what a stage declares and what the runner hands it.
// A stage is pure compute: no files, no cache, no clock, no Math.random. The runner does all I/O,
// which is what lets the cache trust a stage's result and lets tests call a stage directly.
import type * as tf from '@tensorflow/tfjs-core';
import type { GreyImage } from '../render/grid.js';
import type { Rng } from './rng.js';

export type { GreyImage };

/** A named bundle of tensors: one output of a stage (e.g. a dataset, a model's weights). */
export type Artifact = Record<string, tf.Tensor>;
export type Metrics = Record<string, number | number[]>;

/** A source-data file as the runner read it; `sha256` is of `bytes`, already computed for the key. */
export interface StageFile {
  path: string;
  bytes: Uint8Array;
  sha256: string;
}

export interface ProgressInfo {
  loss?: number;
}

export interface StageContext<P> {
  params: P;
  inputs: Record<string, Artifact>;
  rng: Rng;
  /** The bytes of the files named by `StageDef.files`, read (and content-hashed into the cache key)
   * by the runner. */
  files: Record<string, StageFile>;
  /** Cheap to call every step; pass `loss` only when it was read back anyway. Training loops
   * should `await` it: now and then it yields to the event loop so the display stays live. */
  progress(step: number, total: number, info?: ProgressInfo): void | Promise<void>;
}

export interface StageResult {
  outputs: Record<string, Artifact>;
  metrics?: Metrics;
  pictures?: Record<string, GreyImage>;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds stages of every params type; `unknown` would reject each one
export interface StageDef<P = any> {
  /** The name used in YAML `uses:`. */
  type: string;
  /** Bump when the computation changes in a way the source hash cannot see (e.g. a dependency upgrade). */
  version: number;
  /** `import.meta.url` of the module that defines the stage: its source and the project files it
   * imports are hashed into the cache key, so editing the code invalidates old entries. */
  source: string;
  description: string;
  /** JSON schema of the YAML `with:` block, with defaults (ajv applies them). */
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
  run(ctx: StageContext<P>): Promise<StageResult>;
}

export type Registry = Record<string, StageDef>;

/** Declare a stage; the identity function, there for the type check (and for editors). */
export function defineStage<P>(def: StageDef<P>): StageDef<P> {
  return def;
}
