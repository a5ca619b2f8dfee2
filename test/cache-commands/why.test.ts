// `pipeline why` (and `plan`, which shares the explanation): each miss against the NEAREST cached
// entry of its stage id, part by part, inputs named by the cache keys that produced them.
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Explainer, explainDiff } from '../../src/runner/explain.js';
import type { KeyParts } from '../../src/keys/recipe.js';
import { formatWhy } from '../../src/cli/plan-view.js';
import { formatPlan } from '../../src/cli/plan-view.js';
import { planGraph } from '../../src/runner/plan.js';
import { prepare } from '../../src/runner/run.js';
import { cli, engineFile, registry, runIn, tempDir, withCache } from './helpers.js';

let dir: string;
let cacheDir: string;
beforeEach(() => {
  dir = tempDir();
  cacheDir = join(dir, 'cache');
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const why = (...args: string[]) => cli(['why', engineFile, '--cache', cacheDir, ...args]);
const block = (out: string, id: string) => {
  const lines = out.split('\n');
  const i = lines.findIndex((l) => l.startsWith(`${id} (`));
  const end = lines.findIndex((l, j) => j > i && !l.startsWith(' '));
  return lines.slice(i, end < 0 ? undefined : end);
};

describe('explainDiff', () => {
  const base: KeyParts = {
    stage: 'noisy',
    version: 1,
    code: { 'stages/noisy.ts': 'a'.repeat(64), 'src/sdk/stage.ts': '6'.repeat(64) },
    params: { amount: 0.5, opt: { lr: 0.1 } },
    inputs: { x: '1'.repeat(64) },
    files: { train: '2'.repeat(64) },
    seed: 1,
    backend: 'wasm',
  };
  it('says what changed in each part, inputs by the key that produced them where known', () => {
    const after: KeyParts = {
      ...base,
      stage: 'noisier',
      version: 2,
      code: { 'stages/noisy.ts': 'b'.repeat(64), 'src/sdk/losses.ts': '7'.repeat(64) },
      params: { amount: 0.9, opt: { lr: 0.2 } },
      inputs: { x: '3'.repeat(64), y: '4'.repeat(64) },
      files: { train: '5'.repeat(64) },
      seed: 2,
      backend: 'cpu',
    };
    const keyOf = (h: string) => (h === '1'.repeat(64) ? 'c'.repeat(64) : undefined);
    expect(explainDiff(base, after, { keyOf })).toEqual([
      'stage noisy -> noisier',
      'stage version 1 -> 2',
      'code src/sdk/losses.ts (none) -> 7777777777..',
      'code src/sdk/stage.ts 6666666666.. -> (none)',
      'code stages/noisy.ts aaaaaaaaaa.. -> bbbbbbbbbb..',
      'params.amount 0.5 -> 0.9',
      'params.opt.lr 0.1 -> 0.2',
      'input x: key cccccccccc.. -> content 3333333333..',
      'input y: (none) -> content 4444444444..',
      'file train 2222222222.. -> 5555555555..',
      'seed 1 -> 2',
      'backend wasm -> cpu',
    ]);
    expect(explainDiff(base, structuredClone(base))).toEqual([]);
    expect(explainDiff(base, { ...base, inputs: {} }, { ignoreInputs: true })).toEqual([]);
  });
});

describe('pipeline why', () => {
  it('explains a changed param and leaves cached stages at one line', async () => {
    await runIn(dir);
    const r = await why('--set', 'noise.amount=0.25');
    expect(r.status).toBe(0);
    expect(block(r.out, 'numbers')).toEqual([expect.stringMatching(/^numbers \(sequence\): cached [0-9a-f]{10}$/)]);
    expect(block(r.out, 'noise')).toEqual([
      expect.stringMatching(/^noise \(noisy\): would miss, key [0-9a-f]{10}, against the nearest cached entry [0-9a-f]{10} \(engine\/noise, .*\):$/),
      '  params.amount 0.5 -> 0.25',
    ]);
    expect(block(r.out, 'sum')).toEqual(['sum (total): runs after noise (its key needs their outputs)']);
    const only = await why('noise', '--set', 'noise.amount=0.25');
    expect(only.out.split('\n')[0]).toMatch(/^noise \(noisy\): would miss/);
    expect(only.out).not.toMatch(/numbers|raw-sum/);
    const bad = await why('nope');
    expect(bad.status).toBe(2);
    expect(bad.err).toMatch(/no stage "nope" in engine \(stages: numbers, noise, sum, raw-sum\)/);
  });

  it('compares with the nearest entry, not the newest; a tie goes to the newest', async () => {
    await runIn(dir, { set: ['noise.amount=0.25'] });
    await sleep(5);
    await runIn(dir); // newest noise entry: amount 0.5
    const near = await why('--set', 'noise.amount=0.25', '--set', 'noise.steps=6');
    expect(block(near.out, 'noise').slice(1)).toEqual(['  params.steps 5 -> 6']);
    await sleep(5);
    await runIn(dir, { set: ['noise.amount=0.1'] }); // now 0.1, 0.5 and 0.25 each differ in one part
    const tie = await why('--set', 'noise.amount=0.3');
    expect(block(tie.out, 'noise').slice(1)).toEqual(['  params.amount 0.1 -> 0.3']);
  });

  it('names a changed input by the cache keys of the upstream entries', async () => {
    const a = await runIn(dir);
    const b = await runIn(dir, { set: ['numbers.n=20'] });
    await withCache(dir, (c) => c.index.delete(b.outcomes.get('noise')!.key!));
    const r = await why('--set', 'numbers.n=20');
    const short = (id: string, run: typeof a) => run.outcomes.get(id)!.key!.slice(0, 10);
    expect(block(r.out, 'noise')[1]).toBe(`  input x: key ${short('numbers', a)}.. -> key ${short('numbers', b)}..`);
  });

  it('explains a new stage version, changed code, and a stage never computed', async () => {
    await runIn(dir);
    const noisy = registry.noisy;
    const changed = { ...registry, noisy: { ...noisy, version: 2 }, total: { ...registry.total, source: new URL('./helpers.ts', import.meta.url).href } };
    const { graph, cache, backend } = await prepare({ file: engineFile, registry: changed, cacheRoot: cacheDir });
    try {
      const rows = await planGraph(graph, cache, backend, new Set());
      const noise = rows.find((r) => r.id === 'noise')!;
      expect(noise).toMatchObject({ status: 'miss', reasons: ['stage version 1 -> 2'] });
      const raw = rows.find((r) => r.id === 'raw-sum')!;
      // Each file that changed is named: the new module and what it imports came in; the
      // stage's old module is imported by the new one too, so it is not named.
      expect(raw.reasons).toContainEqual(expect.stringMatching(/^code test\/cache-commands\/helpers\.ts \(none\) -> [0-9a-f]{10}\.\.$/));
      expect(raw.reasons.every((r) => r.startsWith('code ') && !r.includes('engine-stages'))).toBe(true);
      // plan and why print the same reasons.
      const plan = formatPlan(rows);
      for (const line of noise.reasons.concat(raw.reasons)) expect(plan).toContain(line);
      expect(formatWhy(rows)).toContain(`  ${raw.reasons[0]}`);
    } finally {
      await cache.close();
    }
    const fresh = await cli(['why', engineFile, '--cache', join(dir, 'empty')]);
    expect(block(fresh.out, 'numbers')[1]).toBe('  never computed');
  });

  it('a stage id with no entries is compared with the nearest entry of its type', async () => {
    const entries = await withCache(dir, async (c) => {
      await runIn(dir);
      return c.index.all();
    });
    const explainer = new Explainer(entries.map((e) => (e.stageId === 'raw-sum' ? { ...e, stageId: 'gone', lastRun: undefined } : e)));
    const sum = entries.find((e) => e.stageId === 'sum')!;
    const x = explainer.explain(['raw-sum'], { ...sum.parts, params: { fail: true } });
    expect(x.byType).toBe(true);
    expect(x.reasons[0]).toMatch(/^no entry for stage raw-sum; nearest total entry is [0-9a-f]{10}\.\. \((sum|gone) in engine\)$/);
  });

  it('explains a different backend', async () => {
    await runIn(dir);
    const r = await why('numbers', '--backend', 'cpu');
    // `wasm+openblas` where a BLAS does the matMuls.
    expect(block(r.out, 'numbers').slice(1)).toEqual([expect.stringMatching(/^ {2}backend wasm(\+[\w-]+)? -> cpu$/)]);
  });
});
