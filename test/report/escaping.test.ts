// A hostile config cannot put markup into a report: params, metric names, error messages, variant
// values and stage ids come out as text, and the page's only script is its own.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderRunReport } from '../../src/report/run-report.js';
import { renderSweepReport } from '../../src/report/sweep-report.js';
import type { ReportRun } from '../../src/report/types.js';
import { encodePng } from '../../src/render/png.js';
import { runPipeline } from '../../src/runner/run.js';
import { registry } from '../helpers/builtin.js';
import { hostile } from './hostile-stage.js';
import { lineVertices, outsideReferences, plotsOf, pngsOf } from './helpers.js';

const scripts = (html: string) => (html.match(/<script/gi) ?? []).length;

describe('escaping', () => {
  it('shows a hostile param and error message as text in report.html of a failed run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-report-hostile-'));
    const file = join(dir, 'hostile.yaml');
    writeFileSync(
      file,
      [
        'name: hostile',
        'stages:',
        "  ok: { uses: hostile, with: { label: '<script>alert(1)</script>' } }",
        `  bad: { uses: hostile, with: { label: '" onmouseover="alert(2)', fail: true } }`,
        '',
      ].join('\n'),
    );
    const r = await runPipeline({ file, registry: { ...registry, hostile }, cacheRoot: join(dir, 'cache'), runsRoot: join(dir, 'runs'), jobs: 1 });
    expect(r.ok).toBe(false);
    const html = readFileSync(r.report!, 'utf8');
    expect(scripts(html)).toBe(1);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('" onmouseover="');
    expect(html).not.toContain('<i>m</i>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('failed on &lt;script&gt;alert(&quot;&quot; onmouseover=&quot;alert(2)&quot;)&lt;/script&gt; &amp; &#39;more&#39;');
    expect(html).toContain('&lt;i&gt;m&lt;/i&gt;');
    // The stage that ran still has its picture and its loss curve, at its lossStep.
    expect(pngsOf(html).map((p) => [p.width, p.height])).toEqual([[4, 1]]);
    const [plot] = plotsOf(html);
    expect(lineVertices(plot.svg)).toEqual([3]);
    expect(html).toMatch(/status-failed/);
    expect(outsideReferences(html)).toEqual([]);
  });

  it('escapes stage ids, picture names, variant values and metric names in both pages (SVG text included)', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const png = encodePng({ width: 2, height: 2, pixels: new Uint8Array([0, 255, 255, 0]) });
    const run: ReportRun = {
      pipeline: `p${evil}`,
      runId: 'r1',
      status: 'ok',
      started: '2026-01-01T00:00:00.000Z',
      finished: '2026-01-01T00:00:01.000Z',
      backend: 'wasm',
      stages: [
        {
          id: `s${evil}`,
          type: 't',
          status: 'miss',
          key: 'f'.repeat(64),
          ms: 1,
          params: { [`k${evil}`]: evil },
          defaults: { [`k${evil}`]: 'x' },
          metrics: { loss: [2, 1], [evil]: 3 },
          pictures: [{ name: evil, png, width: 2, height: 2 }],
          error: evil,
        },
      ],
    };
    const html = await renderRunReport(run);
    const sweep = await renderSweepReport({
      pipeline: evil,
      sweepId: 'x',
      status: 'ok',
      started: run.started,
      finished: run.finished,
      backend: 'wasm',
      variants: [1, 2].map((i) => ({
        id: `v${i}`,
        values: { [`s.${evil}`]: `${evil}${i}`, 's.n': i },
        status: 'ok',
        metrics: { [`s.${evil}`]: i },
        href: `v${i}/report.html`,
        run,
      })),
    });
    for (const page of [html, sweep]) {
      expect(page).not.toContain('<img src=x');
      expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(scripts(page)).toBe(1);
      expect(outsideReferences(page)).toEqual([]);
    }
    // vega escapes the text it writes into SVG: titles, labels, legends.
    const svgs = plotsOf(sweep).map((p) => p.svg);
    expect(svgs.length).toBeGreaterThan(0);
    for (const svg of svgs) expect(svg).not.toMatch(/<img|<script/i);
    expect(svgs.join('')).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
