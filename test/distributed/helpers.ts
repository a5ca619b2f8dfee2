// What the distributed tests share: queue timings short enough that a killed worker's job is
// recovered in seconds (set before any process is spawned: the CLI processes inherit them),
// `pipeline worker` processes, and the computations they report, counted per cache key; a
// redis-server per test file.
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type Proc, root, spawnCli, waitFor } from '../reliability/helpers.js';
import { type RedisServer, startRedis } from './redis-server.js';

// Lock 2 s, stalled check every 1 s: a job of a killed worker is back in the queue within ~3 s.
process.env.PIPELINE_QUEUE_LOCK_MS = '2000';
process.env.PIPELINE_QUEUE_STALLED_MS = '1000';
process.env.PIPELINE_QUEUE_POLL_MS = '500';

export const sweepSmoke = join(root, 'test', 'fixtures', 'sweep-smoke.yaml');
export const smoke = join(root, 'experiments', 'smoke.yaml');

/** A `pipeline worker`, once it is taking jobs. */
export async function startWorker(redis: string, blobs: string, concurrency = 1): Promise<Proc> {
  const w = spawnCli(['worker', '--redis', redis, '--blobs', blobs, '--concurrency', String(concurrency)]);
  await waitFor(() => /stage jobs from/.test(w.stdout) || w.exit !== undefined, 20_000, 'the worker to start');
  if (w.exit) throw new Error(`worker exited ${w.exit.code}:\n${w.stdout}\n${w.stderr}`);
  return w;
}

/** `computing STAGE KEY10 (PIPELINE)` lines of these workers: how often each key was computed. */
export function computes(workers: Proc[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of workers) for (const m of w.stdout.matchAll(/^computing (\S+) ([0-9a-f]{10}) /gm)) counts.set(m[2], (counts.get(m[2]) ?? 0) + 1);
  return counts;
}

export interface RunJson {
  status: string;
  runDir: string;
  report: string | null;
  computed: number;
  stages: { id: string; type: string; status: string; key: string | null; metrics: unknown; error: string | null }[];
  sweep?: { variants: { id: string; values: Record<string, unknown>; status: string; metrics: Record<string, number> }[] };
}

/** Run the CLI to the end with --json; the parsed document and the process. */
export async function runJson(args: string[]): Promise<{ doc: RunJson; proc: Proc }> {
  const proc = spawnCli([...args, '--json']);
  await proc.exited;
  await proc.closed;
  let doc: RunJson;
  try {
    doc = JSON.parse(proc.stdout) as RunJson;
  } catch {
    throw new Error(`no JSON document (exit ${proc.exit?.code}):\n${proc.stdout}\n${proc.stderr}`);
  }
  return { doc, proc };
}

/** The stages of a run document as (id, key, metrics): what a local and a distributed run share. */
export const results = (doc: RunJson) => doc.stages.map((s) => ({ id: s.id, key: s.key, metrics: s.metrics }));

/** Poll an async condition every 100 ms; throws naming `what` after `timeoutMs`. */
export async function waitUntil(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A redis-server of this test file's own, started once and emptied before each test. */
export function useRedis(): { readonly url: string } {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server?.stop());
  beforeEach(async () => {
    const client = new Redis(server!.url);
    await client.flushall();
    await client.quit();
  });
  return {
    get url() {
      return server!.url;
    },
  };
}
