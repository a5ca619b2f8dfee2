// `run --json`, `plan --json`, `why --json`: one JSON document on stdout and nothing else, with a
// versioned `format`, errors on stderr with the usual exit statuses.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PlanJson, RunJson, WhyJson } from '../../src/cli/json-view.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const smoke = join(root, 'experiments', 'smoke.yaml');
const STAGES = ['data', 'classifier', 'confident', 'inverse', 'reconstruct', 'generate', 'features'];
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pipeline-json-'));
});

function pipeline(...args: string[]) {
  const r = spawnSync('node', [cli, ...args, '--cache', join(dir, 'cache')], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The whole of stdout must be the document: JSON.parse fails on anything around it. */
function document<T>(stdout: string): T {
  expect(stdout.endsWith('}\n')).toBe(true);
  const doc = JSON.parse(stdout) as T;
  // Printed once, 2-space indented.
  expect(stdout).toBe(`${JSON.stringify(doc, null, 2)}\n`);
  return doc;
}

describe('run --json', () => {
  it('prints the run as mlpipe.run/1 and nothing else; a second run is all hits', () => {
    const runs = join(dir, 'runs');
    const r = pipeline('run', smoke, '--json', '--runs', runs);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const doc = document<RunJson>(r.stdout);
    expect(doc.format).toBe('mlpipe.run/1');
    // `wasm+openblas` where a BLAS does the matMuls.
    expect(doc).toMatchObject({
      pipeline: 'smoke',
      status: 'ok',
      backend: expect.stringMatching(/^wasm(\+[\w-]+)?$/),
      cacheRoot: join(dir, 'cache'),
      computed: 7,
    });
    expect(doc.runDir.startsWith(join(runs, 'smoke'))).toBe(true);
    expect(existsSync(doc.runDir)).toBe(true);
    expect(doc.runId).toBe(JSON.parse(readFileSync(join(doc.runDir, 'manifest.json'), 'utf8')).runId);
    expect(doc.report).toBe(join(doc.runDir, 'report.html'));
    expect(existsSync(doc.report!)).toBe(true);
    expect(doc.sweep).toBeUndefined();
    expect(doc.stages.map((s) => s.id)).toEqual(STAGES);
    for (const s of doc.stages) {
      expect(Object.keys(s).sort()).toEqual(['computeMs', 'error', 'id', 'key', 'metrics', 'ms', 'pictures', 'status', 'storeMs', 'type']);
      expect(s.status).toBe('miss');
      expect(s.key).toMatch(/^[0-9a-f]{64}$/);
      expect(s.error).toBeNull();
      for (const p of s.pictures) expect(existsSync(join(doc.runDir, p))).toBe(true);
    }
    const classifier = doc.stages.find((s) => s.id === 'classifier')!;
    expect(classifier.type).toBe('train-classifier');
    expect(classifier.metrics).toHaveProperty('accuracy');
    expect(doc.stages.find((s) => s.id === 'reconstruct')!.pictures).toEqual(['reconstruct/reconstruct.png']);

    const again = pipeline('run', smoke, '--json', '--runs', runs);
    expect(again.status).toBe(0);
    const second = document<RunJson>(again.stdout);
    expect(second.computed).toBe(0);
    expect(second.stages.map((s) => s.status)).toEqual(Array(7).fill('hit'));
    expect(second.stages.map((s) => s.key)).toEqual(doc.stages.map((s) => s.key));
    expect(second.runDir).not.toBe(doc.runDir);
    // A hit's pictures are written from the cache into the new run folder too.
    for (const s of second.stages) for (const p of s.pictures) expect(existsSync(join(second.runDir, p))).toBe(true);
  });

  it('plan --json and why --json name the changed param', () => {
    const plan = pipeline('plan', smoke, '--json', '--set', 'confident.threshold=0.6');
    expect(plan.status).toBe(0);
    const p = document<PlanJson>(plan.stdout);
    expect(p).toMatchObject({ format: 'mlpipe.plan/1', pipeline: 'smoke', backend: expect.stringMatching(/^wasm(\+[\w-]+)?$/), cacheRoot: join(dir, 'cache') });
    expect(p.variants).toBeUndefined();
    expect(p.stages.map((s) => s.id)).toEqual(STAGES);
    const byId = Object.fromEntries(p.stages.map((s) => [s.id, s]));
    expect(byId.data).toMatchObject({ status: 'hit', reasons: [] });
    expect(byId.confident.status).toBe('miss');
    expect(byId.confident.key).toMatch(/^[0-9a-f]{64}$/);
    expect(byId.confident.reasons).toContain('params.threshold 0.5 -> 0.6');
    expect(byId.confident.nearest).toMatchObject({ pipeline: 'smoke', stageId: 'confident' });
    expect(byId.confident.nearest!.key).toMatch(/^[0-9a-f]{64}$/);
    expect(Number.isNaN(Date.parse(byId.confident.nearest!.created))).toBe(false);
    expect(byId.inverse).toMatchObject({ status: 'pending', key: null });
    const cached = p.stages.filter((s) => s.status === 'hit').length;
    expect(p.counts).toEqual({ total: 7, cached, toCompute: 7 - cached });

    const why = pipeline('why', smoke, '--json', '--set', 'confident.threshold=0.6');
    expect(why.status).toBe(0);
    const w = document<WhyJson>(why.stdout);
    expect(w).toMatchObject({ format: 'mlpipe.why/1', pipeline: 'smoke', stage: null });
    expect(w.stages.find((s) => s.id === 'confident')!.reasons).toContain('params.threshold 0.5 -> 0.6');

    const one = pipeline('why', smoke, 'confident', '--json', '--set', 'confident.threshold=0.6');
    expect(one.status).toBe(0);
    const o = document<WhyJson>(one.stdout);
    expect(o.stage).toBe('confident');
    expect(o.stages.map((s) => s.id)).toEqual(['confident']);
    expect(o.counts).toEqual({ total: 1, cached: 0, toCompute: 1 });

    const forced = document<PlanJson>(pipeline('plan', smoke, '--json', '--force', 'generate').stdout);
    expect(forced.stages.find((s) => s.id === 'generate')).toMatchObject({ status: 'forced', reasons: ['--force'] });
  });

  it('a sweep has sweep.variants and stage instance ids', () => {
    const r = pipeline('run', join(root, 'test', 'fixtures', 'sweep-smoke.yaml'), '--json', '--jobs', '1', '--runs', join(dir, 'runs'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const doc = document<RunJson>(r.stdout);
    expect(doc).toMatchObject({ format: 'mlpipe.run/1', pipeline: 'sweep-smoke', status: 'ok' });
    const sweep = doc.sweep!;
    expect(sweep.id).toBe(doc.runId);
    expect(doc.report).toBe(join(doc.runDir, 'sweep.html'));
    expect(existsSync(doc.report!)).toBe(true);
    expect(sweep.variants).toHaveLength(4);
    for (const v of sweep.variants) {
      expect(Object.keys(v.values).sort()).toEqual(['confident.threshold', 'inverse.steps']);
      expect(v.status).toBe('ok');
      expect(existsSync(join(v.runDir, 'manifest.json'))).toBe(true);
      expect(v.metrics).toHaveProperty('classifier.accuracy');
    }
    const ids = doc.stages.map((s) => s.id);
    expect(ids).toContain('data');
    expect(ids.some((id) => id.includes('@'))).toBe(true);
    for (const s of doc.stages) for (const p of s.pictures) expect(existsSync(join(doc.runDir, p))).toBe(true);
    expect(doc.stages.some((s) => s.pictures.length > 0)).toBe(true);
  });
});

describe('run --json with worker processes', () => {
  it('keeps what a stage prints in a worker off stdout', () => {
    const project = mkdtempSync(join(tmpdir(), 'pipeline-json-noisy-'));
    // A user's stage that talks: console.log and a raw stdout write, both from the worker.
    writeFileSync(
      join(project, 'noisy.mjs'),
      [
        "import { defineStage, tf } from 'mlpipe/sdk';",
        'export default defineStage({',
        "  type: 'noisy', version: 1, description: 'prints while it runs', kernels: false,",
        "  params: { type: 'object', properties: { k: { type: 'integer', default: 0 } } },",
        "  inputs: {}, outputs: { out: 'scalar' },",
        '  async run(ctx) {',
        "    console.log('NOISY console.log', ctx.params.k);",
        "    process.stdout.write('NOISY stdout.write\\n');",
        '    return { outputs: { out: { k: tf.scalar(ctx.params.k) } }, metrics: { k: ctx.params.k } };',
        '  },',
        '});',
        '',
      ].join('\n'),
    );
    const file = join(project, 'noisy.yaml');
    writeFileSync(file, ['name: noisy', 'stages:', '  talk: { uses: ./noisy.mjs }', 'sweep:', '  talk.k: [1, 2, 3]', ''].join('\n'));
    const r = pipeline('run', file, '--json', '--jobs', '2', '--runs', join(project, 'runs'));
    expect(r.status).toBe(0);
    const doc = document<RunJson>(r.stdout);
    expect(doc.sweep?.variants.map((v) => v.metrics['talk.k'])).toEqual([1, 2, 3]);
    // Said, on stderr: nothing is lost, it just is not in the document's way.
    expect(r.stderr.match(/NOISY console\.log/g)).toHaveLength(3);
    expect(r.stderr.match(/NOISY stdout\.write/g)).toHaveLength(3);
  });
});

describe('--json and bad input', () => {
  it('exits 2 with the errors on stderr and nothing on stdout', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, ['name: bad', 'stages:', '  data: { uses: load, with: { train: 0 } }', ''].join('\n'));
    for (const command of ['run', 'plan', 'why']) {
      const r = pipeline(command, file, '--json');
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/bad\.yaml:3:\d+: train must be >= 1, got 0/);
    }
    const unknown = pipeline('why', smoke, 'nope', '--json');
    expect(unknown.status).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/no stage "nope"/);
  });

  it('documents the shapes in --help', () => {
    for (const [command, format] of [
      ['run', 'mlpipe.run/1'],
      ['sweep', 'mlpipe.run/1'],
      ['plan', 'mlpipe.plan/1'],
      ['why', 'mlpipe.why/1'],
    ]) {
      const r = spawnSync('node', [cli, command, '--help'], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('--json');
      expect(r.stdout).toContain(`"format": "${format}"`);
    }
  });
});
