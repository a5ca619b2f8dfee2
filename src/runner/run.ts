// One `pipeline run`: config -> graph -> backend -> executor under listr2 -> run record.
// Config problems are found before the backend loads or the cache opens: a bad file changes
// nothing.
import { join, resolve } from 'node:path';
import { defaultCacheRoot, RunCache } from '../cache/index.js';
import { loadConfig, type LoadedConfig } from '../config/index.js';
import { buildGraph, withDescendants, type Graph } from '../graph/graph.js';
import type { Registry } from '../stage.js';
import { initBackend, type BackendChoice } from '../tensors/backend.js';
import { Executor, type StageOutcome } from './executor.js';
import { runWithListr, StageEvents } from './listr-ui.js';
import { newRunId, writeRunRecord, type RunManifest } from './run-record.js';

export class UsageError extends Error {}

export interface CommonOptions {
  file: string;
  registry: Registry;
  set?: string[];
  cacheRoot?: string;
  backend?: BackendChoice;
  /** true: every stage; a list: those stages and their descendants. */
  force?: boolean | string[];
}

export interface RunOptions extends CommonOptions {
  runsRoot?: string;
  tty?: boolean;
  silent?: boolean;
  log?: (line: string) => void;
}

export interface RunResult {
  outcomes: Map<string, StageOutcome>;
  runDir: string;
  manifest: RunManifest;
  computed: number;
  ok: boolean;
}

export interface Prepared {
  loaded: LoadedConfig;
  graph: Graph;
  force: Set<string>;
  cache: RunCache;
  backend: string;
}

/** Everything up to, not including, computing: shared by run and plan. */
export async function prepare(opts: CommonOptions): Promise<Prepared> {
  const loaded = await loadConfig(opts.file, { registry: opts.registry, set: opts.set });
  const graph = buildGraph(loaded.config, opts.registry);
  const force = new Set<string>();
  if (opts.force === true) graph.order.forEach((id) => force.add(id));
  else if (Array.isArray(opts.force)) {
    for (const id of opts.force) {
      if (!graph.nodes.has(id)) throw new UsageError(`--force ${id}: no stage "${id}" in ${graph.name} (stages: ${graph.order.join(', ')})`);
      withDescendants(graph, id).forEach((d) => force.add(d));
    }
  }
  const backend = await initBackend(opts.backend ?? loaded.config.backend);
  const cache = new RunCache(resolve(opts.cacheRoot ?? defaultCacheRoot()));
  return { loaded, graph, force, cache, backend };
}

export async function runPipeline(opts: RunOptions): Promise<RunResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const { loaded, graph, force, cache, backend } = await prepare(opts);
  const runId = newRunId();
  const started = new Date().toISOString();
  log(`pipeline ${graph.name}: ${graph.order.length} stages, backend ${backend}, cache ${cache.root}`);
  const events = new StageEvents();
  const executor = new Executor(graph, cache, { backend, force, onEvent: events.emit });
  try {
    const outcomes = await runWithListr(graph, executor, events, { tty: opts.tty ?? Boolean(process.stdout.isTTY), silent: opts.silent });
    const runDir = join(resolve(opts.runsRoot ?? 'runs'), graph.name, runId);
    const manifest = writeRunRecord({
      dir: runDir,
      manifest: { pipeline: graph.name, runId, started, backend, files: loaded.files, config: loaded.config },
      outcomes,
      types: Object.fromEntries([...graph.nodes].map(([id, n]) => [id, n.def.type])),
      cache,
    });
    for (const o of outcomes.values()) if (o.status === 'failed') log(`stage ${o.id} failed: ${o.error?.message}`);
    log(`run folder: ${runDir}`);
    return { outcomes, runDir, manifest, computed: executor.computed, ok: manifest.status === 'ok' };
  } finally {
    await executor.dispose();
    await cache.close();
  }
}
