// `cache ls` and `cache show` on a cache built by the engine fixture pipeline.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listEntries } from '../../src/runner/inspect.js';
import { cli, registry, runIn, tempDir, withCache } from './helpers.js';

let dir: string;
let cacheDir: string;
let first: Awaited<ReturnType<typeof runIn>>;
const key = (id: string) => first.outcomes.get(id)!.key!;

beforeAll(async () => {
  dir = tempDir();
  cacheDir = join(dir, 'cache');
  first = await runIn(dir);
  await runIn(dir, { set: ['noise.amount=0.25'] });
});

describe('cache ls', () => {
  it('lists every entry with its stage, non-default params, size and dates', async () => {
    const { out, status } = await cli(['cache', 'ls', '--cache', cacheDir]);
    expect(status).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^KEY\s+TYPE\s+STAGE\s+PIPELINE\s+PARAMS\s+SIZE\s+CREATED\s+LAST USED$/);
    // 4 entries from the first run, 2 more (noise, sum) from the second, and a footer.
    expect(lines).toHaveLength(1 + 6 + 1);
    expect(lines.at(-1)).toMatch(/^6 entries, [\d.]+ (B|KB) on disk$/);
    const numbers = lines.find((l) => l.startsWith(key('numbers').slice(0, 10)))!;
    expect(numbers).toMatch(/sequence\s+numbers\s+engine\s+n=16\s+\d+ B/); // n defaults to 8
    const changed = lines.filter((l) => / noisy /.test(l));
    expect(changed.map((l) => /amount=0\.25/.test(l)).sort()).toEqual([false, true]);
    // Columns line up: every row has its size column ending at the same place.
    const sizeEnd = lines[0].indexOf('SIZE') + 'SIZE'.length;
    for (const l of lines.slice(1, -1)) expect(l.slice(sizeEnd - 1, sizeEnd)).toMatch(/B/);
  });

  it('filters by stage type and pipeline, and prints JSON', async () => {
    const { out } = await cli(['cache', 'ls', '--stage', 'noisy', '--json', '--cache', cacheDir]);
    const json = JSON.parse(out);
    expect(json.entries).toHaveLength(2);
    expect(json.entries.every((e: { stageType: string }) => e.stageType === 'noisy')).toBe(true);
    expect(json.entries[0]).toMatchObject({ stageId: 'noise', pipeline: 'engine' });
    expect(json.entries.map((e: { params: object }) => e.params)).toContainEqual({ amount: 0.25 });
    const none = await cli(['cache', 'ls', '--pipeline', 'nope', '--cache', cacheDir]);
    expect(none.out).toBe('no cache entries');
  });

  it('records use: a hit moves lastUsed, and a lookup that says where records lastRun', async () => {
    const before = await withCache(dir, (c) => c.index.get(key('numbers')));
    await new Promise((r) => setTimeout(r, 5));
    await runIn(dir);
    const after = await withCache(dir, (c) => c.index.get(key('numbers')));
    expect(after!.created).toBe(before!.created);
    expect(after!.lastUsed > before!.lastUsed).toBe(true);
    await withCache(dir, (c) => c.lookup(key('raw-sum'), { pipeline: 'other', stageId: 'digits' }));
    const { rows } = await withCache(dir, (c) => listEntries(c, registry, { pipeline: 'other' }));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ key: key('raw-sum'), stageId: 'digits', pipeline: 'other' });
    // peek (plan, why) looks without using.
    const peeked = await withCache(dir, async (c) => {
      await c.peek(key('sum'));
      return c.index.get(key('sum'));
    });
    const again = await withCache(dir, (c) => c.index.get(key('sum')));
    expect(again!.lastUsed).toBe(peeked!.lastUsed);
  });

  it('a missing cache is a usage error, not a new empty cache', async () => {
    const r = await cli(['cache', 'ls', '--cache', join(dir, 'nowhere')]);
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/no cache at .*nowhere/);
  });
});

describe('cache show', () => {
  it('shows params, inputs with the entries they came from, tensor statistics, metrics and timings', async () => {
    const { out, status } = await cli(['cache', 'show', key('noise').slice(0, 8), '--json', '--cache', cacheDir]);
    expect(status).toBe(0);
    const d = JSON.parse(out);
    expect(d.entry.key).toBe(key('noise'));
    expect(d.inputs).toEqual([expect.objectContaining({ name: 'x', key: key('numbers'), stageId: 'numbers', stageType: 'sequence', output: 'values' })]);
    const numbers = JSON.parse((await cli(['cache', 'show', key('numbers'), '--json', '--cache', cacheDir])).out);
    // 0..15: the statistics are computed from the stored values.
    expect(numbers.outputs[0]).toMatchObject({ output: 'values', tensor: 'x', stats: { dtype: 'float32', shape: [16], min: 0, max: 15, mean: 7.5 } });
    expect(numbers.outputs[0].stats.std).toBeCloseTo(Math.sqrt((16 * 16 - 1) / 12), 5);
    expect(numbers.nonDefault).toEqual(['n']);
    const text = (await cli(['cache', 'show', key('sum'), '--cache', cacheDir])).out;
    expect(text).toContain(`key       ${key('sum')}`);
    expect(text).toMatch(/inputs\n\s+x\s+key [0-9a-f]{10}\s+noise\.values \(noisy\)/);
    expect(text).toMatch(/outputs\n\s+total\.sum\s+float32\s+\[\]\s+min -?[\d.]+/);
    expect(text).toMatch(/metrics\n\s+total\s+-?[\d.]+/);
    expect(text).toMatch(/pictures\n\s+strip\s+16x1/);
    expect(text).toMatch(/timings\s+compute \d+ ms, store \d+ ms/);
  });

  it('resolves RUN-ID/STAGE through the run folders', async () => {
    const { out, status } = await cli(['cache', 'show', `${first.manifest.runId}/sum`, '--runs', join(dir, 'runs'), '--json', '--cache', cacheDir]);
    expect(status).toBe(0);
    expect(JSON.parse(out).entry.key).toBe(key('sum'));
    const bad = await cli(['cache', 'show', `${first.manifest.runId}/nope`, '--runs', join(dir, 'runs'), '--cache', cacheDir]);
    expect(bad.status).toBe(2);
    expect(bad.err).toMatch(/has no stage "nope" \(stages: .*sum/);
  });

  it('an unknown or ambiguous key is a clear error with exit status 2', async () => {
    const unknown = await cli(['cache', 'show', 'ffffffffffff', '--cache', cacheDir]);
    const all = [...first.outcomes.values()].map((o) => o.key!);
    if (all.some((k) => k.startsWith('ffffffffffff'))) return; // astronomically unlikely
    expect(unknown.status).toBe(2);
    expect(unknown.err).toMatch(/no cache entry with key ffffffffffff/);
    // Enough entries that some first hex digit is shared (pigeonhole: more than 16 keys).
    for (const amount of [0.1, 0.2, 0.3, 0.4, 0.6, 0.7]) await runIn(dir, { set: [`noise.amount=${amount}`] });
    const { rows } = await withCache(dir, (c) => listEntries(c, registry));
    expect(rows.length).toBeGreaterThan(16);
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.key[0], (counts.get(r.key[0]) ?? 0) + 1);
    const [prefix, n] = [...counts].find(([, c]) => c > 1)!;
    const amb = await cli(['cache', 'show', prefix, '--cache', cacheDir]);
    expect(amb.status).toBe(2);
    expect(amb.err).toMatch(new RegExp(`key prefix ${prefix} is ambiguous: ${n} entries match`));
    expect(amb.err.split('\n').filter((l) => l.startsWith(`  ${prefix}`))).toHaveLength(n);
  });
});
