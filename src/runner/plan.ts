// `pipeline plan` (and `why`): each stage's key and whether it would hit, without computing
// anything. A miss is explained against the nearest cached entry of the same stage id, part by
// part (explain.ts). Looking never counts as using: entries' lastUsed is left alone.
import type { Graph, StageNode } from '../graph/graph.js';
import { cacheKey, keyParts, partsWithoutInputs } from '../keys/recipe.js';
import { SourceFiles } from '../keys/source-files.js';
import { DamagedEntryError } from '../store/index-store.js';
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

/** The plan of a graph. The index is read once (one scan: the entries misses are explained
 * against, and the entry of every key looked up), not once per stage instance: a sweep of 10,000
 * variants has 40,000 of them. `sources`: how the source-data files are hashed (default: from the
 * stamps the cache index keeps, recording none: plan and why write nothing). */
export async function planGraph(
  graph: Graph,
  cache: RunCache,
  backend: string,
  force: Set<string>,
  sources = new SourceFiles({ store: cache.index }),
): Promise<PlanRow[]> {
  const scan = await cache.index.scan();
  const explainer = new Explainer(scan.entries);
  const byKey = new Map(scan.entries.map((e) => [e.key, e]));
  const damaged = new Map(scan.damaged.map((d) => [d.key, d.reason]));
  /** What peek does, from the scan: an unreadable row throws, an entry with a bad blob is dropped. */
  const peek = async (key: string): Promise<CacheEntry | undefined> => {
    const reason = damaged.get(key);
    if (reason !== undefined) throw new DamagedEntryError(key, cache.index.location, reason);
    const entry = byKey.get(key);
    return entry && cache.intact(entry);
  };
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
    const upstream = Object.fromEntries(Object.values(node.inputs).map((r) => [r.stage, entries.get(r.stage)!]));
    const parts = keyParts(node, upstream, (await sources.hashes(node.def, node.params, false)).hashes, backend);
    const key = cacheKey(parts);
    const entry = await peek(key);
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
      const parts = partsWithoutInputs(node, (await sources.hashes(node.def, node.params, false)).hashes, backend);
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
  const { graph, sweep, force, cache, backend, sources } = await prepare(opts, true);
  try {
    const rows = await planGraph(graph, cache, backend, force, sources);
    return { pipeline: graph.name, backend, cacheRoot: cache.root, variants: sweep?.variants.length, rows };
  } finally {
    await cache.close();
  }
}
