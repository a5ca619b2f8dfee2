// A sweep of many variants: sweep.html keeps every variant in its table and metric plots but
// embeds the pictures and loss curves of the first SWEEP_PAGE_VARIANTS only, and says so.
import { describe, expect, it } from 'vitest';
import { renderSweepReport, SWEEP_PAGE_VARIANTS } from '../../src/report/sweep-report.js';
import type { ReportRun } from '../../src/report/types.js';
import { encodePng } from '../../src/render/png.js';
import { lineVertices, plotsOf, pngsOf } from './helpers.js';

function variantRun(i: number): ReportRun {
  const png = encodePng({ width: 2, height: 2, pixels: new Uint8Array([0, 64, 128, 255]) });
  return {
    pipeline: 'big',
    runId: `s/v${i}`,
    status: 'ok',
    started: '2026-12-01T00:00:00.000Z',
    finished: '2026-12-01T00:00:01.000Z',
    backend: 'wasm',
    stages: [
      {
        id: 'train',
        type: 't',
        status: 'miss',
        ms: 1,
        params: { lr: i },
        defaults: {},
        // Curves differ per variant, so none merges with another.
        metrics: { loss: [10 + i, 5 + i], lossStep: [1, 2], final: 5 + i },
        pictures: [{ name: 'p', png, width: 2, height: 2 }],
      },
    ],
  };
}

describe('sweep.html of a large sweep', () => {
  it('lists every variant, draws the first ones pictures and curves, and says so', async () => {
    const n = SWEEP_PAGE_VARIANTS + 10;
    const html = await renderSweepReport({
      pipeline: 'big',
      sweepId: 's',
      status: 'ok',
      started: '2026-12-01T00:00:00.000Z',
      finished: '2026-12-01T00:00:09.000Z',
      backend: 'wasm',
      variants: Array.from({ length: n }, (_, k) => ({
        id: `v${k + 1}`,
        values: { 'train.lr': k + 1 },
        status: 'ok',
        metrics: { 'train.final': 6 + k },
        href: `v${k + 1}/report.html`,
        run: variantRun(k + 1),
      })),
    });
    expect(html.match(/<tr data-variant=/g)).toHaveLength(n + SWEEP_PAGE_VARIANTS);
    expect(pngsOf(html)).toHaveLength(SWEEP_PAGE_VARIANTS);
    const loss = plotsOf(html).filter((p) => p.kind === 'loss');
    expect(loss).toHaveLength(1);
    expect(lineVertices(loss[0].svg)).toHaveLength(SWEEP_PAGE_VARIANTS);
    expect(html).toContain(`Pictures of the first ${SWEEP_PAGE_VARIANTS} of ${n} variants`);
    expect(html).toContain(`Curves of the first ${SWEEP_PAGE_VARIANTS} of ${n} variants`);
  });
});
