// Walks the stage graph: for each stage, compute its key from everything that determines it,
// serve it from the cache or compute it, and store the result. Independent stages run
// concurrently (each waits only for its own inputs). Knows nothing about how progress is shown.
import type { Graph, InputRef, StageNode } from '../graph/graph.js';
import { cacheKey, keyParts, type KeyParts } from '../keys/recipe.js';
import { SourceFiles } from '../keys/source-files.js';
import type { Artifact, GreyImage, StageFile } from '../sdk/stage.js';
import { Leases } from '../store/lease.js';
import { CorruptBlobError, type CacheEntry, type RunCache } from '../store/run-cache.js';
import { computeStage, Interrupted, isInterruption, type Identity } from './compute.js';
import type { StageEvent } from './events.js';
import type { StageJob } from './job.js';
import { moduleRefOf } from './stage-modules.js';
import { JobFailed, type WorkerPool } from './worker-pool.js';

export interface StageOutcome {
  id: string;
  /** interrupted: stopped by a signal while computing, or never started because of one. */
  status: 'hit' | 'miss' | 'failed' | 'skipped' | 'interrupted';
  key?: string;
  entry?: CacheEntry;
  /** Pictures of a computed stage (a hit's pictures are in the cache: entry.pictures). */
  pictures?: Record<string, GreyImage>;
  ms: number;
  error?: Error;
}

export interface ExecutorOptions {
  /** The backend's name, part of every key. */
  backend: string;
  /** Starts the backend; called before a stage computes in this process or tensors are read
   * from the cache (a hit reads none), so a run of hits starts no backend. */
  ensureBackend?: () => Promise<void>;
  /** Stage ids to compute even when cached. */
  force: Set<string>;
  onEvent?: (e: StageEvent) => void;
  /** Compute in these worker processes instead of in this one (a WorkerPool, or the stage queue's
   * QueuePool: runner/queue). */
  pool?: Pick<WorkerPool, 'run'>;
  /** Who holds a key while it is computed; default: lease files in the cache root. */
  leases?: Pick<Leases, 'acquire' | 'cleanDead'>;
  /** Aborting stops every computation at its next progress report; no new one starts. */
  signal?: AbortSignal;
  /** Source-data files: hashes for keys (from the index's stamps), bytes for stages that compute.
   * Default: stamps in this cache's index, recorded. */
  sources?: SourceFiles;
}

export class Executor {
  private readonly outcomes = new Map<string, Promise<StageOutcome>>();
  /** Tensors in memory, by "stage.output": each artifact is loaded or computed once per run and
   * shared by every consumer, so the training set is never copied per stage. */
  private readonly artifacts = new Map<string, Promise<Artifact>>();
  /** Counts of stage computations in this run (tests assert on it). */
  computed = 0;
  private readonly leases: Pick<Leases, 'acquire' | 'cleanDead'>;
  private readonly sources: SourceFiles;

  constructor(
    private readonly graph: Graph,
    private readonly cache: RunCache,
    private readonly opts: ExecutorOptions,
  ) {
    this.leases = opts.leases ?? new Leases(cache.root);
    this.leases.cleanDead(); // kill -9 leaves its leases behind
    this.sources = opts.sources ?? new SourceFiles({ store: cache.index, record: true });
  }

  async runAll(): Promise<Map<string, StageOutcome>> {
    const results = await Promise.all(this.graph.order.map((id) => this.run(id)));
    return new Map(results.map((r) => [r.id, r]));
  }

  run(id: string): Promise<StageOutcome> {
    let p = this.outcomes.get(id);
    if (!p) {
      p = this.runOnce(id);
      this.outcomes.set(id, p);
    }
    return p;
  }

  private async runOnce(id: string): Promise<StageOutcome> {
    const node = this.graph.nodes.get(id)!;
    const upstream: Record<string, CacheEntry> = {};
    for (const ref of Object.values(node.inputs)) {
      const o = await this.run(ref.stage);
      if (!o.entry) {
        if (o.status === 'interrupted') return { id, status: 'interrupted', ms: 0, error: new Interrupted('not started') };
        return { id, status: 'skipped', ms: 0, error: new Error(`skipped: input stage "${ref.stage}" ${o.status}`) };
      }
      upstream[ref.stage] = o.entry;
    }
    const started = performance.now(); // this stage's own time, not the wait for its inputs
    let key: string | undefined;
    try {
      // The files' hashes, from their stamps when unchanged: a hit reads no source data. A worker
      // reads the files itself, so the bytes are kept only to compute here.
      const bytes = !this.opts.pool;
      let { hashes, read } = await this.sources.hashes(node.def, node.params, bytes);
      const use = { pipeline: this.graph.name, stageId: node.stageId };
      const forced = this.opts.force.has(id);
      const hit = (entry: CacheEntry, waited: boolean): StageOutcome => {
        this.emit({ type: 'hit', id, key: key!, waited });
        return { id, status: 'hit', key, entry, ms: performance.now() - started };
      };
      for (let attempt = 1; ; attempt++) {
        const parts = keyParts(node, upstream, hashes, this.opts.backend);
        key = cacheKey(parts);
        if (!forced) {
          const entry = await this.cache.lookup(key, use);
          if (entry) return hit(entry, false);
        }
        this.opts.signal?.throwIfAborted();
        // Another process may be computing this very key: wait for it, then use what it stored.
        const lease = await this.leases.acquire(key, {
          signal: this.opts.signal,
          onWait: (h) => this.emit({ type: 'wait', id, key: key!, holder: `pid ${h.pid} on ${h.host}` }),
        });
        try {
          // Looked up again even without a wait: the holder may have saved and gone just before.
          const entry = forced ? undefined : await this.cache.lookup(key, use);
          if (entry) return hit(entry, true);
          // Computing reads the files: their bytes must be what the key says. When they are not
          // (the index's stamp was wrong), the stamp is corrected and the key made again from them.
          const checked = await this.sources.forCompute(node.def, node.params, hashes, read, bytes);
          if (checked.changed.length === 0) return await this.compute(node, key, parts, checked.files.files, started);
          if (attempt > 1) throw new Error(`${node.def.type}: source file(s) ${checked.changed.join(', ')} changed while this run read them; run again`);
          hashes = checked.files.hashes;
          read = bytes ? checked.files : undefined;
        } finally {
          lease.release();
        }
      }
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (this.opts.signal?.aborted && (isInterruption(error) || error.name === 'AbortError')) {
        // AbortError: stopped before computing (or while waiting for another run's lease).
        const what = isInterruption(error) ? 'interrupted' : 'not started';
        return { id, status: 'interrupted', key, ms: performance.now() - started, error: new Interrupted(what) };
      }
      this.emit({ type: 'fail', id, error });
      return { id, status: 'failed', key, ms: performance.now() - started, error };
    }
  }

  private async compute(node: StageNode, key: string, parts: KeyParts, files: Record<string, StageFile>, started: number): Promise<StageOutcome> {
    if (this.opts.pool) return this.computeInWorker(node, key, parts, started, this.opts.pool);
    await this.opts.ensureBackend?.();
    const inputs: Record<string, Artifact> = {};
    for (const [name, ref] of Object.entries(node.inputs)) inputs[name] = await this.artifact(ref);
    this.emit({ type: 'start', id: node.id, key });
    this.computed++;
    const { entry, result } = await computeStage(
      this.cache,
      node.def,
      this.identity(node, key, parts),
      inputs,
      files,
      (step, total, loss) => this.emit({ type: 'progress', id: node.id, step, total, loss }),
      this.opts.signal,
    );
    for (const [name, artifact] of Object.entries(result.outputs)) this.artifacts.set(`${node.id}.${name}`, Promise.resolve(artifact));
    const ms = performance.now() - started;
    this.emit({ type: 'done', id: node.id, key, ms });
    return { id: node.id, status: 'miss', key, entry, pictures: result.pictures ?? {}, ms };
  }

  private identity(node: StageNode, key: string, parts: KeyParts): Identity {
    return { key, parts, stageId: node.stageId, pipeline: this.graph.name };
  }

  /** The same in a worker process, which reads the inputs from the cache itself. A corrupt input
   * blob (the worker has dropped its entry) recomputes that input, then this stage once more. */
  private async computeInWorker(
    node: StageNode,
    key: string,
    parts: KeyParts,
    started: number,
    pool: Pick<WorkerPool, 'run'>,
    retry = true,
  ): Promise<StageOutcome> {
    const inputs: StageJob['inputs'] = {};
    for (const [name, ref] of Object.entries(node.inputs)) inputs[name] = { entry: (await this.run(ref.stage)).entry!, output: ref.output };
    this.emit({ type: 'start', id: node.id, key });
    this.computed++;
    try {
      const keepOutputs = [...this.graph.nodes.values()].some((n) => Object.values(n.inputs).some((r) => r.stage === node.id));
      const job: StageJob = { ...this.identity(node, key, parts), keepOutputs, inputs, module: moduleRefOf(node.def) };
      const entry = await pool.run(job, (step, total, loss) => this.emit({ type: 'progress', id: node.id, step, total, loss }));
      const ms = performance.now() - started;
      this.emit({ type: 'done', id: node.id, key, ms });
      return { id: node.id, status: 'miss', key, entry, ms };
    } catch (err) {
      const corrupt = err instanceof JobFailed ? err.corruptBlob : undefined;
      const bad = Object.keys(inputs).find((name) => Object.values(inputs[name].entry.outputs[inputs[name].output]).some((b) => b.hash === corrupt));
      if (!retry || !corrupt || !bad) throw err;
      const upstreamId = node.inputs[bad].stage;
      this.emit({ type: 'recompute', id: upstreamId, reason: `${(err as Error).message}: recomputing` });
      const previous = inputs[bad].entry;
      const fresh = this.computeInWorker(this.graph.nodes.get(upstreamId)!, previous.key, previous.parts, performance.now(), pool);
      this.outcomes.set(upstreamId, fresh);
      await fresh;
      return this.computeInWorker(node, key, parts, started, pool, false);
    }
  }

  /** The tensors of an upstream output: from memory, else from the cache. A corrupt blob drops
   * the upstream entry and recomputes that stage, so a damaged cache costs time, never results. */
  private artifact(ref: InputRef): Promise<Artifact> {
    const name = `${ref.stage}.${ref.output}`;
    let p = this.artifacts.get(name);
    if (!p) {
      p = (async () => {
        const outcome = await this.run(ref.stage);
        await this.opts.ensureBackend?.();
        try {
          return await this.cache.loadArtifact(outcome.entry!, ref.output);
        } catch (err) {
          if (!(err instanceof CorruptBlobError)) throw err;
          this.emit({ type: 'recompute', id: ref.stage, reason: `${err.message}: recomputing` });
          const node = this.graph.nodes.get(ref.stage)!;
          const parts = outcome.entry!.parts;
          const { files, changed } = await this.sources.forCompute(node.def, node.params, parts.files, undefined, !this.opts.pool);
          if (changed.length)
            throw new Error(`${node.def.type}: source file(s) ${changed.join(', ')} changed since this run computed the key of ${ref.stage}; run again`);
          const fresh = await this.compute(node, outcome.key!, parts, files.files, performance.now());
          this.outcomes.set(ref.stage, Promise.resolve(fresh));
          return this.artifacts.get(name)!;
        }
      })();
      this.artifacts.set(name, p);
    }
    return p;
  }

  /** The output tensors of a stage that finished, handed over: dispose() no longer frees them. */
  async takeOutputs(id: string): Promise<Record<string, Artifact> | undefined> {
    const outcome = await this.run(id);
    if (!outcome.entry) return undefined;
    const out: Record<string, Artifact> = {};
    for (const output of Object.keys(this.graph.nodes.get(id)!.def.outputs)) {
      out[output] = await this.artifact({ stage: id, output });
      this.artifacts.delete(`${id}.${output}`);
    }
    return out;
  }

  /** Free every tensor this run holds. */
  async dispose(): Promise<void> {
    const all = await Promise.allSettled([...this.artifacts.values()]);
    for (const r of all) if (r.status === 'fulfilled') for (const t of Object.values(r.value)) if (!t.isDisposed) t.dispose();
    this.artifacts.clear();
  }

  private emit(e: StageEvent): void {
    this.opts.onEvent?.(e);
  }
}
