// sweep.html of a sweep folder, and report.html of each variant: a row per variant linked to its
// report, a plot per (headline metric, swept param), the loss curves overlaid, every picture.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline, type RunResult } from '../../src/runner/run.js';
import { columns } from '../../src/runner/sweep-report.js';
import { registry } from '../helpers/builtin.js';
import { lineVertices, outsideReferences, plotsOf, pngsOf } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');
let result: RunResult;
let html: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-sweep-report-'));
  result = await runPipeline({
    file: join(root, 'test', 'fixtures', 'sweep-smoke.yaml'),
    registry,
    cacheRoot: join(dir, 'cache'),
    runsRoot: join(dir, 'runs'),
    jobs: 1,
  });
  html = readFileSync(join(result.runDir, 'sweep.html'), 'utf8');
}, 120_000);

describe('sweep.html', () => {
  it('is written beside sweep.json and sweep.csv, and each variant has its report.html', () => {
    expect(result.ok).toBe(true);
    expect(result.report).toBe(join(result.runDir, 'sweep.html'));
    for (const f of ['sweep.json', 'sweep.csv']) expect(existsSync(join(result.runDir, f))).toBe(true);
    expect(JSON.parse(readFileSync(join(result.runDir, 'sweep.json'), 'utf8')).reportError).toBeUndefined();
    for (const row of result.sweep!.rows) {
      const page = readFileSync(join(row.runDir, 'report.html'), 'utf8');
      const pngs = pngsOf(page);
      expect(pngs).toHaveLength(3);
      for (const p of pngs) expect(p.width * p.height).toBeGreaterThan(0);
      expect(plotsOf(page).map((p) => p.attrs.stage)).toEqual(['classifier', 'inverse']);
    }
  });

  it('has a sortable row per variant, linked to its report by a relative path', () => {
    expect(html).toContain('<table class="sortable variants">');
    const rows = [...html.matchAll(/<tr data-variant="([^"]+)"><td data-sort="[^"]*"><a href="([^"]+)">/g)];
    expect(rows.map((m) => m[1])).toEqual(['v1', 'v2', 'v3', 'v4']);
    for (const [, id, href] of rows) {
      expect(href).toBe(`${id}/report.html`);
      expect(existsSync(join(result.runDir, href))).toBe(true);
    }
    // Numbers sort as numbers: their cells carry the raw value.
    expect(html).toMatch(/<td class="num" data-sort="0\.4">0\.4<\/td>/);
  });

  it('plots every headline metric that varies against every swept param, and names the constant ones', () => {
    const { swept, metrics } = columns(result.sweep!.rows);
    expect(swept).toEqual(['confident.threshold', 'inverse.steps']);
    const constant = metrics.filter((m) => new Set(result.sweep!.rows.map((r) => r.metrics[m])).size === 1);
    const varying = metrics.filter((m) => !constant.includes(m));
    expect(varying).toEqual(expect.arrayContaining(['confident.kept', 'inverse.finalLoss', 'reconstruct.l1PerPixel']));
    const plots = plotsOf(html).filter((p) => p.kind === 'metric');
    expect(plots.map((p) => [p.attrs.metric, p.attrs.param])).toEqual(varying.flatMap((m) => swept.map((s) => [m, s])));
    for (const m of constant) expect(html).toContain(`<code>${m}</code>`);
    // inverse.steps is numeric: a line per value of the other param, through its variants' points.
    const loss = plots.find((p) => p.attrs.metric === 'inverse.finalLoss' && p.attrs.param === 'inverse.steps')!;
    expect(lineVertices(loss.svg)).toEqual([2, 2]);
  });

  it('overlays the loss curves of every variant, one plot per training stage', () => {
    const plots = plotsOf(html).filter((p) => p.kind === 'loss');
    expect(plots.map((p) => p.attrs.stage)).toEqual(['classifier', 'inverse']);
    // The classifier is shared: one curve, named by every variant; inverse: 10 steps log at 1 and
    // 10, 20 steps at 1, 11 and 20 (logEvery 10).
    expect(plots[0].attrs.series).toBe('1');
    expect(plots[0].svg).toContain('v1, v2, v3, v4');
    expect(plots[1].attrs.series).toBe('4');
    expect(lineVertices(plots[1].svg).sort()).toEqual([2, 2, 3, 3]);
  });

  it("shows every variant's pictures in a grid, a row per variant", () => {
    const grid = /<table class="pictures">([\s\S]*?)<\/table>/.exec(html)![1];
    const rows = [...grid.matchAll(/<tr data-variant="([^"]+)">([\s\S]*?)<\/tr>/g)];
    expect(rows.map((r) => r[1])).toEqual(['v1', 'v2', 'v3', 'v4']);
    for (const [, , row] of rows) expect(pngsOf(row)).toHaveLength(3);
    expect(grid).toContain('<th>reconstruct/reconstruct</th>');
  });

  it('reaches nothing outside the sweep folder', () => {
    expect(outsideReferences(html)).toEqual([]);
    expect(html).not.toMatch(/https?:\/\//);
  });
});
