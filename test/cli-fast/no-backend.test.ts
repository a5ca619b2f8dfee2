// Commands that compute nothing start no tensor backend: --help, --version, plan, why, cache
// ls/show, runs ls, report, stages, schema, and a run whose every stage is a cache hit. The probe
// (backend-probe.mjs) reads tfjs-core's engine as the process exits: which backends' modules were
// imported and which were started. A run with a miss starts the backend, and its keys are those
// of a run whose process had started the backend before anything else (the old order). A run of
// hits, like the other commands that compute nothing, does not even import tfjs-core (about
// 100 ms of loading): the stage definitions import their computation (and tfjs) only when they
// run, and the cache converts tensors (store/tensor-convert.ts) only when it saves or loads them.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline, type Ran, root, tempDir } from './helpers.js';

const smoke = join(root, 'experiments', 'smoke.yaml');

/** tfjs-core never imported: no engine made, its CommonJS bundle not loaded. */
function expectNoTfjs(r: Ran): void {
  expect(r.probe.tfjsImported).toBe(false);
  expect(r.probe.packages.filter((p) => p.startsWith('@tensorflow/'))).toEqual([]);
}

/** No backend's module imported, none started, none selected. */
function expectNoBackend(r: Ran): void {
  expect(r.probe.probe).toBe(true);
  expect(r.probe.factories).toEqual([]);
  expect(r.probe.started).toEqual([]);
  expect(r.probe.selected).toBeNull();
}

const keysOf = (r: Ran): Record<string, string> =>
  Object.fromEntries((JSON.parse(r.stdout) as { stages: { id: string; key: string }[] }).stages.map((s) => [s.id, s.key]));

let dir: string;
let cache: string;
let cold: Ran;
beforeAll(() => {
  dir = tempDir();
  cache = join(dir, 'cache');
  cold = pipeline(dir, ['run', smoke, '--cache', cache, '--json']);
}, 120_000);

describe('commands that compute nothing start no backend', () => {
  it('--help and --version load no tfjs at all', () => {
    for (const args of [['--help'], ['--version'], ['run', '--help'], ['cache', 'ls', '--help']]) {
      const r = pipeline(dir, args);
      expect(r.status).toBe(0);
      expectNoBackend(r);
      expect(r.probe.tfjsImported).toBe(false);
    }
  });

  it('a run whose stages are all cached starts none, and says it hit them all', () => {
    const r = pipeline(dir, ['run', smoke, '--cache', cache, '--json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { computed: number; backend: string; stages: { status: string }[] };
    expect(doc.computed).toBe(0);
    expect(doc.stages.map((s) => s.status)).toEqual(Array(7).fill('hit'));
    expect(doc.backend).toBe(JSON.parse(cold.stdout).backend);
    expect(keysOf(r)).toEqual(keysOf(cold));
    expectNoBackend(r);
    expectNoTfjs(r);
  });

  it('the text run too (listr2 display, report.html written)', () => {
    const r = pipeline(dir, ['run', smoke, '--cache', cache]);
    expect(r.status).toBe(0);
    expect(r.stdout.match(/ cached {2}[0-9a-f]{10}/g)).toHaveLength(7);
    expect(r.stdout).toMatch(/^report: .*report\.html$/m);
    expectNoBackend(r);
    expectNoTfjs(r);
  });

  it('plan, why, stages, schema, cache ls and show', () => {
    const runId = readdirSync(join(dir, 'runs', 'smoke'))[0];
    for (const args of [
      ['plan', smoke, '--cache', cache],
      ['plan', smoke, '--cache', cache, '--set', 'confident.threshold=0.45'],
      ['why', smoke, '--cache', cache, '--set', 'inverse.steps=31'],
      ['stages'],
      ['schema'],
      ['cache', 'ls', '--cache', cache],
      ['cache', 'show', `${runId}/classifier`, '--cache', cache],
    ]) {
      const r = pipeline(dir, args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expectNoBackend(r);
      expectNoTfjs(r);
    }
  });

  it('runs ls and report load no tfjs at all', () => {
    const runId = readdirSync(join(dir, 'runs', 'smoke'))[0];
    for (const args of [
      ['runs', 'ls'],
      ['runs', 'show', runId],
      ['report', runId],
    ]) {
      const r = pipeline(dir, args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expectNoBackend(r);
      expect(r.probe.tfjsImported).toBe(false);
    }
  });
});

describe('a run with a miss', () => {
  it('starts the backend, the one its keys name', () => {
    expect(cold.status).toBe(0);
    // the probe sees tfjs-core when it is loaded: the no-tfjs checks above can fail
    expect(cold.probe.tfjsImported).toBe(true);
    expect(cold.probe.packages).toContain('@tensorflow/tfjs-core');
    const doc = JSON.parse(cold.stdout) as { computed: number; backend: string };
    expect(doc.computed).toBe(7);
    expect(cold.probe.started).toEqual(['wasm']);
    expect(cold.probe.selected).toBe('wasm');
    expect(doc.backend.split('+')[0]).toBe('wasm');
  });

  it('computes the keys a run that started the backend first computes', () => {
    const other = tempDir();
    const first = pipeline(other, ['run', smoke, '--cache', join(other, 'cache'), '--json'], { startFirst: 'auto' });
    expect(first.status).toBe(0);
    expect(first.probe.started).toEqual(['wasm']);
    expect(JSON.parse(first.stdout).backend).toBe(JSON.parse(cold.stdout).backend);
    expect(keysOf(first)).toEqual(keysOf(cold));
  });

  it('with one stage forced, starts the backend and recomputes just that key', () => {
    const r = pipeline(dir, ['run', smoke, '--cache', cache, '--json', '--force', 'features']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).computed).toBe(1);
    expect(r.probe.started).toEqual(['wasm']);
    expect(keysOf(r)).toEqual(keysOf(cold));
  });
});

describe('a run of hits writes the report a fresh render makes', () => {
  /** report.html without what differs between runs: the run id, times, this run's stage times. */
  const normal = (r: Ran): string => {
    const doc = JSON.parse(r.stdout) as { runId: string; report: string };
    return readFileSync(doc.report, 'utf8')
      .replaceAll(doc.runId, 'RUN')
      .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'TIME')
      .replace(/\((\d+ ms|[\d.]+ s)\)/g, '(TOOK)')
      .replace(/<td class="num">\d+<\/td>/g, '<td class="num">N</td>');
  };

  it('plots and pictures taken from the report memo are those made anew', () => {
    rmSync(join(cache, 'report-memo'), { recursive: true, force: true });
    const fresh = pipeline(dir, ['run', smoke, '--cache', cache, '--json']);
    const kept = pipeline(dir, ['run', smoke, '--cache', cache, '--json']);
    expect(fresh.status).toBe(0);
    expect(kept.status).toBe(0);
    const [a, b] = [normal(fresh), normal(kept)];
    expect(a).toMatch(/<svg/);
    expect(a).toMatch(/data:image\/png;base64,/);
    expect(b).toBe(a);
    for (const picture of ['reconstruct/reconstruct.png', 'generate/generate.png', 'features/features.png']) {
      const bytes = (r: Ran) => readFileSync(join((JSON.parse(r.stdout) as { runDir: string }).runDir, picture));
      expect(bytes(kept).equals(bytes(fresh))).toBe(true);
    }
    expectNoBackend(fresh);
    expectNoBackend(kept);
  });
});
