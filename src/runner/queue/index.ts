// Whether a run computes on `pipeline worker` processes: when its cache is the shared one in
// Redis (opened from a `redis://...#blobs=DIR` location). BullMQ is imported only then, so a local
// run never loads it.
import type { Graph } from '../../graph/graph.js';
import type { Leases } from '../../store/lease.js';
import { RedisIndex } from '../../store/redis-index.js';
import type { RunCache } from '../../store/run-cache.js';
import type { QueuePool } from './submit.js';

export interface Queued {
  pool: QueuePool;
  leases: Pick<Leases, 'acquire' | 'cleanDead'>;
  /** Workers connected when the run started (undefined: Redis would not say). */
  workers?: number;
}

/** The submitter takes no lease: the queue runs one job per key (the job id is the key), and the
 * worker that takes the job holds the key's lease in Redis while it computes. */
const NO_LEASES: Queued['leases'] = { acquire: async () => ({ release: () => undefined }), cleanDead: () => 0 };

export async function queueFor(cache: RunCache, graph: Graph, force: Set<string>): Promise<Queued | undefined> {
  if (!(cache.index instanceof RedisIndex)) return undefined;
  const { QueuePool } = await import('./submit.js');
  // --force names stages; every instance of a forced stage is forced (prepare's rule).
  const forcedStages = new Set([...force].map((id) => graph.nodes.get(id)!.stageId));
  const pool = new QueuePool(cache, cache.index, forcedStages);
  const workers = await pool.workers();
  if (workers === 0) console.error(`no \`pipeline worker\` is connected to ${cache.index.url} yet: the stages wait in its queue until one is`);
  return { pool, leases: NO_LEASES, workers };
}
