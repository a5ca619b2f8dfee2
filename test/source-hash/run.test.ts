// The stamps through whole runs of the smoke pipeline: a warm run reads no data file, --rehash
// reads them, a file rewritten in place (mtime restored) is recomputed, a stamp that names the
// wrong bytes is corrected before anything computes under it (in this process and with workers),
// and a missing file fails as it always did. Worker processes run the compiled dist/.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { sourceFileReads } from '../../src/keys/source-files.js';
import { planPipeline } from '../../src/runner/plan.js';
import { runPipeline, type RunOptions } from '../../src/runner/run.js';
import { registry } from '../helpers/builtin.js';
import { sql } from '../store/helpers.js';
import { copiedMnist, rewriteInPlace, settle, stampRows } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');
const smoke = join(root, 'experiments', 'smoke.yaml');
const sweepSmoke = join(root, 'test', 'fixtures', 'sweep-smoke.yaml');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pipeline-source-run-'));
});
const indexFile = () => join(dir, 'cache', 'index.sqlite');

const run = (opts: Partial<RunOptions> = {}) =>
  runPipeline({ file: smoke, registry, cacheRoot: join(dir, 'cache'), runsRoot: join(dir, 'runs'), jobs: 1, ...opts });

/** A run, and how many source-data files this process read during it. */
async function counted(opts: Partial<RunOptions> = {}) {
  const before = sourceFileReads();
  const result = await run(opts);
  return { result, reads: sourceFileReads() - before };
}

const keyOf = (r: Awaited<ReturnType<typeof run>>, id: string) => r.outcomes.get(id)!.key;

describe('source-data hashes kept in the index', () => {
  it('a second run of smoke reads none of the IDX files; --rehash reads them again', async () => {
    const cold = await counted();
    expect(cold.result.ok).toBe(true);
    expect(cold.reads).toBe(4);
    expect((await stampRows(indexFile())).length).toBe(4);
    const warm = await counted();
    expect(warm.result.computed).toBe(0);
    expect(warm.reads).toBe(0);
    expect(keyOf(warm.result, 'data')).toBe(keyOf(cold.result, 'data'));
    // plan uses the stamps too
    const before = sourceFileReads();
    const plan = await planPipeline({ file: smoke, registry, cacheRoot: join(dir, 'cache') });
    expect(plan.rows.every((r) => r.status === 'hit')).toBe(true);
    expect(sourceFileReads() - before).toBe(0);
    const rehashed = await counted({ rehash: true });
    expect(rehashed.reads).toBe(4);
    expect(rehashed.result.computed).toBe(0);
    const planned = sourceFileReads();
    await planPipeline({ file: smoke, registry, cacheRoot: join(dir, 'cache'), rehash: true });
    expect(sourceFileReads() - planned).toBe(4);
  });

  it('a data file rewritten in place with the same size and its mtime put back is seen: load and what follows recompute', async () => {
    const data = copiedMnist();
    await settle();
    const set = [`data.path=${data}`];
    const first = await run({ set });
    expect(first.ok).toBe(true);
    rewriteInPlace(join(data, 'train-images-idx3-ubyte'), 16 + 200);
    await settle(); // old enough to be stamped: only the stamp (its ctime) tells the change
    const second = await counted({ set });
    // The changed file is read for the key; load then computes, reading the other three once.
    expect(second.reads).toBe(4);
    expect(second.result.ok).toBe(true);
    expect(keyOf(second.result, 'data')).not.toBe(keyOf(first, 'data'));
    expect(second.result.outcomes.get('data')!.status).toBe('miss');
    expect(second.result.outcomes.get('data')!.entry!.parts.files.trainImages).not.toBe(first.outcomes.get('data')!.entry!.parts.files.trainImages);
  });

  it('a stamp that names other bytes is corrected when load would compute: the key is made from the bytes and hits', async () => {
    const cold = await run();
    const target = (await stampRows(indexFile())).find((r) => r.path.endsWith('t10k-images-idx3-ubyte'))!;
    await sql(indexFile(), `UPDATE file_hashes SET hash = '${'d'.repeat(64)}' WHERE path = '${target.path}'`);
    const again = await counted();
    expect(again.reads).toBe(4); // computing would read them: they are read, and checked
    expect(again.result.computed).toBe(0);
    expect(keyOf(again.result, 'data')).toBe(keyOf(cold, 'data'));
    expect((await stampRows(indexFile())).find((r) => r.path === target.path)!.hash).toBe(target.hash);
  });

  it('with worker processes too: the parent checks the files before sending the job', async () => {
    const cold = await run({ file: sweepSmoke, jobs: 2 });
    expect(cold.ok).toBe(true);
    const target = (await stampRows(indexFile())).find((r) => r.path.endsWith('train-labels-idx1-ubyte'))!;
    await sql(indexFile(), `UPDATE file_hashes SET hash = '${'c'.repeat(64)}' WHERE path = '${target.path}'`);
    const again = await counted({ file: sweepSmoke, jobs: 2 });
    expect(again.result.ok).toBe(true);
    expect(again.result.computed).toBe(0);
    expect(again.reads).toBe(4);
    expect((await stampRows(indexFile())).find((r) => r.path === target.path)!.hash).toBe(target.hash);
    expect((await counted({ file: sweepSmoke, jobs: 2 })).reads).toBe(0);
  });

  it('a missing data file fails load as before, and plan says so', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'pipeline-no-data-'));
    const r = await run({ set: [`data.path=${empty}`] });
    expect(r.ok).toBe(false);
    const data = r.outcomes.get('data')!;
    expect(data.status).toBe('failed');
    expect(data.error!.message).toBe(
      `load: missing file "trainImages": looked for ${join(empty, 'train-images-idx3-ubyte')}, ${join(empty, 'train-images-idx3-ubyte')}.gz`,
    );
    expect(r.outcomes.get('classifier')!.status).toBe('skipped');
    await expect(planPipeline({ file: smoke, registry, set: [`data.path=${empty}`], cacheRoot: join(dir, 'cache') })).rejects.toThrow(
      /load: missing file "trainImages"/,
    );
  });

  it('run, sweep, plan and why take --rehash', async () => {
    const cache = join(dir, 'cache');
    const cmd = (...args: string[]) =>
      spawnSync('node', [cli, ...args, '--cache', cache, '--rehash'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const ran = cmd('run', smoke, '--json', '--runs', join(dir, 'runs'));
    expect(ran.status, ran.stderr).toBe(0);
    for (const args of [
      ['plan', smoke, '--json'],
      ['why', smoke, '--json'],
      ['sweep', smoke, '--json', '--runs', join(dir, 'runs')],
    ]) {
      const r = cmd(...args);
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(0);
    }
    expect((await stampRows(join(cache, 'index.sqlite'))).length).toBe(4);
  });
});
