// What submitters and workers of the stage queue must agree on: names, job ids, how a failure
// travels, and the timings that bound recovery. Timings come from the environment so tests (and
// impatient clusters) can shorten them; every process of one queue should use the same.
import type { StageJob } from '../job.js';

/** BullMQ's key prefix and queue name: the queue lives at `mlpipe:stages:*` in Redis. */
export const PREFIX = 'mlpipe';
export const QUEUE = 'stages';

/** A StageJob as queued: `force` (--force) makes the worker compute even when the key is cached. */
export interface QueueJobData extends StageJob {
  force?: boolean;
}

/** Step and loss of a running job, relayed by job.updateProgress to every waiting submitter. */
export interface QueueProgress {
  step: number;
  total: number;
  loss?: number;
}

/** One job per cache key, whoever submits it: `queue.add` with an existing id adds nothing.
 * BullMQ wants ids without ':' and not all digits. */
export const jobIdOf = (key: string): string => `stage-${key}`;

/** Completed and failed jobs are kept a week: long past any submitter still waiting on one (the
 * cache, not the job, is what later runs find), short enough that Redis does not grow forever. */
export const KEEP_JOBS = { age: 7 * 24 * 3600 };

function ms(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${text}: a positive number of milliseconds is needed`);
  return value;
}

export interface QueueTimings {
  /** A job's lock: renewed every lockMs/2 by its worker; a killed worker's lock lapses after it. */
  lockMs: number;
  /** How often workers look for jobs whose lock lapsed and put them back in the queue. */
  stalledMs: number;
  /** How often a submitter checks the state of the jobs it waits for (besides the events). */
  pollMs: number;
  /** A key's compute lease in Redis: as long as a job's lock, so it never outlives the job's
   * recovery. */
  leaseMs: number;
  /** Worker losses one job survives before it fails ("job stalled more than allowable limit"). */
  maxStalled: number;
}

/** A killed worker's job is computed again elsewhere within lockMs + stalledMs (45 s by default). */
export function queueTimings(): QueueTimings {
  const lockMs = ms('PIPELINE_QUEUE_LOCK_MS', 30_000);
  return { lockMs, stalledMs: ms('PIPELINE_QUEUE_STALLED_MS', 15_000), pollMs: ms('PIPELINE_QUEUE_POLL_MS', 5_000), leaseMs: lockMs, maxStalled: 2 };
}

const CORRUPT = ' [corrupt blob ';

/** A job's failedReason: the message, and the hash of a corrupt input blob when that was why (the
 * submitter then recomputes that input, as for a local worker). */
export const failureReason = (message: string, corrupt?: string): string => (corrupt ? `${message}${CORRUPT}${corrupt}]` : message);

export function parseFailure(reason: string | undefined): { message: string; corrupt?: string } {
  const text = reason || 'the job failed without a reason';
  const at = text.lastIndexOf(CORRUPT);
  if (at < 0 || !text.endsWith(']')) return { message: text };
  return { message: text.slice(0, at), corrupt: text.slice(at + CORRUPT.length, -1) };
}
