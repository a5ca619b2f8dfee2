// Sweeps on the smoke pipeline: shared stages computed once, variants equal to lone runs, and
// concurrent sweeps on one cache. Worker processes run the compiled stages: `npm test` builds
// dist/ first.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigErrors, formatError } from '../src/config/index.js';
import { runPipeline, type RunOptions, type RunResult } from '../src/runner/run.js';
import { RunCache } from '../src/store/run-cache.js';
import { registry } from './helpers/builtin.js';

const root = join(import.meta.dirname, '..');
const sweepFile = join(root, 'test', 'fixtures', 'sweep-smoke.yaml');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pipeline-sweep-'));
});

const run = (opts: Partial<RunOptions> = {}) =>
  runPipeline({ file: sweepFile, registry, cacheRoot: join(dir, 'cache'), runsRoot: join(dir, 'runs'), jobs: 2, ...opts });

/** How many times each stage id was computed. */
function computedPerStage(r: RunResult): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [id, o] of r.outcomes) {
    const stageId = r.sweep!.graph.nodes.get(id)!.stageId;
    if (o.status === 'miss') counts[stageId] = (counts[stageId] ?? 0) + 1;
  }
  return counts;
}

describe('sweep', () => {
  it('runs shared upstream stages once and every distinct instance once', async () => {
    const r = await run();
    expect(r.ok).toBe(true);
    expect(r.sweep!.rows.map((row) => row.values)).toEqual([
      { 'confident.threshold': 0.4, 'inverse.steps': 10 },
      { 'confident.threshold': 0.4, 'inverse.steps': 20 },
      { 'confident.threshold': 0.6, 'inverse.steps': 10 },
      { 'confident.threshold': 0.6, 'inverse.steps': 20 },
    ]);
    expect(computedPerStage(r)).toEqual({ data: 1, classifier: 1, confident: 2, inverse: 4, reconstruct: 4, generate: 4, features: 4 });
    expect(r.computed).toBe(20);
    const again = await run();
    expect(again.computed).toBe(0);
    expect([...again.outcomes.values()].every((o) => o.status === 'hit')).toBe(true);
  });

  it("a variant's result equals running that variant alone", async () => {
    const sweep = await run();
    const alone = await runPipeline({
      file: join(root, 'experiments', 'smoke.yaml'),
      registry,
      set: ['confident.threshold=0.6', 'inverse.steps=20'],
      cacheRoot: join(dir, 'alone-cache'),
      runsRoot: join(dir, 'runs'),
    });
    const v4 = sweep.sweep!.manifests[3];
    for (const [id, stage] of Object.entries(alone.manifest.stages)) {
      expect(v4.stages[id].key, id).toBe(stage.key);
      expect(v4.stages[id].metrics, id).toEqual(stage.metrics);
    }
  });

  it('two sweeps started at once on one cache both finish, and the index stays intact', async () => {
    const [a, b] = await Promise.all([run({ jobs: 2 }), run({ jobs: 1 })]);
    expect(a.ok && b.ok).toBe(true);
    expect(a.sweep!.rows.map((r) => r.metrics)).toEqual(b.sweep!.rows.map((r) => r.metrics));
    const cache = RunCache.local(join(dir, 'cache'));
    const all = await cache.index.all();
    for (const e of all) expect(await cache.lookup(e.key)).toBeDefined();
    const entries = all.length;
    await cache.close();
    expect(entries).toBe(20);
    expect((await run()).computed).toBe(0);
  });

  it('reports a bad value in one variant at its FILE:LINE:COL before anything runs', async () => {
    const err = await run({ file: join(root, 'test', 'fixtures', 'sweep-bad.yaml') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigErrors);
    expect((err as ConfigErrors).errors.map(formatError)).toEqual([expect.stringMatching(/sweep-bad\.yaml:4:30: .*threshold must be < 1, got 1\.5/)]);
  });

  it('--sweep on the command line adds an axis', async () => {
    const r = await run({ file: join(root, 'experiments', 'smoke.yaml'), sweep: ['inverse.steps=10,20'], jobs: 1 });
    expect(r.sweep!.rows.map((row) => row.values)).toEqual([{ 'inverse.steps': 10 }, { 'inverse.steps': 20 }]);
    expect(computedPerStage(r)).toMatchObject({ data: 1, classifier: 1, confident: 1, inverse: 2 });
  });
});
