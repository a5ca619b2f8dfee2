// Reading the cache for people: list entries, resolve what a user typed (a key prefix or a
// RUN-ID/STAGE from a run folder) to one entry, and describe an entry down to its tensors' values.
// Nothing here writes to the cache.
import { UsageError } from '../config/errors.js';
import { shortKey } from '../keys/hash.js';
import { artifactHash } from '../keys/recipe.js';
import type { Registry } from '../sdk/stage.js';
import { BlobReadError } from '../store/blob-store.js';
import { entryBlobs, lastUseOf, type CacheEntry } from '../store/entry.js';
import { DamagedEntryError, type DamagedEntry } from '../store/index-store.js';
import { openExistingStore } from '../store/open.js';
import type { RunCache } from '../store/run-cache.js';
import { decodeStored, type RawTensor } from '../store/tensor-bytes.js';
import { Explainer } from './explain.js';
import { findRun } from './runs.js';

/** Open an existing cache; a cache command never creates one by looking at a wrong path. */
export function openCache(root: string): RunCache {
  const cache = openExistingStore(root);
  if (!cache) throw new UsageError(`no cache at ${root} (use --cache DIR or $PIPELINE_CACHE)`);
  return cache;
}

/** A key prefix that more than one entry starts with. */
export class AmbiguousKeyError extends UsageError {
  constructor(
    readonly prefix: string,
    readonly matches: CacheEntry[],
  ) {
    super(`key prefix ${prefix} is ambiguous: ${matches.length} entries match`);
  }
}

/** The params schema's properties of a stage type (undefined for a type no plugin defines). */
const paramProps = (registry: Registry, type: string) =>
  (registry[type]?.params as { properties?: Record<string, { default?: unknown }> } | undefined)?.properties;

/** Params whose value is not the stage schema's default: what makes this entry different. */
export function nonDefaultParams(entry: CacheEntry, registry: Registry): Record<string, unknown> {
  const props = paramProps(registry, entry.stageType);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry.parts.params ?? {})) {
    if (!props || JSON.stringify(props[k]?.default) !== JSON.stringify(v)) out[k] = v;
  }
  return out;
}

export interface ListRow {
  key: string;
  stageType: string;
  stageId: string;
  pipeline: string;
  params: Record<string, unknown>;
  /** Bytes on disk of the blobs the entry points at (a blob shared by two entries counts in both). */
  size: number;
  missingBlobs: number;
  /** Blobs that are there but cannot be read (see `cache verify`). */
  unreadableBlobs: number;
  created: string;
  lastUsed: string;
}

/** A blob's size for display: undefined when missing, null when it cannot be read. */
function sizeForList(cache: RunCache, hash: string): number | undefined | null {
  try {
    return cache.blobs.sizeOf(hash);
  } catch (err) {
    if (err instanceof BlobReadError) return null;
    throw err;
  }
}

/** Matching entries, most recently used first, the bytes their blobs take (each blob once), and
 * the index rows that are not readable entries (not filtered: their stage is unknown). */
export async function listEntries(
  cache: RunCache,
  registry: Registry,
  filter: { stage?: string; pipeline?: string } = {},
): Promise<{ rows: ListRow[]; total: number; damaged: DamagedEntry[] }> {
  const rows: ListRow[] = [];
  const seen = new Set<string>();
  let total = 0;
  const { entries, damaged } = await cache.index.scan();
  for (const e of entries) {
    const use = lastUseOf(e);
    if (filter.stage && e.stageType !== filter.stage && use.stageId !== filter.stage && e.stageId !== filter.stage) continue;
    if (filter.pipeline && use.pipeline !== filter.pipeline && e.pipeline !== filter.pipeline) continue;
    let size = 0;
    let missingBlobs = 0;
    let unreadableBlobs = 0;
    for (const ref of entryBlobs(e)) {
      const s = sizeForList(cache, ref.hash);
      if (s === undefined) missingBlobs++;
      else if (s === null) unreadableBlobs++;
      else {
        size += s;
        if (!seen.has(ref.hash)) total += s;
      }
      seen.add(ref.hash);
    }
    rows.push({
      key: e.key,
      stageType: e.stageType,
      stageId: use.stageId,
      pipeline: use.pipeline,
      params: nonDefaultParams(e, registry),
      size,
      missingBlobs,
      unreadableBlobs,
      created: e.created,
      lastUsed: e.lastUsed,
    });
  }
  rows.sort((a, b) => b.lastUsed.localeCompare(a.lastUsed) || a.key.localeCompare(b.key));
  return { rows, total, damaged };
}

/** A unique key prefix, or RUN/STAGE looked up in the run folders, RUN being any run id `findRun`
 * accepts (RUN-ID, RUN-ID/VARIANT, PIPELINE/RUN-ID, PIPELINE/RUN-ID/VARIANT, a unique prefix, a path). */
export async function resolveEntry(cache: RunCache, ref: string, runsRoot = 'runs'): Promise<CacheEntry> {
  if (ref.includes('/')) return resolveRunStage(cache, ref, runsRoot);
  const prefix = ref.toLowerCase();
  if (!/^[0-9a-f]+$/.test(prefix)) throw new UsageError(`"${ref}" is neither a cache key (hex) nor RUN-ID/STAGE`);
  const { entries: all, damaged } = await cache.index.scan();
  const found = all.filter((e) => e.key.startsWith(prefix));
  const unreadable = damaged.filter((d) => d.key.startsWith(prefix));
  // Naming the unreadable row beats "no such entry" or picking the one readable match.
  if (unreadable.length) throw new DamagedEntryError(unreadable[0].key, cache.index.location, unreadable[0].reason);
  if (found.length === 1) return found[0];
  if (found.length === 0) throw new UsageError(`no cache entry with key ${ref} (${all.length} entries; see \`pipeline cache ls\`)`);
  throw new AmbiguousKeyError(ref, found);
}

async function resolveRunStage(cache: RunCache, ref: string, runsRoot: string): Promise<CacheEntry> {
  const cut = ref.lastIndexOf('/');
  const run = ref.slice(0, cut);
  const stage = ref.slice(cut + 1);
  const found = findRun(runsRoot, run);
  // A sweep's own folder has sweep.json and one run folder per variant, but no manifest.
  if (found.kind === 'sweep') {
    const ids = found.sweep?.variants.map((v) => v.variant) ?? found.variants.map((v) => v.id.slice(v.id.lastIndexOf('/') + 1));
    throw new UsageError(`run ${run} is a sweep: name a variant, as in ${run}/${ids[0] ?? 'v1'}/${stage} (variants: ${ids.join(', ')})`);
  }
  if (found.kind === 'damaged') throw new UsageError(`run ${run}: ${found.path} cannot be read (${found.reason})`);
  const { manifest } = found;
  const row = Object.hasOwn(manifest.stages, stage) ? manifest.stages[stage] : undefined;
  if (!row) throw new UsageError(`run ${run} has no stage "${stage}" (stages: ${Object.keys(manifest.stages).join(', ')})`);
  // A stage that did not finish left no entry: say what happened, not that the entry is gone.
  if (row.status === 'failed' || row.status === 'skipped' || row.status === 'interrupted') {
    const what =
      row.status === 'failed'
        ? `failed${row.error ? `: ${row.error}` : ''}`
        : `was ${row.status}${row.error ? ` (${row.error.replace(/^skipped: /, '')})` : ''}`;
    throw new UsageError(`stage ${stage} of run ${run} ${what}; it left no cache entry`);
  }
  if (!row.key) throw new UsageError(`stage ${stage} of run ${run} has no cache key (it ${row.status})`);
  const entry = await cache.index.get(row.key);
  if (!entry) throw new UsageError(`stage ${stage} of run ${run} had key ${shortKey(row.key)}, which is no longer in the cache`);
  return entry;
}

export interface TensorStats {
  dtype: string;
  shape: number[];
  min: number;
  max: number;
  mean: number;
  std: number;
  /** NaN and infinite values, left out of the statistics above. */
  nonFinite: number;
}

export function numbersOf(stored: RawTensor): Float32Array | Int32Array | Uint8Array {
  const raw = decodeStored(stored);
  const { bytes } = raw;
  const b = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  if (raw.dtype === 'float32') return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  if (raw.dtype === 'int32') return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  return b;
}

export function tensorStats(raw: RawTensor): TensorStats {
  const v = numbersOf(raw);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x)) continue;
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    n++;
  }
  const mean = n ? sum / n : NaN;
  let sq = 0;
  for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i])) sq += (v[i] - mean) ** 2;
  // A unorm8 blob is a float32 tensor stored compactly: report the tensor's dtype.
  return {
    dtype: raw.dtype === 'unorm8' ? 'float32' : raw.dtype,
    shape: raw.shape,
    min: n ? min : NaN,
    max: n ? max : NaN,
    mean,
    std: n ? Math.sqrt(sq / n) : NaN,
    nonFinite: v.length - n,
  };
}

export interface EntryDetails {
  entry: CacheEntry;
  nonDefault: string[];
  /** The schema default of each non-default param that has one. */
  defaults: Record<string, unknown>;
  inputs: { name: string; hash: string; key?: string; stageId?: string; stageType?: string; output?: string }[];
  outputs: { output: string; tensor: string; blob: string; size: number; stats?: TensorStats; error?: string }[];
  pictures: { name: string; blob: string; width?: number; height?: number }[];
  size: number;
}

/** Everything `cache show` prints. Reads (and so re-hashes) every blob of the entry. */
export async function describeEntry(cache: RunCache, entry: CacheEntry, registry: Registry): Promise<EntryDetails> {
  const explainer = await Explainer.load(cache.index);
  const inputs = Object.entries(entry.parts.inputs ?? {}).map(([name, hash]) => {
    const producer = explainer.producerOf(hash);
    if (!producer) return { name, hash };
    const output = Object.entries(producer.outputs).find(([, blobs]) => artifactHash(blobs) === hash)?.[0];
    return { name, hash, key: producer.key, stageId: lastUseOf(producer).stageId, stageType: producer.stageType, output };
  });
  const outputs: EntryDetails['outputs'] = [];
  for (const [output, tensors] of Object.entries(entry.outputs)) {
    for (const [tensor, ref] of Object.entries(tensors)) {
      try {
        outputs.push({ output, tensor, blob: ref.hash, size: ref.size, stats: tensorStats(cache.blobs.get(ref.hash)) });
      } catch (err) {
        outputs.push({ output, tensor, blob: ref.hash, size: ref.size, error: (err as Error).message });
      }
    }
  }
  const pictures = Object.entries(entry.pictures).map(([name, ref]) => {
    try {
      const img = cache.loadPicture(ref);
      return { name, blob: ref.hash, width: img.width, height: img.height };
    } catch {
      return { name, blob: ref.hash };
    }
  });
  const size = entryBlobs(entry).reduce((s, r) => s + (sizeForList(cache, r.hash) ?? 0), 0);
  const nonDefault = Object.keys(nonDefaultParams(entry, registry));
  const props = paramProps(registry, entry.stageType) ?? {};
  const defaults = Object.fromEntries(nonDefault.filter((k) => props[k] && 'default' in props[k]).map((k) => [k, props[k].default]));
  return { entry, nonDefault, defaults, inputs, outputs, pictures, size };
}
