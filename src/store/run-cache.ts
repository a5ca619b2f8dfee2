// The run cache in one place: cache key -> stage result. Blobs are written before the index entry
// that points at them, so a crash between the two leaves orphan blobs (gc takes them), never an
// entry with missing outputs. An entry whose blobs are missing or altered is dropped, not used;
// one whose blobs cannot be read (BlobReadError), or whose index row is unreadable
// (DamagedEntryError), is an error: dropping it would lose a result that may be fine, or hide
// damage that may be wider than one row.
import { closeSync, openSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type { Artifact, GreyImage, Metrics } from '../sdk/stage.js';
import type { RawTensor } from './tensor-bytes.js';
import type { KeyParts } from '../keys/recipe.js';
import { CorruptBlobError, type BlobRef, type BlobStore } from './blob-store.js';
import { DirBlobStore } from './dir-blobs.js';
import { CacheIOError, makeDir, probeWritable } from './disk.js';
import type { CacheEntry, EntryUse } from './entry.js';
import type { IndexStore } from './index-store.js';
import { OWNER, removeDeadProcessFiles } from './owner.js';
import { SqliteIndex } from './sqlite-index.js';

export { CorruptBlobError };
export type { CacheEntry, EntryUse };

/** A save in progress holds a lease file in the cache's tmp/ from before its first blob until its
 * index entry is written; gc never takes an unreferenced blob newer than the oldest live lease. */
export const LEASE_SUFFIX = '.lease';

export interface SaveRequest {
  key: string;
  parts: KeyParts;
  stageId: string;
  pipeline: string;
  outputs: Record<string, Artifact>;
  pictures: Record<string, GreyImage>;
  metrics: Metrics;
  computeMs: number;
}

/** tensor-convert.ts, imported on first use: it loads tfjs-core (~100 ms), which a run whose
 * every stage is a hit never needs (it reads no tensors: hits are checked by blob size). */
let convert: Promise<typeof import('./tensor-convert.js')> | undefined;
const tensorConvert = () => (convert ??= import('./tensor-convert.js'));

export function defaultCacheRoot(): string {
  return process.env.PIPELINE_CACHE || join(process.cwd(), 'cache');
}

export class RunCache<Blobs extends BlobStore = BlobStore> {
  /** `root` holds the leases of saves in progress (tmp/); the stores may live anywhere. */
  constructor(
    readonly root: string,
    readonly index: IndexStore,
    readonly blobs: Blobs,
  ) {}

  /** The local cache: a SQLite index and a blob directory, both in `root`. */
  static local(root: string): RunCache<DirBlobStore> {
    return new RunCache(root, new SqliteIndex(root), new DirBlobStore(root));
  }

  /** Fails, naming the path, when this cache cannot take a run's results: a folder it writes to
   * is read-only or full, or the index does not open or fails its integrity check. Called before
   * anything computes; `readOnly` (plan, why: they only look) checks the index alone. The cache
   * is closed when it fails: the caller cannot use it. */
  async check(opts: { readOnly?: boolean } = {}): Promise<void> {
    try {
      if (!opts.readOnly) {
        probeWritable(this.root);
        probeWritable(join(this.root, 'tmp'));
        removeDeadProcessFiles(join(this.root, 'tmp')); // what a kill -9 left mid-save
        this.blobs.check();
      }
      await this.index.check();
    } catch (err) {
      await this.close().catch(() => undefined);
      throw err;
    }
  }

  /** The entry for `key` if every blob it names is present at its recorded size (and its pictures
   * intact), and records the use (lastUsed, and lastRun when `use` says where). Tensor blobs are
   * re-hashed when read (see loadArtifact), so a hit whose outputs no stage of this run needs costs
   * a stat, not a read of the whole data set. */
  async lookup(key: string, use?: EntryUse): Promise<CacheEntry | undefined> {
    const entry = await this.peek(key);
    if (!entry) return undefined;
    entry.lastUsed = new Date().toISOString();
    if (use) entry.lastRun = { pipeline: use.pipeline, stageId: use.stageId };
    await this.index.set(entry);
    return entry;
  }

  /** lookup without recording a use: for `plan` and `why`, which only look. An entry with a
   * missing or corrupt blob is still dropped.
   *
   * An unreadable index row throws (DamagedEntryError) rather than counting as a miss: the store
   * has no way to warn that reaches the user (a run shows only executor events), and recomputing
   * over the row would hide what wrote it. `cache verify` lists and removes such rows. */
  async peek(key: string): Promise<CacheEntry | undefined> {
    const entry = await this.index.get(key);
    return entry && this.intact(entry);
  }

  /** peek for an entry already read from the index (plan reads them all at once): the entry if its
   * blobs are intact, else it is dropped and undefined returned. */
  async intact(entry: CacheEntry): Promise<CacheEntry | undefined> {
    const key = entry.key;
    const refs = Object.values(entry.outputs).flatMap((o) => Object.values(o));
    try {
      // Pictures are small and go straight into the run folder: check their content now.
      for (const ref of Object.values(entry.pictures)) this.blobs.get(ref.hash);
      if (refs.every((r) => this.blobs.sizeOf(r.hash) === r.size)) return entry;
    } catch (err) {
      if (!(err instanceof CorruptBlobError)) throw err;
      this.blobs.remove(err.hash);
    }
    await this.index.delete(key);
    return undefined;
  }

  async save(req: SaveRequest): Promise<CacheEntry> {
    const started = performance.now();
    const lease = this.takeLease();
    try {
      const { tensorToRaw } = await tensorConvert();
      const outputs: CacheEntry['outputs'] = {};
      for (const [name, artifact] of Object.entries(req.outputs)) {
        outputs[name] = {};
        for (const [tname, t] of Object.entries(artifact)) outputs[name][tname] = this.putFresh(await tensorToRaw(t));
      }
      const pictures: Record<string, BlobRef> = {};
      for (const [name, img] of Object.entries(req.pictures)) {
        pictures[name] = this.putFresh({ dtype: 'uint8', shape: [img.height, img.width], bytes: img.pixels });
      }
      const created = new Date().toISOString();
      const entry: CacheEntry = {
        key: req.key,
        stageType: req.parts.stage,
        stageId: req.stageId,
        pipeline: req.pipeline,
        parts: req.parts,
        outputs,
        pictures,
        metrics: req.metrics,
        timings: { computeMs: req.computeMs, storeMs: 0 },
        created,
        lastUsed: created,
        lastRun: { pipeline: req.pipeline, stageId: req.stageId },
      };
      entry.timings.storeMs = performance.now() - started;
      await this.index.set(entry);
      return entry;
    } finally {
      rmSync(lease, { force: true });
    }
  }

  private takeLease(): string {
    const path = join(this.root, 'tmp', `save${OWNER}.${randomBytes(4).toString('hex')}${LEASE_SUFFIX}`);
    try {
      makeDir(join(this.root, 'tmp'));
      closeSync(openSync(path, 'w'));
    } catch (err) {
      throw new CacheIOError(path, 'cannot start saving to the cache: cannot create', err);
    }
    return path;
  }

  /** Store a blob and stamp its mtime now even when it already existed: an old unreferenced blob
   * that this save is about to reference must look new to a concurrent gc. If gc took it between
   * the two steps, the stamp fails and the blob is written again. */
  private putFresh(raw: RawTensor): BlobRef {
    const ref = this.blobs.put(raw);
    return this.blobs.touch(ref.hash) ? ref : this.blobs.put(raw);
  }

  /** Read one output of an entry as tensors; throws CorruptBlobError (after dropping the entry)
   * when a blob is missing or its bytes do not match its hash. */
  async loadArtifact(entry: CacheEntry, output: string): Promise<Artifact> {
    const refs = entry.outputs[output];
    if (!refs) throw new Error(`cache entry ${entry.key.slice(0, 10)} has no output "${output}"`);
    const { rawToTensor } = await tensorConvert();
    const loaded: Artifact = {};
    try {
      for (const [name, ref] of Object.entries(refs)) loaded[name] = rawToTensor(this.blobs.get(ref.hash));
    } catch (err) {
      for (const t of Object.values(loaded)) (t as tf.Tensor).dispose();
      if (err instanceof CorruptBlobError) {
        this.blobs.remove(err.hash);
        await this.index.delete(entry.key);
      }
      throw err;
    }
    return loaded;
  }

  loadPicture(ref: BlobRef): GreyImage {
    const raw = this.blobs.get(ref.hash);
    return { height: raw.shape[0], width: raw.shape[1], pixels: raw.bytes };
  }

  close(): Promise<void> {
    return this.index.close();
  }
}
