// A run's report.html and a sweep's sweep.html as a reader opens them: headless Chromium, no
// network. Every picture decodes, every plot has a size and marks, nothing logs an error or asks
// for a URL, the variants table sorts; a screenshot of each page is saved to look at
// (test-results/screenshots/).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline, type RunResult } from '../../src/runner/run.js';
import { registry } from '../helpers/builtin.js';
import { launch, open, rendered, screenshot } from './chromium.js';

const root = join(import.meta.dirname, '..', '..');
let browser: Browser;
let run: RunResult;
let sweep: RunResult;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-browser-'));
  const common = { registry, cacheRoot: join(dir, 'cache'), runsRoot: join(dir, 'runs'), jobs: 1 };
  run = await runPipeline({ file: join(root, 'experiments', 'smoke.yaml'), ...common });
  sweep = await runPipeline({ file: join(root, 'test', 'fixtures', 'sweep-smoke.yaml'), ...common });
  browser = await launch();
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

describe('report.html in Chromium', () => {
  it('shows every picture and plot, with no errors and no requests', async () => {
    expect(run.ok).toBe(true);
    const { page, errors, network } = await open(browser, run.report!);
    const { images, plots } = await rendered(page);
    // reconstruct, generate and features: one picture each.
    expect(images).toHaveLength(3);
    for (const img of images) {
      expect(img.src.startsWith('data:image/png;base64,')).toBe(true);
      expect(img.w).toBeGreaterThan(0);
      expect(img.h).toBeGreaterThan(0);
    }
    // A loss curve per training stage.
    expect(plots).toHaveLength(2);
    for (const p of plots) {
      expect(p.w).toBeGreaterThan(100);
      expect(p.h).toBeGreaterThan(100);
      expect(p.marks).toBeGreaterThan(10);
    }
    // biome-ignore lint/performance/useDomNodeTextContent: the text as rendered is what a reader sees
    const text = await page.innerText('body');
    for (const id of ['data', 'classifier', 'confident', 'inverse', 'reconstruct', 'generate', 'features']) expect(text).toContain(id);
    const shot = await screenshot(page, 'report.png');
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
    console.log(`screenshot: ${shot}`);
  });
});

describe('sweep.html in Chromium', () => {
  it('shows the variants table, the plots and every variant picture; the table sorts', async () => {
    expect(sweep.ok).toBe(true);
    const { page, errors, network } = await open(browser, sweep.report!);
    const { images, plots } = await rendered(page);
    // Four variants x three pictures.
    expect(images).toHaveLength(12);
    for (const img of images) expect(img.w * img.h).toBeGreaterThan(0);
    const metricPlots = await page.locator('figure.plot.metric').count();
    const lossPlots = await page.locator('figure.plot.loss').count();
    expect(lossPlots).toBe(2);
    expect(metricPlots).toBeGreaterThan(0);
    expect(plots).toHaveLength(metricPlots + lossPlots);
    for (const p of plots) expect(p.w * p.h * p.marks).toBeGreaterThan(0);

    // Sort by inverse.finalLoss: ascending, then descending, as numbers.
    const table = page.locator('table.sortable.variants');
    const headers = await table.locator('thead th').allInnerTexts();
    const col = headers.findIndex((h) => h.replace(/\s+/g, '').startsWith('inverse.finalLoss'));
    expect(col).toBeGreaterThan(0);
    const column = async () =>
      (await table.locator(`tbody tr td:nth-child(${col + 1})`).evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-sort'))))) as number[];
    const before = await column();
    await table.locator('thead th').nth(col).click();
    expect(await column()).toEqual([...before].sort((a, b) => a - b));
    await table.locator('thead th').nth(col).click();
    expect(await column()).toEqual([...before].sort((a, b) => b - a));

    // Each variant's name links to its own report.
    const links = await table.locator('tbody a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links.sort()).toEqual(['v1/report.html', 'v2/report.html', 'v3/report.html', 'v4/report.html']);
    const shot = await screenshot(page, 'sweep.png');
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
    console.log(`screenshot: ${shot}`);
  });
});
