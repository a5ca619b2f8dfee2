// One `pipeline run`: config -> (sweep expansion) -> graph -> backend -> executor under listr2 ->
// run records. Config problems are found before the backend loads or the cache opens: a bad file
// changes nothing.
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultCacheRoot, RunCache } from '../cache/index.js';
import { loadConfig, type LoadedConfig } from '../config/index.js';
import { buildGraph, withDescendants, type Graph } from '../graph/graph.js';
import { buildSweepGraph, type SweepGraph } from '../graph/sweep-graph.js';
import { expandSweep, isSweep, type Variant } from '../graph/sweep.js';
import type { Registry } from '../stage.js';
import { initBackend, type BackendChoice } from '../tensors/backend.js';
import { Executor, type StageOutcome } from './executor.js';
import { runSweepWithListr, runWithListr, StageEvents } from './listr-ui.js';
import { newRunId, writeRunRecord, type RunManifest } from './run-record.js';
import { formatSweepTable, sweepRows, writeSweepFiles, type SweepRow } from './sweep-report.js';
import { WorkerPool } from './worker-pool.js';

export class UsageError extends Error {}

export interface CommonOptions {
  file: string;
  registry: Registry;
  set?: string[];
  /** `stage.param=a,b,c` axes added to the file's `sweep:`. */
  sweep?: string[];
  cacheRoot?: string;
  backend?: BackendChoice;
  /** true: every stage; a list: those stages and their descendants. */
  force?: boolean | string[];
}

export interface RunOptions extends CommonOptions {
  runsRoot?: string;
  /** Worker processes for a sweep (default: the number of cores); 1 computes in this process. */
  jobs?: number;
  tty?: boolean;
  silent?: boolean;
  log?: (line: string) => void;
}

export interface RunResult {
  outcomes: Map<string, StageOutcome>;
  /** The run folder (for a sweep, the sweep folder). */
  runDir: string;
  manifest: RunManifest;
  computed: number;
  ok: boolean;
  sweep?: { graph: SweepGraph; rows: SweepRow[]; manifests: RunManifest[] };
}

export interface Prepared {
  loaded: LoadedConfig;
  graph: Graph;
  /** Set when the file (or --sweep) makes this a sweep. */
  sweep?: SweepGraph;
  force: Set<string>;
  cache: RunCache;
  backend: string;
}

/** Everything up to, not including, computing: shared by run and plan. */
export async function prepare(opts: CommonOptions): Promise<Prepared> {
  const loaded = await loadConfig(opts.file, { registry: opts.registry, set: opts.set });
  let variants: Variant[] | undefined;
  if (isSweep(loaded, opts.sweep)) variants = expandSweep(loaded, opts.registry, opts.sweep);
  const sweep = variants && buildSweepGraph(variants, opts.registry);
  const graph = sweep ?? buildGraph(loaded.config, opts.registry);
  const force = new Set<string>();
  if (opts.force === true) graph.order.forEach((id) => force.add(id));
  else if (Array.isArray(opts.force)) {
    for (const stageId of opts.force) {
      const ids = graph.order.filter((id) => graph.nodes.get(id)!.stageId === stageId);
      if (ids.length === 0) {
        const known = [...new Set([...graph.nodes.values()].map((n) => n.stageId))];
        throw new UsageError(`--force ${stageId}: no stage "${stageId}" in ${graph.name} (stages: ${known.join(', ')})`);
      }
      for (const id of ids) withDescendants(graph, id).forEach((d) => force.add(d));
    }
  }
  const backend = await initBackend(opts.backend ?? loaded.config.backend);
  const cache = new RunCache(resolve(opts.cacheRoot ?? defaultCacheRoot()));
  return { loaded, graph, sweep, force, cache, backend };
}

const typesOf = (graph: Graph) => Object.fromEntries([...graph.nodes].map(([id, n]) => [id, n.def.type]));

export async function runPipeline(opts: RunOptions): Promise<RunResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const { loaded, graph, sweep, force, cache, backend } = await prepare(opts);
  const runId = newRunId();
  const started = new Date().toISOString();
  const ui = { tty: opts.tty ?? Boolean(process.stdout.isTTY), silent: opts.silent };
  const jobs = opts.jobs ?? cpus().length;
  const pool = sweep && jobs > 1 ? new WorkerPool(jobs, cache.root, backend) : undefined;
  const what = sweep ? `sweep of ${sweep.variants.length} variants, ${graph.order.length} stage instances, ${pool ? `${jobs} worker processes` : 'in process'}` : `${graph.order.length} stages`;
  log(`pipeline ${graph.name}: ${what}, backend ${backend}, cache ${cache.root}`);
  const events = new StageEvents();
  const executor = new Executor(graph, cache, { backend, force, onEvent: events.emit, pool });
  const runDir = join(resolve(opts.runsRoot ?? 'runs'), graph.name, runId);
  try {
    const outcomes = sweep ? await runSweepWithListr(sweep, executor, events, ui) : await runWithListr(graph, executor, events, ui);
    for (const o of outcomes.values()) if (o.status === 'failed') log(`stage ${o.id} failed: ${o.error?.message}`);
    const base = { pipeline: graph.name, started, backend, files: loaded.files };
    if (!sweep) {
      const manifest = writeRunRecord({ dir: runDir, manifest: { ...base, runId, config: loaded.config }, outcomes, types: typesOf(graph), cache });
      log(`run folder: ${runDir}`);
      return { outcomes, runDir, manifest, computed: executor.computed, ok: manifest.status === 'ok' };
    }
    // Each variant gets a complete run folder of its own, under the sweep folder.
    const manifests = sweep.variants.map(({ variant, graph: vg, nodeOf }) =>
      writeRunRecord({
        dir: join(runDir, variant.id),
        manifest: { ...base, runId: `${runId}/${variant.id}`, config: variant.config },
        outcomes: new Map(vg.order.map((sid) => [sid, outcomes.get(nodeOf[sid])!])),
        types: typesOf(vg),
        cache,
      }),
    );
    const rows = sweepRows(sweep.variants.map((v) => v.variant), manifests, sweep.variants.map((v) => join(runDir, v.variant.id)));
    const computedBy = Object.fromEntries(graph.order.map((id) => [id, outcomes.get(id)!.status]));
    writeSweepFiles(runDir, { pipeline: graph.name, sweepId: runId, started, backend, instances: computedBy }, rows);
    log(formatSweepTable(rows));
    log(`sweep folder: ${runDir}`);
    const ok = manifests.every((m) => m.status === 'ok');
    return { outcomes, runDir, manifest: manifests[0], computed: executor.computed, ok, sweep: { graph: sweep, rows, manifests } };
  } finally {
    pool?.close();
    await executor.dispose();
    await cache.close();
  }
}
