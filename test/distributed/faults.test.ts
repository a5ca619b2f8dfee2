// Faults during a sweep through Redis: a worker killed with -9 while it computes (its job goes to
// the other worker once its lock lapses: lock 2 s, stalled check every 1 s here), Redis restarted
// empty (submitter and workers reconnect, the vanished jobs are queued again), and Redis gone for
// good (the submitter fails with a clear error once it gives up reconnecting, instead of hanging).
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { childrenOf, cleanup, isAlive, type Proc, sleep, spawnCli, tempDir, track, waitFor } from '../reliability/helpers.js';
import { computes, results, type RunJson, runJson, startWorker, sweepSmoke } from './helpers.js';
import { type RedisServer, startRedis } from './redis-server.js';

// A classifier of 2000 steps: seconds of computing, long enough to be interrupted.
const SLOW = ['--set', 'classifier.steps=2000', '--set', 'classifier.logEvery=500'];

let redis: RedisServer;
let local: RunJson;
beforeAll(async () => {
  redis = await startRedis();
  const dir = tempDir('dist-local');
  local = (await runJson(['sweep', sweepSmoke, ...SLOW, '--cache', join(dir, 'cache'), '--runs', join(dir, 'runs'), '-j', '2'])).doc;
  expect(local.status).toBe('ok');
}, 120_000);
afterAll(() => redis?.stop());
beforeEach(async () => {
  await redis.start();
  const client = new Redis(redis.url);
  await client.flushall();
  await client.quit();
});
afterEach(cleanup);

/** The submitter of the slow sweep, with --json; `env` is added to the environment it starts with. */
function submit(dir: string, env: Record<string, string> = {}): Proc {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return spawnCli(['sweep', sweepSmoke, ...SLOW, '--redis', redis.url, '--blobs', join(dir, 'blobs'), '--runs', join(dir, 'runs'), '--json']);
  } finally {
    process.env = saved;
  }
}

async function finish(p: Proc): Promise<RunJson> {
  await p.exited;
  await p.closed;
  try {
    return JSON.parse(p.stdout) as RunJson;
  } catch {
    throw new Error(`no JSON document (exit ${p.exit?.code}):\n${p.stdout}\n${p.stderr}`);
  }
}

const computingClassifier = (w: Proc): boolean => /^computing classifier /m.test(w.stdout);

describe('faults', () => {
  it('a worker killed with -9 mid-job: the other worker computes its job and the sweep completes, correct', async () => {
    const dir = tempDir('dist-kill');
    const workers = [await startWorker(redis.url, join(dir, 'blobs')), await startWorker(redis.url, join(dir, 'blobs'))];
    const sub = submit(dir);
    await waitFor(() => workers.some(computingClassifier) || sub.exit !== undefined, 30_000, 'a worker to compute the classifier');
    const victim = workers.find(computingClassifier)!;
    const other = workers.find((w) => w !== victim)!;
    await sleep(1000);
    const children = childrenOf(victim.pid);
    track(children);
    const killed = performance.now();
    victim.child.kill('SIGKILL');
    await waitFor(() => computingClassifier(other), 30_000, 'the other worker to take the classifier');
    const recovery = performance.now() - killed;
    console.log(`kill -9 of the worker computing the classifier -> the other worker computes it: ${recovery.toFixed(0)} ms`);
    expect(recovery).toBeLessThan(10_000);

    const doc = await finish(sub);
    expect(sub.exit?.code, sub.stderr).toBe(0);
    expect(results(doc)).toEqual(results(local));
    // The killed worker's compute processes left with it.
    await waitFor(() => children.every((pid) => !isAlive(pid)), 5000, 'the killed worker’s children to exit');
    // Each instance computed once, but the classifier, which was computed again.
    const counts = computes(workers);
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([[doc.stages.find((s) => s.id === 'classifier')!.key!.slice(0, 10), 2]]);
  });

  it('Redis restarted empty mid-sweep: submitter and workers reconnect and the sweep completes, correct', async () => {
    const dir = tempDir('dist-restart');
    const workers = [await startWorker(redis.url, join(dir, 'blobs')), await startWorker(redis.url, join(dir, 'blobs'))];
    const sub = submit(dir);
    await waitFor(() => workers.some(computingClassifier) || sub.exit !== undefined, 30_000, 'a worker to compute the classifier');
    await sleep(500);
    await redis.kill();
    await sleep(1000);
    await redis.start();
    const restarted = performance.now();
    const doc = await finish(sub);
    console.log(`Redis restarted (empty) during the classifier -> the sweep ends ${(performance.now() - restarted).toFixed(0)} ms later`);
    expect(sub.exit?.code, `${sub.stdout}\n${sub.stderr}`).toBe(0);
    expect(results(doc)).toEqual(results(local));
    for (const w of workers) expect(w.exit, w.stdout).toBeUndefined();
  });

  it('Redis gone for good: the submitter gives up reconnecting and fails with a clear error', async () => {
    const dir = tempDir('dist-gone');
    const worker = await startWorker(redis.url, join(dir, 'blobs'));
    const sub = submit(dir, { PIPELINE_REDIS_GIVE_UP_MS: '3000' });
    await waitFor(() => computingClassifier(worker) || sub.exit !== undefined, 30_000, 'the worker to compute the classifier');
    await redis.kill();
    const gone = performance.now();
    await sub.exited;
    await sub.closed;
    const ms = performance.now() - gone;
    console.log(`Redis killed for good -> the submitter exits ${sub.exit?.code} after ${ms.toFixed(0)} ms`);
    expect(sub.exit?.code).toBe(1);
    expect(sub.stderr).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+.*gave up reconnecting|Connection is closed/);
    expect(ms).toBeLessThan(20_000);
  });
});
