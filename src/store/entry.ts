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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRef = (v: unknown): boolean => isObject(v) && typeof v.hash === 'string' && typeof v.size === 'number';

/** What makes a stored value unusable as the entry of `key`, or undefined when it is one. Every
 * reader goes through the fields checked here; a row that fails them is reported, not read. */
export function entryProblem(value: unknown, key: string): string | undefined {
  if (!isObject(value)) return `not an entry (${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`;
  if (value.key !== key) return `its key field is ${JSON.stringify(value.key)?.slice(0, 20)}, not the row's key`;
  for (const f of ['stageType', 'stageId', 'pipeline', 'created'] as const) if (typeof value[f] !== 'string') return `no ${f}`;
  const parts = value.parts;
  if (!isObject(parts) || typeof parts.stage !== 'string' || !isObject(parts.params)) return 'no key parts';
  if (!isObject(value.outputs) || !Object.values(value.outputs).every((o) => isObject(o) && Object.values(o).every(isRef))) return 'bad outputs';
  if (!isObject(value.pictures) || !Object.values(value.pictures).every(isRef)) return 'bad pictures';
  if (!isObject(value.metrics) || !isObject(value.timings)) return 'no metrics or timings';
  return undefined;
}
