// `pipeline plan` (and `why`): each stage's key and whether it would hit, without computing
// anything. A miss is explained against the nearest cached entry of the same stage id, part by
// part (explain.ts). Looking never counts as using: entries' lastUsed is left alone.
import type { Graph, StageNode } from '../graph/graph.js';
import { cacheKey, keyParts } from '../keys/recipe.js';
import { readStageFiles } from '../keys/source-files.js';
import type { CacheEntry, RunCache } from '../store/run-cache.js';
import { Explainer } from './explain.js';
import { prepare, type CommonOptions } from './run.js';

export interface PlanRow {
  id: string;
  type: string;
  status: 'hit' | 'miss' | 'forced' | 'pending';
  key?: string;
  /** The cached entry a miss (or pending stage) is compared with. */
  nearest?: CacheEntry;
  reasons: string[];
}

export async function planGraph(graph: Graph, cache: RunCache, backend: string, force: Set<string>): Promise<PlanRow[]> {
  const explainer = await Explainer.load(cache.index);
  const entries = new Map<string, CacheEntry>();
  const rows: PlanRow[] = [];
  for (const id of graph.order) {
    const node = graph.nodes.get(id)!;
    const type = node.def.type;
    const waiting = [
      ...new Set(
        Object.values(node.inputs)
          .map((r) => r.stage)
          .filter((s) => !entries.has(s)),
      ),
    ];
    if (waiting.length) {
      rows.push({ id, type, status: 'pending', ...(await pendingReasons(node, waiting)) });
      continue;
    }
    const parts = keyParts(node, Object.fromEntries(entries), readStageFiles(node.def, node.params).hashes, backend);
    const key = cacheKey(parts);
    const entry = await cache.peek(key);
    if (entry) {
      entries.set(id, entry);
      rows.push(force.has(id) ? { id, type, status: 'forced', key, reasons: ['--force'] } : { id, type, status: 'hit', key, reasons: [] });
      continue;
    }
    const { nearest, reasons } = explainer.explain([node.stageId], parts);
    rows.push({ id, type, status: 'miss', key, nearest, reasons });
  }
  return rows;

  /** A stage behind a recomputed input has no key yet; whatever else differs is still worth saying. */
  async function pendingReasons(node: StageNode, waiting: string[]): Promise<Pick<PlanRow, 'nearest' | 'reasons'>> {
    const reasons = [`runs after ${waiting.join(', ')} (its key needs their outputs)`];
    try {
      // Inputs not yet computed have no outputs to hash; the explanation leaves inputs out.
      const upstream = Object.fromEntries(Object.values(node.inputs).map((r) => [r.stage, entries.get(r.stage) ?? { outputs: { [r.output]: {} } }]));
      const parts = keyParts(node, upstream, readStageFiles(node.def, node.params).hashes, backend);
      const { nearest, reasons: more } = explainer.explain([node.stageId], parts, { ignoreInputs: true });
      return { nearest, reasons: [...reasons, ...more] };
    } catch {
      return { reasons };
    }
  }
}

export interface PlanResult {
  pipeline: string;
  backend: string;
  cacheRoot: string;
  /** Set for a sweep: how many variants the stage instances come from. */
  variants?: number;
  rows: PlanRow[];
}

/** What a run would compute, and why, without computing anything or recording a use. */
export async function planPipeline(opts: CommonOptions): Promise<PlanResult> {
  const { graph, sweep, force, cache, backend } = await prepare(opts, true);
  try {
    const rows = await planGraph(graph, cache, backend, force);
    return { pipeline: graph.name, backend, cacheRoot: cache.root, variants: sweep?.variants.length, rows };
  } finally {
    await cache.close();
  }
}
