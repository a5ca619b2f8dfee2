// Stages that fail on a worker: the failure reaches every submitter waiting on the job, and a
// re-submission retries the failed job (it does not just report the old failure again); a worker
// whose code differs from the code of the job's key refuses it with a message that says so.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { userProject } from '../plugins/fixture.js';
import { cleanup, onlyManifest, sleep, startRun, tempDir } from '../reliability/helpers.js';
import { computes, runJson, startWorker, useRedis, waitUntil } from './helpers.js';

const redis = useRedis();
afterEach(cleanup);

/** A user stage that works for a second, then fails while its marker file exists. */
const FLAKY = `import { existsSync } from 'node:fs';
import { defineStage, tf } from 'mlpipe/sdk';

export default defineStage({
  type: 'flaky',
  version: 1,
  description: 'fails while the marker file exists',
  params: { type: 'object', properties: { marker: { type: 'string' } }, required: ['marker'] },
  inputs: { data: 'dataset' },
  outputs: { count: 'scalar' },
  kernels: false,
  async run(ctx) {
    for (let i = 1; i <= 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await ctx.progress(i, 10);
    }
    if (existsSync(ctx.params.marker)) throw new Error('flaky: the marker file is there');
    const n = ctx.inputs.data.trainX.shape[0];
    return { outputs: { count: { n: tf.scalar(n) } }, metrics: { count: n } };
  },
});
`;

const flakyPipeline = (marker: string) => `name: flaky
stages:
  data:
    uses: load
    with: { train: 300, test: 100 }
  flaky:
    uses: ./flaky.mjs
    inputs: { data: data }
    with: { marker: ${JSON.stringify(marker)} }
`;

describe('failures on a worker', () => {
  it('a failed stage is reported to both submitters waiting on it; a re-submit retries it', async () => {
    const dir = tempDir('dist-fail');
    const marker = join(dir, 'marker');
    writeFileSync(marker, '');
    writeFileSync(join(dir, 'flaky.mjs'), FLAKY);
    writeFileSync(join(dir, 'flaky.yaml'), flakyPipeline(marker));
    const blobs = join(dir, 'blobs');
    const submit = (runs: string) => runJson(['run', join(dir, 'flaky.yaml'), '--redis', redis.url, '--blobs', blobs, '--runs', join(dir, runs)]);

    // Both submitters are listening (and wait on the data job) before any worker runs: they get
    // data at the same moment and both wait on the one flaky job, which takes a second to fail.
    const both = Promise.all([submit('ra'), submit('rb')]);
    const client = new Redis(redis.url);
    await waitUntil(
      async () => ((await client.client('LIST')) as string).split('\n').filter((l) => / name=\S*:qe /.test(l)).length >= 2,
      20_000,
      'both submitters to listen',
    );
    await client.quit();
    await sleep(1000);
    const workers = [await startWorker(redis.url, blobs), await startWorker(redis.url, blobs)];
    const [a, b] = await both;
    for (const { doc, proc } of [a, b]) {
      expect(proc.exit?.code, proc.stderr).toBe(1);
      expect(doc.stages.find((s) => s.id === 'flaky')).toMatchObject({ status: 'failed', error: 'flaky: the marker file is there' });
      expect(proc.stderr).toMatch(/stage flaky failed: flaky: the marker file is there/);
    }
    const key = a.doc.stages.find((s) => s.id === 'flaky')!.key!;
    expect(b.doc.stages.find((s) => s.id === 'flaky')!.key).toBe(key);
    expect(computes(workers).get(key.slice(0, 10))).toBe(1);

    // The cause is gone: a re-submission retries the failed job, which now succeeds.
    rmSync(marker);
    const c = await submit('rc');
    expect(c.proc.exit?.code, c.proc.stderr).toBe(0);
    expect(c.doc.stages.find((s) => s.id === 'flaky')).toMatchObject({ status: 'miss', metrics: { count: 300 } });
    expect(computes(workers).get(key.slice(0, 10))).toBe(2);
    expect(existsSync(join(dir, 'rc'))).toBe(true);
  });

  it('a worker refuses a job whose stage code changed since the submitter made its key, and says so', async () => {
    const project = userProject();
    const blobs = join(project, 'blobs');
    // Submitted with no worker running: the key is made from today's helper.ts ...
    const sub = await startRun(['run', join(project, 'ts.yaml'), '--redis', redis.url, '--blobs', blobs, '--runs', join(project, 'runs')], { cwd: project });
    expect(sub.exit, sub.stderr).toBeUndefined();
    // ... and the worker, started after the edit, loads another one.
    writeFileSync(join(project, 'stages', 'helper.ts'), 'export function round(v: number): number {\n  return Math.round(v * 1e3) / 1e3;\n}\n');
    const worker = await startWorker(redis.url, blobs);
    await sub.exited;
    await sub.closed;
    expect(sub.exit?.code).toBe(1);
    const refusal =
      /mean-image\.ts: the code this worker loaded differs from the code the run's key was computed from \(\.\/stages\/helper\.ts\); it changed since the run started: run again/;
    expect(sub.stdout).toMatch(refusal);
    expect(worker.stdout).toMatch(/^failed mean [0-9a-f]{10} \(user-stages\): .*the code this worker loaded differs/m);
    const m = onlyManifest(join(project, 'runs'));
    expect(m.stages.data.status).toBe('miss');
    expect(m.stages.mean.status).toBe('failed');
    rmSync(project, { recursive: true, force: true });
  });
});
