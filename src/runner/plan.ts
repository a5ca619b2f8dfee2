// `pipeline plan`: each stage's key and whether it would hit, without computing anything. A miss
// is explained against the newest cached entry of the same stage id, part by part.
import { cacheKey, diffParts, shortKey } from '../cache/index.js';
import type { CacheEntry, RunCache } from '../cache/run-cache.js';
import type { Graph } from '../graph/graph.js';
import { Executor } from './executor.js';
import { readStageFiles } from './files.js';

export interface PlanRow {
  id: string;
  type: string;
  status: 'hit' | 'miss' | 'forced' | 'pending';
  key?: string;
  reasons: string[];
}

export async function planGraph(graph: Graph, cache: RunCache, backend: string, force: Set<string>): Promise<PlanRow[]> {
  const executor = new Executor(graph, cache, { backend, force });
  const entries = new Map<string, CacheEntry>();
  const rows: PlanRow[] = [];
  for (const id of graph.order) {
    const node = graph.nodes.get(id)!;
    const waiting = Object.values(node.inputs).map((r) => r.stage).filter((s) => !entries.has(s));
    if (waiting.length) {
      rows.push({ id, type: node.def.type, status: 'pending', reasons: [`runs after ${[...new Set(waiting)].join(', ')} (its key needs their outputs)`] });
      continue;
    }
    const parts = await executor.keyParts(node, Object.fromEntries(entries), readStageFiles(node.def, node.params).hashes);
    const key = cacheKey(parts);
    const entry = await cache.lookup(key);
    if (entry && !force.has(id)) {
      entries.set(id, entry);
      rows.push({ id, type: node.def.type, status: 'hit', key, reasons: [] });
      continue;
    }
    if (entry) {
      entries.set(id, entry);
      rows.push({ id, type: node.def.type, status: 'forced', key, reasons: ['--force'] });
      continue;
    }
    const previous = await cache.index.newestFor(node.stageId, graph.name);
    const reasons = previous ? diffParts(previous.parts, parts) : ['never computed'];
    rows.push({ id, type: node.def.type, status: 'miss', key, reasons: reasons.length ? reasons : ['cache entry missing or damaged'] });
  }
  return rows;
}

export function formatPlan(rows: PlanRow[]): string {
  const width = Math.max(...rows.map((r) => r.id.length));
  return rows
    .map((r) => {
      const head = `${r.id.padEnd(width)}  ${r.status.padEnd(7)} ${r.key ? shortKey(r.key) : '-'.padEnd(10)}  ${r.type}`;
      return [head, ...r.reasons.map((x) => `${' '.repeat(width + 2)}  ${x}`)].join('\n');
    })
    .join('\n');
}
