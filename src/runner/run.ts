// One `pipeline run`: config -> (sweep expansion) -> graph -> backend name -> executor -> run
// records. Config problems are found before the cache opens: a bad file changes nothing. The
// backend is named before anything runs (the name is part of every key) but started only when a
// stage computes in this process: a run whose stages are all cached starts none. Showing progress
// is the caller's: a Display (the CLI's listr2 rows) is handed the graph and the executor's
// events; without one a run is silent.
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import type { BackendChoice } from '../backend/index.js';
import { activeTfBackend, backendName, forgetWasmNames } from '../backend/name.js';
import { loadConfig, UsageError, type LoadedConfig } from '../config/index.js';
import { buildGraph, withDescendants, type Graph } from '../graph/graph.js';
import { buildSweepGraph, type SweepGraph } from '../graph/sweep-graph.js';
import { expandSweep, isSweep, type Variant } from '../graph/sweep.js';
import { stageCode } from '../keys/recipe.js';
import { SourceFiles } from '../keys/source-files.js';
import type { Artifact, Registry } from '../sdk/stage.js';
import { openStore, resolveLocation } from '../store/open.js';
import { defaultCacheRoot, type RunCache } from '../store/run-cache.js';
import { StageEvents } from './events.js';
import { Executor, type StageOutcome } from './executor.js';
import { SWEEP_PAGE_VARIANTS } from '../report/sweep-report.js';
import { newRunId, writeRunRecord, type RunManifest, type RunRecord } from './run-record.js';
import { resolveStageModule } from './stage-modules.js';
import { loadRegistry } from './stage-plugins.js';
import { writeSweepRecord, type SweepRow } from './sweep-report.js';
import { WorkerPool } from './worker-pool.js';
import { queueFor } from './queue/index.js';

export interface CommonOptions {
  file: string;
  /** Stage types by name; default: the built-in stages. */
  registry?: Registry;
  set?: string[];
  /** `stage.param=a,b,c` axes added to the file's `sweep:`. */
  sweep?: string[];
  cacheRoot?: string;
  backend?: BackendChoice;
  /** true: every stage; a list: those stages and their descendants. */
  force?: boolean | string[];
  /** Read and hash every source-data file, not trusting the hashes the cache index keeps by file
   * stamp (keys/source-files.ts); the stamps are recorded anew. */
  rehash?: boolean;
}

/** What a display is shown before anything computes. */
export interface RunView {
  graph: Graph;
  sweep?: SweepGraph;
  backend: string;
  cacheRoot: string;
  /** Worker processes computing a sweep; 0 when stages compute in this process. */
  workers: number;
}

/** Shows a run while it goes; resolves once every stage has settled (`outcome` tells when). */
export type Display = (view: RunView, events: StageEvents, outcome: (id: string) => Promise<StageOutcome>) => Promise<void>;

export interface RunOptions extends CommonOptions {
  runsRoot?: string;
  /** Worker processes for a sweep (default: the number of cores); 1 computes in this process. */
  jobs?: number;
  display?: Display;
  /** Stage ids (in a sweep: stage instance ids) whose output tensors the result should hold in
   * `outputs`; the caller then owns and disposes them. */
  keepOutputs?: string[];
  /** Abort to stop: running stages stop at their next progress report and nothing new starts;
   * what finished is stored and the run records say what was interrupted. */
  signal?: AbortSignal;
}

export interface RunResult {
  outcomes: Map<string, StageOutcome>;
  /** The run folder (for a sweep, the sweep folder). */
  runDir: string;
  /** The cache the run used: its folder (a shared cache: its blob folder, never the Redis URL,
   * which may hold a password). */
  cacheRoot: string;
  /** report.html of the run folder (for a sweep, sweep.html of the sweep folder), absolute;
   * undefined when it could not be made (the manifest's, or sweep.json's, `reportError`). */
  report?: string;
  manifest: RunManifest;
  computed: number;
  ok: boolean;
  /** The run was stopped by `signal`. */
  interrupted: boolean;
  /** Stage id -> output name -> tensors, for the stages named in `keepOutputs` that finished. */
  outputs: Record<string, Record<string, Artifact>>;
  sweep?: { graph: SweepGraph; rows: SweepRow[]; manifests: RunManifest[] };
}

export interface Prepared {
  loaded: LoadedConfig;
  registry: Registry;
  graph: Graph;
  /** Set when the file (or --sweep) makes this a sweep. */
  sweep?: SweepGraph;
  force: Set<string>;
  cache: RunCache;
  /** The backend's name, as initBackend returns it (the keys hold it); not started yet. */
  backend: string;
  /** Start the backend (once): before a stage computes, or tensors are read, in this process.
   * Refuses a backend that comes up under another name than `backend`. */
  ensureBackend: () => Promise<void>;
  /** Source-data file hashes for keys (stamped in the cache index), and their bytes to compute. */
  sources: SourceFiles;
}

/** The backend's name without starting it, and how to start it when a stage computes. A process
 * that already runs a backend (a caller's initBackend) asks initBackend, as before: `auto` then
 * means what is loaded. */
async function lazyBackend(choice: BackendChoice): Promise<{ backend: string; ensureBackend: () => Promise<void> }> {
  const start = async () => (await import('../backend/index.js')).initBackend(choice);
  const backend = activeTfBackend() ? await start() : await backendName(choice);
  let started: Promise<void> | undefined;
  const ensureBackend = () =>
    (started ??= start().then((name) => {
      if (name !== backend) {
        // The kept name was stale (backend/name-cache.ts): forgotten, so the next run probes.
        forgetWasmNames();
        throw new Error(`backend "${choice}" started as "${name}", but this run's keys name "${backend}"; run again`);
      }
    }));
  return { backend, ensureBackend };
}

/** Everything up to, not including, computing: shared by run and plan (`lookOnly`: plan and
 * why, which write nothing, accept a read-only cache). */
export async function prepare(opts: CommonOptions, lookOnly = false): Promise<Prepared> {
  // Stage files and packages named by `uses:` join the registry while the config loads.
  const loaded = await loadConfig(opts.file, { registry: opts.registry ?? (await loadRegistry()), set: opts.set, stageModules: resolveStageModule });
  const registry = loaded.registry;
  let variants: Variant[] | undefined;
  if (isSweep(loaded, opts.sweep)) variants = expandSweep(loaded, registry, opts.sweep);
  const sweep = variants && buildSweepGraph(variants, registry);
  const graph = sweep ?? buildGraph(loaded.config, registry);
  const force = new Set<string>();
  if (opts.force === true) for (const id of graph.order) force.add(id);
  else if (Array.isArray(opts.force)) {
    for (const stageId of opts.force) {
      const ids = graph.order.filter((id) => graph.nodes.get(id)!.stageId === stageId);
      if (ids.length === 0) {
        const known = [...new Set([...graph.nodes.values()].map((n) => n.stageId))];
        throw new UsageError(`--force ${stageId}: no stage "${stageId}" in ${graph.name} (stages: ${known.join(', ')})`);
      }
      for (const id of ids) for (const d of withDescendants(graph, id)) force.add(d);
    }
  }
  // The code part of every key, now: a stale build is refused before anything computes.
  for (const node of graph.nodes.values()) stageCode(node.def);
  const { backend, ensureBackend } = await lazyBackend(opts.backend ?? loaded.config.backend);
  const cache = openStore(resolveLocation(opts.cacheRoot ?? defaultCacheRoot()));
  await cache.check({ readOnly: lookOnly });
  const sources = new SourceFiles({ store: cache.index, rehash: opts.rehash, record: !lookOnly });
  return { loaded, registry, graph, sweep, force, cache, backend, ensureBackend, sources };
}

export async function runPipeline(opts: RunOptions): Promise<RunResult> {
  const { loaded, graph, sweep, force, cache, backend, ensureBackend, sources } = await prepare(opts);
  const runId = newRunId();
  const started = new Date().toISOString();
  const jobs = opts.jobs ?? cpus().length;
  // A cache in Redis: `pipeline worker` processes compute the stages (runner/queue).
  const queued = await queueFor(cache, graph, force);
  const pool = queued?.pool ?? (sweep && jobs > 1 ? new WorkerPool(jobs, cache.root, backend) : undefined);
  const events = new StageEvents();
  const executor = new Executor(graph, cache, {
    backend,
    ensureBackend,
    force,
    onEvent: events.emit,
    pool,
    leases: queued?.leases,
    signal: opts.signal,
    sources,
  });
  const stopWorkers = () => pool?.abort();
  opts.signal?.addEventListener('abort', stopWorkers, { once: true });
  const runDir = join(resolve(opts.runsRoot ?? 'runs'), graph.name, runId);
  try {
    await opts.display?.({ graph, sweep, backend, cacheRoot: cache.root, workers: queued ? (queued.workers ?? 0) : pool ? jobs : 0 }, events, (id) =>
      executor.run(id),
    );
    const outcomes = await executor.runAll();
    const outputs: RunResult['outputs'] = {};
    for (const id of opts.keepOutputs ?? []) {
      if (!graph.nodes.has(id)) throw new UsageError(`keepOutputs: no stage "${id}" in ${graph.name} (stages: ${graph.order.join(', ')})`);
      const kept = await executor.takeOutputs(id);
      if (kept) outputs[id] = kept;
    }
    const base = { pipeline: graph.name, started, backend, files: loaded.files };
    if (!sweep) {
      const record = await writeRunRecord({ dir: runDir, manifest: { ...base, runId, config: loaded.config }, outcomes, graph, cache });
      const { manifest } = record;
      return {
        outcomes,
        runDir,
        cacheRoot: cache.root,
        report: record.reportPath,
        manifest,
        computed: executor.computed,
        ok: manifest.status === 'ok',
        interrupted: Boolean(opts.signal?.aborted),
        outputs,
      };
    }
    // Each variant gets a complete run folder of its own, under the sweep folder.
    const records: RunRecord[] = [];
    for (const { variant, graph: vg, nodeOf } of sweep.variants) {
      records.push(
        await writeRunRecord({
          dir: join(runDir, variant.id),
          manifest: { ...base, runId: `${runId}/${variant.id}`, config: variant.config },
          outcomes: new Map(vg.order.map((sid) => [sid, outcomes.get(nodeOf[sid])!])),
          graph: vg,
          cache,
          inSweep: true,
        }),
      );
      // sweep.html shows the first variants' pictures only: the rest need not stay in memory.
      if (records.length > SWEEP_PAGE_VARIANTS) for (const s of records[records.length - 1].report.stages) s.pictures = [];
    }
    const manifests = records.map((r) => r.manifest);
    const computedBy = Object.fromEntries(graph.order.map((id) => [id, outcomes.get(id)!.status]));
    const { rows, reportPath } = await writeSweepRecord(
      runDir,
      { pipeline: graph.name, sweepId: runId, started, backend, instances: computedBy },
      sweep.variants.map((v) => v.variant),
      records,
    );
    const ok = manifests.every((m) => m.status === 'ok');
    return {
      outcomes,
      runDir,
      cacheRoot: cache.root,
      report: reportPath,
      manifest: manifests[0],
      computed: executor.computed,
      ok,
      interrupted: Boolean(opts.signal?.aborted),
      outputs,
      sweep: { graph: sweep, rows, manifests },
    };
  } finally {
    opts.signal?.removeEventListener('abort', stopWorkers);
    await pool?.close();
    await executor.dispose();
    await cache.close();
  }
}
