// What `pipeline run` prints: plain lines when not a TTY (a failing sweep variant, line by line),
// the end-of-run summary, and the plain-line fallback on a zero-width or narrow terminal.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rendererFor } from '../../src/cli/listr-display.js';
import { formatSweepTable, shown } from '../../src/cli/run-view.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const sweepSmoke = join(root, 'test', 'fixtures', 'sweep-smoke.yaml');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pipeline-terminal-'));
});

function run(...args: string[]) {
  const r = spawnSync('node', [cli, 'run', ...args, '--jobs', '1', '--cache', join(dir, 'C'), '--runs', join(dir, 'R')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const split = (s: string) => s.split('\n').filter((l) => l !== '');
  return { status: r.status, out: split(r.stdout), err: split(r.stderr) };
}

describe('non-TTY output of a sweep with failing variants', () => {
  // threshold 0.999: the filter keeps no sample, so train-inverse fails in v2 and v4.
  const r = () => run(sweepSmoke, '--sweep', 'confident.threshold=0.4,0.999');
  let res: ReturnType<typeof r>;
  beforeAll(() => {
    res = r();
  }, 120_000);

  it('exits 1 and shows the failed variants, stages and skips once each', () => {
    expect(res.status).toBe(1);
    const all = [...res.out, ...res.err];
    for (const v of ['v2', 'v4']) {
      const inv = `inverse@${v}`;
      expect(all).toContain(`✖ ${inv} (train-inverse)  failed: train-inverse: the confidence filter kept no samples; lower its threshold`);
      expect(all.filter((l) => l.startsWith(`✖ ${v}  `))).toEqual([`✖ ${v}  confident.threshold=0.999 inverse.steps=${v === 'v2' ? 10 : 20}  failed: ${inv}`]);
      for (const dep of ['reconstruct', 'generate', 'features']) {
        const lines = all.filter((l) => l.includes(`${dep}@${v}`));
        expect(lines).toEqual([`↓ ${dep}@${v} (${dep})  skipped: input stage "${inv}" failed`]);
      }
    }
    for (const v of ['v1', 'v3']) expect(all.filter((l) => l.startsWith(`✔ ${v}  `))).toHaveLength(1);
    expect(all.some((l) => /^✔ v[24] /.test(l))).toBe(false);
    // No row says running: nothing is printed before it has a state.
    expect(all.filter((l) => l.startsWith('❯'))).toEqual([]);
    expect(all.some((l) => / {2}(running|waiting)\b/.test(l))).toBe(false);
    // Nothing twice (the summary's "stage ... failed" lines are worded differently).
    const dupes = all.filter((l, i) => all.indexOf(l) !== i);
    expect(dupes).toEqual([]);
    expect(res.out[0]).toMatch(/^pipeline sweep-smoke: sweep of 4 variants/);
    expect(res.out.at(-1)).toMatch(/^sweep folder: /);
    expect(res.out.at(-2)).toMatch(/^report: R\/sweep-smoke\/[^/]+\/sweep\.html$/);
  });

  it('keeps constant metrics in the table, marked', () => {
    const header = res.out.find((l) => l.startsWith('variant  '))!;
    expect(header.split(/\s+/)).toEqual(expect.arrayContaining(['classifier.accuracy=', 'classifier.finalLoss=', 'confident.threshold', 'confident.kept']));
    expect(res.out).toContain('= same in every variant');
    expect(res.out).toContain("pictures (in each variant's folder): reconstruct/reconstruct.png  generate/generate.png  features/features.png");
  });
});

describe('end of a run', () => {
  it('prints each stage headline metrics, the pictures and the report, then the run folder last', () => {
    const r = run(join(root, 'experiments', 'smoke.yaml'));
    expect(r.status).toBe(0);
    expect(r.err).toEqual([]);
    const at = r.out.findIndex((l) => l.startsWith('data:'));
    const summary = r.out.slice(at);
    expect(summary).toHaveLength(10);
    expect(summary[0]).toMatch(/^data: {9}train 600 {2}test 200$/);
    expect(summary[1]).toMatch(/^classifier: {3}accuracy 0\.\d+ {2}finalLoss [\d.]+$/);
    expect(summary[2]).toMatch(/^confident: {4}kept \d+ {2}keptFraction [\d.]+$/);
    expect(summary[3]).toMatch(/^inverse: {6}finalLoss [\d.]+ {2}kept \d+$/);
    expect(summary[4]).toMatch(/^reconstruct: {2}l1PerPixel [\d.]+ {2}matchesTrueLabel \d+ {2}matchesPrediction \d+$/);
    expect(summary[5]).toMatch(/^generate: {5}minConfidence [\d.]+$/);
    expect(summary[6]).toMatch(/^features: {5}count 100$/);
    const runDir = /^run folder: (.+)$/.exec(summary[9])![1];
    const rel = runDir.slice(dir.length + 1);
    expect(summary[7]).toBe(
      `pictures: ${['reconstruct/reconstruct.png', 'generate/generate.png', 'features/features.png'].map((p) => `${rel}/${p}`).join('  ')}`,
    );
    expect(summary[8]).toBe(`report: ${rel}/report.html`);
    // Every row once; the whole summary under the rows.
    expect(r.out.filter((l, i) => r.out.indexOf(l) !== i)).toEqual([]);
  }, 120_000);

  it('marks constant sweep columns instead of dropping them', () => {
    const row = (variant: string, t: number, acc: number) => ({
      variant,
      values: { 'confident.threshold': t },
      status: 'ok' as const,
      runDir: '',
      metrics: { 'classifier.accuracy': acc, 'confident.kept': t * 10 },
    });
    expect(formatSweepTable([row('v1', 0.4, 0.95), row('v2', 0.6, 0.95)]).split('\n')).toEqual([
      'variant  confident.threshold  classifier.accuracy=  confident.kept  status',
      'v1       0.4                  0.95                  4               ok',
      'v2       0.6                  0.95                  6               ok',
      '= same in every variant',
    ]);
    expect(formatSweepTable([row('v1', 0.4, 0.95), row('v2', 0.6, 0.9)])).not.toContain('=');
  });

  it('shows paths relative to the working directory only when inside it', () => {
    expect(shown('/a/b/runs/x.png', '/a/b')).toBe('runs/x.png');
    expect(shown('/elsewhere/x.png', '/a/b')).toBe('/elsewhere/x.png');
  });
});

describe('narrow or zero-width terminal', () => {
  it('chooses plain lines unless a TTY is at least 40 columns wide', () => {
    expect(rendererFor(true, 120)).toBe('default');
    expect(rendererFor(true, 40)).toBe('default');
    expect(rendererFor(true, 39)).toBe('simple');
    expect(rendererFor(true, 0)).toBe('simple');
    expect(rendererFor(true, undefined)).toBe('simple');
    expect(rendererFor(false, 120)).toBe('simple');
  });

  it('prints plain lines on a TTY of zero columns', () => {
    const cmd = `stty cols 0; NO_COLOR=1 node ${cli} run ${join(root, 'experiments', 'smoke.yaml')} --cache ${join(dir, 'C')} --runs ${join(dir, 'R')}`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: dir, encoding: 'utf8' });
    if (r.error) return; // no `script` here: the choice itself is tested above
    expect(r.status).toBe(0);
    const lines = r.stdout.split(/\r?\n/).filter(Boolean);
    // Plain lines: one per stage, no cursor movement, no waiting rows.
    const ESC = String.fromCharCode(27);
    expect(r.stdout).not.toMatch(new RegExp(`${ESC}\\[(\\d*[AGK]|\\?25l)`));
    expect(lines.filter((l) => /^✔ \w+ \([a-z-]+\) {2}cached {2}[0-9a-f]{10}$/.test(l))).toHaveLength(7);
    expect(r.stdout).not.toMatch(/waiting|❯/);
    expect(lines.at(-1)).toMatch(/^run folder: /);
  }, 120_000);
});
