// `pipeline worker --redis URL --blobs DIR`, and `--redis/--blobs` on run, sweep and plan: sweeps
// on several machines through one Redis (the cache index and the BullMQ stage queue) and one blob
// folder that every machine mounts. Registering imports commander and small modules only; the
// worker loop (BullMQ, ioredis) is imported when the command runs.
//
// On run/sweep/plan the two options become the cache location (`redis://...#blobs=DIR`, the
// --cache value) before the action runs: the runner opens that cache through store/open.ts, and a
// cache in Redis makes it submit its stages to the queue (runner/queue) instead of computing them.
import { cpus } from 'node:os';
import type { Command } from '#commander';
import { redisLocation } from '../store/redis-location.js';
import { positiveNumber } from './options.js';

const REDIS_HELP = 'Redis of the shared cache index and the stage queue, e.g. redis://host:6379 (run it with --maxmemory-policy noeviction)';
const BLOBS_HELP = 'the blob folder of the shared cache: the same files on every machine (e.g. an NFS mount)';

interface WorkerFlags {
  redis: string;
  blobs: string;
  concurrency?: number;
}

/** The first SIGINT/SIGTERM stops taking jobs and hands the running ones back to the queue; a
 * second exits at once. Exit status 128 + signal, as for a run. */
async function workerAction(flags: WorkerFlags): Promise<void> {
  const controller = new AbortController();
  const codes: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
  let received: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (received) process.exit(codes[received]);
    received = sig;
    console.log(`${sig}: stopping (${sig} again to quit at once)`);
    controller.abort();
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, handler);
  try {
    const { runQueueWorker } = await import('../runner/queue/worker-loop.js');
    await runQueueWorker({
      redis: flags.redis,
      blobs: flags.blobs,
      concurrency: flags.concurrency ?? cpus().length,
      log: (line) => console.log(line),
      signal: controller.signal,
    });
    process.exitCode = received ? codes[received] : 0;
  } catch (err) {
    const { reportError } = await import('./common.js');
    process.exitCode = reportError(err);
  }
  // BullMQ's connections may still be reconnecting to a Redis that is gone: a stopped worker
  // leaves anyway, once its output is written.
  process.stdout.write('', () => process.exit());
}

/** `pipeline worker`, and --redis/--blobs on the commands that run or plan a pipeline (call after
 * those are registered). */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('compute stage jobs from a Redis queue, for `run`/`sweep --redis` on any machine (Ctrl-C hands running jobs back)')
    .requiredOption('--redis <url>', REDIS_HELP)
    .requiredOption('--blobs <dir>', BLOBS_HELP)
    .option('--concurrency <n>', `jobs computed at once, each in a process of its own (default: ${cpus().length}, the number of cores)`, positiveNumber)
    .action(workerAction);

  for (const cmd of program.commands.filter((c) => ['run', 'sweep', 'plan'].includes(c.name()))) {
    cmd
      .option('--redis <url>', `${REDIS_HELP}; stages are computed by \`pipeline worker\` processes (with --blobs; instead of --cache and --jobs)`)
      .option('--blobs <dir>', `${BLOBS_HELP} (with --redis)`)
      .hook('preAction', (command) => {
        const { redis, blobs, cache } = command.opts<{ redis?: string; blobs?: string; cache?: string }>();
        if (redis === undefined && blobs === undefined) return;
        if (redis === undefined || blobs === undefined) command.error(`error: --redis and --blobs go together (the shared cache is both)`);
        if (cache !== undefined) command.error('error: --cache is a local cache; with --redis and --blobs the cache is the shared one');
        try {
          command.setOptionValue('cache', redisLocation(redis!, blobs!));
        } catch (err) {
          command.error(`error: --redis ${(err as Error).message}`);
        }
      });
  }
}
