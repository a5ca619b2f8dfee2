// One stage instance as a self-contained job: everything a process needs to compute it given only
// the cache. This is the unit a worker process runs today and a queue worker could run tomorrow.
import type { CacheEntry } from '../store/run-cache.js';
import type { Identity } from './compute.js';
import type { StageModuleRef } from './stage-modules.js';

export interface StageJob extends Identity {
  /** Whether a later job may read this job's outputs: only then does the worker keep them. */
  keepOutputs: boolean;
  /** Upstream entries and which output of each this stage reads. */
  inputs: Record<string, { entry: CacheEntry; output: string }>;
  /** The stage file or package the stage comes from (a worker loads it the same way and refuses
   * the job when its code differs from `parts.code`); absent for the built-in stages. */
  module?: StageModuleRef;
}

export type WorkerMessage =
  | { type: 'ready'; backend: string }
  | { type: 'progress'; job: number; step: number; total: number; loss?: number }
  | { type: 'done'; job: number; entry: CacheEntry }
  | { type: 'error'; job: number; message: string; corrupt?: string; interrupted?: boolean };

/** From the parent: a job to compute, or stop computing (a signal reached the parent). */
export type ParentMessage = { type: 'job'; job: number; spec: StageJob } | { type: 'abort' };
