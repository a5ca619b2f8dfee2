// `pipeline runs ls|show|compare` and `pipeline report` end to end, with the built CLI, on real run
// folders: the smoke pipeline twice (the second run all cached) and the smoke sweep (4 variants,
// confident.threshold x inverse.steps), all in one temp cache and runs root.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { num } from '../../src/cli/format.js';
import type { RunManifest } from '../../src/runner/run-record.js';
import { runPipeline } from '../../src/runner/run.js';
import { registry } from '../helpers/builtin.js';

const root = join(import.meta.dirname, '..', '..');
const main = join(root, 'dist', 'src', 'cli', 'main.js');

let dir: string;
let runs: string;
let first: string;
let second: string;
let sweep: string;
const manifestOf = (id: string): RunManifest =>
  JSON.parse(readFileSync(join(runs, ...(id.includes('/') ? ['sweep-smoke'] : ['smoke']), ...id.split('/'), 'manifest.json'), 'utf8'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pipeline-runs-cli-'));
  runs = join(dir, 'runs');
  const opts = { registry, cacheRoot: join(dir, 'cache'), runsRoot: runs, jobs: 1 };
  first = (await runPipeline({ file: join(root, 'experiments', 'smoke.yaml'), ...opts })).manifest.runId;
  second = (await runPipeline({ file: join(root, 'experiments', 'smoke.yaml'), ...opts })).manifest.runId;
  sweep = basename((await runPipeline({ file: join(root, 'test', 'fixtures', 'sweep-smoke.yaml'), ...opts })).runDir);
}, 240_000);

function pipeline(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, [main, ...args, '--runs', runs], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', PIPELINE_OPENER: undefined, ...env },
    timeout: 60_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('runs ls', () => {
  it('lists the runs newest first with computed and cached counts and headline metrics; a sweep then its variants', () => {
    const r = pipeline(['runs', 'ls']);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^ID\s+PIPELINE\s+STARTED\s+STATUS\s+COMPUTED\s+CACHED\s+METRICS$/);
    expect(lines[1]).toMatch(new RegExp(`^${sweep}\\s+sweep-smoke\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+ok\\s+\\d+\\s+\\d+\\s+sweep of 4 variants`));
    for (const [i, v] of ['v1', 'v2', 'v3', 'v4'].entries()) expect(lines[2 + i]).toMatch(new RegExp(`^  ${sweep}/${v}\\s+ok\\s+\\d+\\s+\\d+\\s+confident\\.`));
    const accuracy = num((manifestOf(first).stages.classifier.metrics as { accuracy: number }).accuracy);
    expect(lines[6]).toMatch(new RegExp(`^${second}\\s+smoke\\s+\\S+ \\S+\\s+ok\\s+0\\s+7\\s+.*classifier.accuracy ${accuracy}`));
    expect(lines[7]).toMatch(new RegExp(`^${first}\\s+smoke\\s+\\S+ \\S+\\s+ok\\s+7\\s+0\\s+.*classifier.accuracy ${accuracy}`));
    expect(lines[8]).toBe(`2 runs, 1 sweep (4 variants) under runs/`);
  });

  it('--pipeline keeps one pipeline; --json is the documented document and nothing else', () => {
    const smoke = pipeline(['runs', 'ls', '--pipeline', 'smoke']).out;
    expect(smoke).toContain(first);
    expect(smoke).not.toContain(sweep);
    const r = pipeline(['runs', 'ls', '--json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.format).toBe('mlpipe.runs/1');
    expect(doc.runsRoot).toBe(runs);
    expect(doc.runs.map((x: { id: string }) => x.id)).toEqual([sweep, second, first]);
    const [s, b, a] = doc.runs;
    expect(a).toMatchObject({
      kind: 'run',
      pipeline: 'smoke',
      status: 'ok',
      counts: { computed: 7, cached: 0, failed: 0 },
      dir: join(runs, 'smoke', first),
      error: null,
    });
    expect(b.counts).toEqual({ computed: 0, cached: 7, failed: 0 });
    expect(a.metrics['classifier.accuracy']).toBe((manifestOf(first).stages.classifier.metrics as { accuracy: number }).accuracy);
    expect(s).toMatchObject({ kind: 'sweep', pipeline: 'sweep-smoke', status: 'ok' });
    expect(s.variants.map((v: { id: string }) => v.id)).toEqual(['v1', 'v2', 'v3', 'v4'].map((v) => `${sweep}/${v}`));
    expect(pipeline(['runs', 'ls', '--help']).out).toContain('mlpipe.runs/1');
  });

  it('no runs: says so, exit 0', () => {
    const r = spawnSync(process.execPath, [main, 'runs', 'ls', '--runs', join(dir, 'none')], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^no runs under none\//);
  });
});

describe('runs show and compare', () => {
  it('show: every stage with its status, key and metrics; a unique prefix of the id will do', () => {
    const m = manifestOf(second);
    const r = pipeline(['runs', 'show', second.slice(0, -3)]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toContain(`run ${second}`);
    expect(r.out).toMatch(new RegExp(`classifier\\s+train-classifier\\s+cached\\s+${m.stages.classifier.key!.slice(0, 10)}`));
    expect(r.out).toMatch(/metrics\s+accuracy\s+[\d.]+\n\s+loss\s+\d+ values: first/);
    expect(r.out).toMatch(/pictures\s+\S+reconstruct\.png/);
    const s = pipeline(['runs', 'show', sweep]);
    expect(s.status).toBe(0);
    expect(s.out).toMatch(/variant\s+confident\.threshold\s+inverse\.steps/);
    expect(s.out).toContain(`${sweep}/v4`);
  });

  it('compare: exactly the params that differ, and both runs’ metrics with the difference', () => {
    const r = pipeline(['runs', 'compare', `${sweep}/v1`, `${sweep}/v3`]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const lines = r.out.split('\n');
    const at = lines.findIndex((l) => l.startsWith('params that differ'));
    expect(lines.slice(at + 1, lines.indexOf('metrics:'))).toEqual(['  PARAM                v1   v3', '  confident.threshold  0.4  0.6']);
    const kept = (id: string) => num((manifestOf(id).stages.confident.metrics as { kept: number }).kept);
    expect(r.out).toMatch(new RegExp(`confident\\.kept\\s+${kept(`${sweep}/v1`)}\\s+${kept(`${sweep}/v3`)}\\s+-\\d+`));
    const doc = JSON.parse(pipeline(['runs', 'compare', `${sweep}/v1`, `${sweep}/v3`, '--json']).out);
    expect(doc.format).toBe('mlpipe.compare/1');
    expect(doc.params.differing).toEqual([{ path: 'confident.threshold', values: [0.4, 0.6] }]);
    // A sweep id stands for all its variants.
    const all = JSON.parse(pipeline(['runs', 'compare', sweep, '--json']).out);
    expect(all.runs.map((x: { id: string }) => x.id)).toEqual(['v1', 'v2', 'v3', 'v4'].map((v) => `${sweep}/${v}`));
    expect(all.params.differing.map((d: { path: string }) => d.path)).toEqual(['confident.threshold', 'inverse.steps']);
  });

  it('an unknown id is bad input (exit 2) naming the closest; so is an ambiguous prefix', () => {
    const r = pipeline(['runs', 'show', `${first.slice(0, -1)}x`]);
    expect(r.status).toBe(2);
    expect(r.err).toContain(`no run ${first.slice(0, -1)}x under`);
    expect(r.err).toContain(`closest: ${first}`);
    const a = pipeline(['runs', 'compare', first.slice(0, 4), second]);
    expect(a.status).toBe(2);
    expect(a.err).toMatch(/is ambiguous: 3 runs start with it/);
  });

  it('cache show still takes SWEEP-ID/VARIANT/STAGE, and names the variants of a bare sweep id', () => {
    const cache = ['--cache', join(dir, 'cache')];
    const ok = pipeline(['cache', 'show', `${sweep}/v2/confident`, ...cache]);
    expect(ok.err).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.out).toContain(manifestOf(`${sweep}/v2`).stages.confident.key);
    const bare = pipeline(['cache', 'show', `${sweep}/confident`, ...cache]);
    expect(bare.status).toBe(2);
    expect(bare.err).toContain(`run ${sweep} is a sweep: name a variant, as in ${sweep}/v1/confident (variants: v1, v2, v3, v4)`);
  });
});

describe('report', () => {
  /** Runs made before report pages existed have none: give this one a page of its own. */
  const page = (folder: string, name: string) => {
    const path = join(folder, name);
    if (!existsSync(path)) writeFileSync(path, '<!doctype html><title>report</title>');
    return path;
  };

  it("prints the path of the run's report.html, a sweep's sweep.html", () => {
    const path = page(join(runs, 'smoke', first), 'report.html');
    const r = pipeline(['report', first]);
    expect(r).toMatchObject({ status: 0, out: `${path}\n`, err: '' });
    const s = page(join(runs, 'sweep-smoke', sweep), 'sweep.html');
    expect(pipeline(['report', sweep]).out).toBe(`${s}\n`);
    expect(pipeline(['report', `${sweep}/v2`]).out).toBe(`${join(runs, 'sweep-smoke', sweep, 'v2', 'report.html')}\n`);
  });

  it('--open hands the path to the opener; no opener on PATH: the path still, a note, exit 1', async () => {
    const path = page(join(runs, 'smoke', first), 'report.html');
    const record = join(dir, 'opened.txt');
    const opener = join(dir, 'fake-opener');
    writeFileSync(opener, `#!/bin/sh\nprintf '%s' "$1" > '${record}'\n`);
    chmodSync(opener, 0o755);
    const r = pipeline(['report', first, '--open'], { PIPELINE_OPENER: opener });
    expect(r).toMatchObject({ status: 0, out: `${path}\n`, err: '' });
    // Detached: it may finish after the CLI has.
    for (let i = 0; i < 100 && !existsSync(record); i++) await new Promise((done) => setTimeout(done, 50));
    expect(readFileSync(record, 'utf8')).toBe(path);
    const none = pipeline(['report', first, '--open'], { PATH: join(dir, 'empty-path') });
    expect(none.status).toBe(1);
    expect(none.out).toBe(`${path}\n`);
    expect(none.err).toMatch(/no opener found \((xdg-open|open|cmd\.exe) is not on PATH\)/);
  });

  it('a run without a report page: says so, exit 1', () => {
    rmSync(join(runs, 'smoke', second, 'report.html'), { force: true });
    const r = pipeline(['report', second]);
    expect(r.status).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(`${join(runs, 'smoke', second, 'report.html')} is missing: runs made before reports existed have none`);
  });
});
