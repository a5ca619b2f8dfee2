// A cache entry: what the index maps a cache key to (output blob hashes, metrics, key parts,
// timings), and the small facts every reader of entries needs.
import type { KeyParts } from '../keys/recipe.js';
import type { Metrics } from '../sdk/stage.js';
import type { BlobRef } from './blob-store.js';

/** Where an entry was last used: the pipeline and stage id of the run that hit (or saved) it. */
export interface EntryUse {
  pipeline: string;
  stageId: string;
}

export interface CacheEntry {
  key: string;
  stageType: string;
  stageId: string;
  pipeline: string;
  parts: KeyParts;
  /** output name -> tensor name -> blob */
  outputs: Record<string, Record<string, BlobRef>>;
  /** picture name -> blob (uint8 [height, width]) */
  pictures: Record<string, BlobRef>;
  metrics: Metrics;
  timings: { computeMs: number; storeMs: number };
  created: string;
  /** ISO time of the last save or cache hit: gc's "least recently used" and ls's "last used". */
  lastUsed: string;
  lastRun?: EntryUse;
}

/** Entries written before use was recorded count as last used when they were created. */
export function withUse(entry: CacheEntry | undefined): CacheEntry | undefined {
  if (entry && !entry.lastUsed) entry.lastUsed = entry.created;
  return entry;
}

/** Every blob an entry points at: its output tensors and its pictures. */
export function entryBlobs(entry: CacheEntry): BlobRef[] {
  return [...Object.values(entry.outputs).flatMap((o) => Object.values(o)), ...Object.values(entry.pictures)];
}

/** Where an entry was last used (older entries: where it was made). */
export const lastUseOf = (e: CacheEntry): EntryUse => e.lastRun ?? { pipeline: e.pipeline, stageId: e.stageId };
