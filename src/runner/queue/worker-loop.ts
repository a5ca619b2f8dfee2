// `pipeline worker`: takes stage jobs from the BullMQ queue and computes them against the shared
// cache. The stage code runs in WorkerPool child processes (worker.ts, given the cache as a
// `redis://...#blobs=DIR` location), never on this process's event loop: that loop renews the
// jobs' locks, and a lock that lapses hands a job that is still computing to another worker.
//
// Per job: take the key's lease in Redis (one computation per key, even when BullMQ hands a job
// out twice), look the key up (a job whose key another run stored meanwhile costs a lookup), else
// compute in a child. The child refuses a job whose code differs from this worker's (checkJobCode,
// checkBuilt): the job then fails with that message for every submitter waiting on it, rather
// than going back to the queue, where a worker with the same stale code would take it again, and
// again, while the submitters wait with no word of why. A re-submission after the workers are
// updated retries it.
import { hostname } from 'node:os';
import { type Job, WaitingError, Worker } from 'bullmq';
import { shortKey } from '../../keys/hash.js';
import { redactUrl } from '../../store/redis-client.js';
import type { Lease } from '../../store/lease.js';
import type { RedisIndex } from '../../store/redis-index.js';
import { RedisLeases } from '../../store/redis-lease.js';
import { redisLocation } from '../../store/redis-location.js';
import { openRedisStore } from '../../store/redis-store.js';
import type { CacheEntry } from '../../store/run-cache.js';
import { isInterruption } from '../compute.js';
import { JobFailed, WorkerPool } from '../worker-pool.js';
import { failureReason, KEEP_JOBS, PREFIX, QUEUE, queueTimings, type QueueJobData, type QueueProgress } from './settings.js';

export interface QueueWorkerOptions {
  redis: string;
  blobs: string;
  /** Jobs computed at once, each in a child process of its own. */
  concurrency: number;
  /** One line per event: started, job taken, done, failed. */
  log: (line: string) => void;
  /** Aborting stops the worker: running computations stop and their jobs go back to the queue. */
  signal: AbortSignal;
}

const CLOSE_MS = 5000;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export async function runQueueWorker(opts: QueueWorkerOptions): Promise<void> {
  // A worker outlives Redis outages, and so do its children (they inherit the environment).
  process.env.PIPELINE_REDIS_GIVE_UP_MS = '0';
  const timings = queueTimings();
  const cache = openRedisStore(opts.redis, opts.blobs, { giveUpMs: 0 });
  await cache.check();
  const index = cache.index as RedisIndex;
  const leases = new RedisLeases(index.client, PREFIX, timings.leaseMs);
  const location = redisLocation(opts.redis, cache.root);
  // One pool per backend: a job names the backend its key was made with (parts.backend).
  const pools = new Map<string, WorkerPool>();
  const poolFor = (backend: string): WorkerPool => {
    const pool = pools.get(backend) ?? new WorkerPool(opts.concurrency, location, backend);
    pools.set(backend, pool);
    return pool;
  };
  let lastError = 0;

  const handle = async (job: Job<QueueJobData, CacheEntry>, token?: string): Promise<CacheEntry> => {
    const spec = job.data;
    const what = `${spec.stageId} ${shortKey(spec.key)} (${spec.pipeline})`;
    let lease: Lease | undefined;
    try {
      lease = await leases.acquire(spec.key, {
        signal: opts.signal,
        onWait: (h) => opts.log(`waiting: ${h.host} pid ${h.pid} computes ${what}`),
      });
      if (!spec.force) {
        const hit = await cache.lookup(spec.key, { pipeline: spec.pipeline, stageId: spec.stageId });
        if (hit) {
          opts.log(`cached ${what}`);
          return hit;
        }
      }
      opts.log(`computing ${what}`);
      const started = performance.now();
      const entry = await poolFor(spec.parts.backend).run(spec, (step, total, loss) => {
        const p: QueueProgress = loss === undefined ? { step, total } : { step, total, loss };
        job.updateProgress(p).catch(() => undefined);
      });
      opts.log(`done ${what} in ${seconds(performance.now() - started)}`);
      return entry;
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      if (opts.signal.aborted && (isInterruption(e) || e.name === 'AbortError')) {
        // Stopped by this worker's own signal: the job is not done, another worker takes it.
        opts.log(`handed back ${what}`);
        await job.moveToWait(token);
        throw new WaitingError();
      }
      opts.log(`failed ${what}: ${e.message}`);
      throw new Error(failureReason(e.message, e instanceof JobFailed ? e.corruptBlob : undefined));
    } finally {
      lease?.release();
    }
  };

  const worker = new Worker<QueueJobData, CacheEntry>(QUEUE, handle, {
    connection: index.client,
    prefix: PREFIX,
    concurrency: opts.concurrency,
    lockDuration: timings.lockMs,
    stalledInterval: timings.stalledMs,
    maxStalledCount: timings.maxStalled,
    removeOnComplete: KEEP_JOBS,
    removeOnFail: KEEP_JOBS,
    // After a failed Redis call BullMQ waits this long before the next (default 15 s): after a
    // Redis restart the worker takes jobs again within a second of the reconnect.
    runRetryDelay: 1000,
    name: `${hostname()}:${process.pid}`,
  });
  worker.on('error', (err) => {
    // One line per outage, not one per reconnect attempt.
    const now = Date.now();
    if (now - lastError > 10_000) opts.log(`redis: ${err.message} (retrying)`);
    lastError = now;
  });
  try {
    await worker.waitUntilReady();
    opts.log(
      `worker ${hostname()} pid ${process.pid}: stage jobs from ${redactUrl(opts.redis)} (queue ${PREFIX}:${QUEUE}), blobs ${cache.root}, ${opts.concurrency} at a time`,
    );
    await new Promise<void>((resolve) => {
      if (opts.signal.aborted) resolve();
      else opts.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    opts.log('stopping: running jobs go back to the queue');
    for (const pool of pools.values()) pool.abort();
    // With Redis away, close() (and handing a job back) waits for it: leave after CLOSE_MS anyway;
    // the jobs' locks lapse and other workers take them.
    const closed = await Promise.race([worker.close().then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), CLOSE_MS).unref())]);
    if (!closed) opts.log(`Redis did not answer within ${seconds(CLOSE_MS)}: leaving; the running jobs go back to the queue when their locks lapse`);
  } finally {
    for (const pool of pools.values()) pool.close();
    await cache.close();
  }
}
