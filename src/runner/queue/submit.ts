// The submitter's side of the stage queue: a pool for the Executor, like WorkerPool, whose run()
// puts a StageJob in the BullMQ queue and waits for whichever `pipeline worker` computes it.
//
// Not BullMQ flows: flows are trees, and a stage shared by two sweep variants (or two runs) has
// two parents, the second of which waits forever (taskforcesh/bullmq#1021, #2453). The Executor
// walks the graph as for a local run and submits a stage once its inputs are stored; the job id
// is the cache key, so `queue.add` of a stage that another variant, run or machine has queued
// adds nothing, and every submitter waits for the one job.
//
// Waiting: QueueEvents ('completed', 'failed', 'progress') wake the waiters of a job, and so does
// a poll every pollMs; either way the job itself is then read, and only its stored state counts.
// The poll is what finds a job that vanished (Redis restarted without its data: the job is added
// again) and an event missed during an outage. job.waitUntilFinished is not used: it adds a
// listener to the queue per waiting job (a warning for a wide sweep) and cannot tell a vanished
// job from a slow one.
import { Job, Queue, QueueEvents } from 'bullmq';
import { entryProblem, type CacheEntry } from '../../store/entry.js';
import type { RedisIndex } from '../../store/redis-index.js';
import type { RunCache } from '../../store/run-cache.js';
import type { OnProgress } from '../compute.js';
import type { StageJob } from '../job.js';
import { JobFailed } from '../worker-pool.js';
import { jobIdOf, KEEP_JOBS, parseFailure, PREFIX, QUEUE, queueTimings, type QueueJobData, type QueueProgress } from './settings.js';

/** One run() waiting for a job: woken by an event or the poll, then it reads the job. */
class Waiter {
  private woken = false;
  private wake?: () => void;
  constructor(readonly progress: OnProgress) {}
  poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    if (wake) wake();
    else this.woken = true;
  }
  next(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }
}

const finished = (state: string): state is 'completed' | 'failed' => state === 'completed' || state === 'failed';

export class QueuePool {
  private readonly queue: Queue<QueueJobData>;
  private readonly events: QueueEvents;
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly timer: NodeJS.Timeout;
  /** Set by abort() or when Redis is given up on: every run() rejects with it. */
  private stopped?: Error;

  constructor(
    private readonly cache: RunCache,
    private readonly index: RedisIndex,
    /** Stage ids of --force: their jobs compute even when cached, and a completed job is rerun. */
    private readonly forced: Set<string>,
  ) {
    const connection = index.client;
    this.queue = new Queue<QueueJobData>(QUEUE, { connection, prefix: PREFIX, defaultJobOptions: { removeOnComplete: KEEP_JOBS, removeOnFail: KEEP_JOBS } });
    this.events = new QueueEvents(QUEUE, { connection, prefix: PREFIX });
    // Errors reach the calls that fail; an 'error' event without a listener would end the process.
    this.queue.on('error', () => undefined);
    this.events.on('error', () => undefined);
    this.events.on('completed', ({ jobId }) => this.poke(jobId));
    this.events.on('failed', ({ jobId }) => this.poke(jobId));
    this.events.on('progress', ({ jobId, data }) => {
      const p = data as QueueProgress;
      for (const w of this.waiters.get(jobId) ?? []) w.progress(p.step, p.total, p.loss ?? undefined);
    });
    connection.on('end', this.lost);
    this.timer = setInterval(() => {
      for (const id of this.waiters.keys()) this.poke(id);
    }, queueTimings().pollMs);
    this.timer.unref();
  }

  private readonly lost = (): void => {
    this.stop(new Error(`lost the connection to Redis at ${this.index.url} and gave up reconnecting; queued stages stay in its queue`));
  };

  private stop(err: Error): void {
    this.stopped ??= err;
    for (const id of this.waiters.keys()) this.poke(id);
  }

  private poke(id: string): void {
    for (const w of this.waiters.get(id) ?? []) w.poke();
  }

  /** `pipeline worker` processes connected to the queue now (undefined: Redis will not say). */
  async workers(): Promise<number | undefined> {
    await this.events.waitUntilReady();
    return this.queue.getWorkersCount().catch(() => undefined);
  }

  async run(spec: StageJob, progress: OnProgress): Promise<CacheEntry> {
    const id = jobIdOf(spec.key);
    const data: QueueJobData = this.forced.has(spec.stageId) ? { ...spec, force: true } : spec;
    const waiter = new Waiter(progress);
    const set = this.waiters.get(id) ?? new Set();
    this.waiters.set(id, set.add(waiter));
    try {
      // Listening before adding: a job that finishes at once still wakes the waiter.
      await this.events.waitUntilReady();
      for (;;) {
        const entry = await this.submitAndWait(id, data, waiter);
        if (entry) return entry;
      }
    } catch (err) {
      throw this.stopped ?? err;
    } finally {
      set.delete(waiter);
      if (set.size === 0) this.waiters.delete(id);
    }
  }

  /** One submission: undefined when the job vanished meanwhile (then it is added again). */
  private async submitAndWait(id: string, data: QueueJobData, waiter: Waiter): Promise<CacheEntry | undefined> {
    this.throwIfStopped();
    await this.queue.add(data.stageId, data, { jobId: id });
    const job = await Job.fromId<QueueJobData>(this.queue, id);
    if (!job) return undefined;
    const state = await job.getState();
    /** The finish of a job that ended before this submission: not this submission's outcome. */
    let stale: number | undefined;
    if (finished(state)) {
      // Completed before we came: another submitter's job stored the key a moment ago (the
      // Executor's lookup missed it just before), or an old job whose entry has gone since (gc),
      // or --force. Failed before we came: a re-submission retries it.
      if (state === 'completed' && !data.force) {
        const fresh = await this.cache.peek(data.key);
        if (fresh) return fresh;
      }
      stale = job.finishedOn;
      await this.retry(job, data, state);
    }
    for (;;) {
      await waiter.next();
      this.throwIfStopped();
      const now = await Job.fromId<QueueJobData>(this.queue, id);
      if (!now) return undefined;
      const st = await now.getState();
      if (st === 'unknown') return undefined;
      if (!finished(st) || now.finishedOn === stale) continue;
      if (st === 'failed') {
        const { message, corrupt } = parseFailure(now.failedReason);
        throw new JobFailed(message, corrupt);
      }
      return this.entryOf(data, now.returnvalue);
    }
  }

  /** Run a finished job again, with this submission's data (its input entries are the current
   * ones). Two submitters may both try: the one that finds it no longer finished waits. */
  private async retry(job: Job<QueueJobData>, data: QueueJobData, state: 'completed' | 'failed'): Promise<void> {
    try {
      await job.updateData(data);
      await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
    } catch (err) {
      if ((await this.queue.getJobState(job.id!)) === state) throw err;
    }
  }

  /** The worker returns the entry it stored (or found stored). */
  private async entryOf(data: QueueJobData, value: unknown): Promise<CacheEntry> {
    if (!entryProblem(value, data.key)) return value as CacheEntry;
    const stored = await this.cache.peek(data.key);
    if (stored) return stored;
    throw new Error(`the worker finished ${data.stageId} but returned no cache entry, and the index has none`);
  }

  private throwIfStopped(): void {
    if (this.stopped) throw this.stopped;
  }

  /** Stop waiting (a signal reached the submitter): every run() rejects as interrupted. The jobs
   * stay queued: workers finish and cache them, for this run's next try or another submitter. */
  abort(): void {
    this.stop(new JobFailed('interrupted', undefined, true));
  }

  /** Closes the queue's own connections; the shared client is the cache's to close. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.index.client.off('end', this.lost);
    const closing = Promise.allSettled([this.events.close(), this.queue.close()]);
    // With Redis gone there is nothing to close gracefully: do not wait for it.
    const patience = this.index.client.status === 'end' ? 0 : 3000;
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, patience).unref())]);
  }
}
