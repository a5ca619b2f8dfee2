// report.html of a run folder: one self-contained page with the pictures (decodable PNGs), a loss
// plot per training stage at its step numbers, the config with non-default params marked, and
// nothing from the network.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPipeline, type RunResult } from '../../src/runner/run.js';
import { registry } from '../helpers/builtin.js';
import { lineVertices, outsideReferences, plotsOf, pngsOf, pointCount } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');
let result: RunResult;
let html: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-report-'));
  result = await runPipeline({ file: join(root, 'experiments', 'smoke.yaml'), registry, cacheRoot: join(dir, 'cache'), runsRoot: join(dir, 'runs'), jobs: 1 });
  html = readFileSync(join(result.runDir, 'report.html'), 'utf8');
}, 120_000);

/** The params table rows of a stage: param -> [marked, text]. */
function paramRows(stage: string): Record<string, { changed: boolean; text: string }> {
  const section = new RegExp(`<section class="stage" id="[^"]*" data-stage="${stage}">([\\s\\S]*?)</section>`).exec(html)![1];
  const rows = [...section.matchAll(/<tr class="(param[^"]*)" data-param="([^"]+)"><td>[\s\S]*?<\/td><td>([\s\S]*?)<\/td><\/tr>/g)];
  return Object.fromEntries(rows.map((m) => [m[2], { changed: m[1].includes('changed'), text: m[3].replace(/<[^>]+>/g, '') }]));
}

describe('report.html of a run', () => {
  it('is written beside manifest.json and returned as the run result report', () => {
    expect(result.ok).toBe(true);
    expect(result.report).toBe(join(result.runDir, 'report.html'));
    expect(existsSync(join(result.runDir, 'manifest.json'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(result.runDir, 'manifest.json'), 'utf8'));
    expect(manifest.reportError).toBeUndefined();
    expect(html.startsWith('<!doctype html>')).toBe(true);
    for (const text of ['smoke', result.manifest.runId, 'wasm', result.manifest.started, result.manifest.finished]) expect(html).toContain(text);
  });

  it('embeds every picture as a PNG that decodes to the picture written to the run folder', () => {
    const pngs = pngsOf(html);
    const files = Object.values(result.manifest.stages).flatMap((s) => s.pictures ?? []);
    expect(files).toEqual(['reconstruct/reconstruct.png', 'generate/generate.png', 'features/features.png']);
    expect(pngs).toHaveLength(files.length);
    files.forEach((f, i) => {
      const onDisk = pngjs.PNG.sync.read(readFileSync(join(result.runDir, f)));
      expect(pngs[i].width).toBeGreaterThan(0);
      expect([pngs[i].width, pngs[i].height]).toEqual([onDisk.width, onDisk.height]);
    });
    expect(html).toContain('Left grid: the first 16 test digits');
  });

  it("labels each generated digit with its class and the classifier's confidence", () => {
    const gen = result.manifest.stages.generate;
    const confidence = (gen.metrics as { confidence: number[] }).confidence;
    const labels = /<div class="labels"[^>]*>([\s\S]*?)<\/div>/.exec(html)![1];
    const cells = [...labels.matchAll(/<span[^>]*><b>(\d+)<\/b>([\d.]+)<\/span>/g)].map((m) => [Number(m[1]), m[2]]);
    expect(cells).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((c, i) => [c, confidence[i].toFixed(2)]));
  });

  it('plots the loss of both training stages at their step numbers, one point per logged loss', () => {
    const plots = plotsOf(html).filter((p) => p.kind === 'loss');
    expect(plots.map((p) => p.attrs.stage)).toEqual(['classifier', 'inverse']);
    // classifier: 60 steps, logEvery 20 -> steps 1, 21, 41, 60; inverse: 30 steps, every 10 -> 1, 11, 21, 30.
    for (const [i, stage] of ['classifier', 'inverse'].entries()) {
      const m = result.manifest.stages[stage].metrics as { loss: number[]; lossStep: number[] };
      expect(m.lossStep).toEqual(stage === 'classifier' ? [1, 21, 41, 60] : [1, 11, 21, 30]);
      expect(lineVertices(plots[i].svg)).toEqual([m.loss.length]);
      expect(pointCount(plots[i].svg)).toBe(m.loss.length);
      expect(plots[i].svg).toMatch(/aria-label="X-axis titled 'step'/);
    }
  });

  it('marks the params that differ from the stage default, with the default, and not the others', () => {
    const classifier = paramRows('classifier');
    expect(classifier.steps).toEqual({ changed: true, text: expect.stringMatching(/^60 default: 2000$/) });
    expect(classifier.batch.changed).toBe(true);
    expect(classifier.learningRate).toEqual({ changed: false, text: '0.01' });
    expect(classifier.hidden).toEqual({ changed: false, text: '[100, 100]' });
    expect(paramRows('confident').threshold).toEqual({ changed: true, text: '0.5 default: 0.8' });
    expect(paramRows('generate').classes.changed).toBe(false);
  });

  it('shows each stage with its status, short cache key (full in the title) and timings', () => {
    for (const [id, s] of Object.entries(result.manifest.stages)) {
      const row = new RegExp(`<tr data-stage="${id}">([\\s\\S]*?)</tr>`).exec(html)![1];
      expect(row).toContain(`>${s.status}</span>`);
      expect(row).toContain(`title="${s.key}">${s.key!.slice(0, 10)}<`);
      expect(row).toContain(`>${s.ms}<`);
      expect(row).toContain(`>${s.computeMs}<`);
    }
    expect(html).toMatch(/<tr data-metric="accuracy"><td><code>accuracy<\/code><\/td><td class="num">0\.\d+<\/td><\/tr>/);
  });

  it('loads nothing from the network, nor any file: no URL at all in the page', () => {
    expect(outsideReferences(html)).toEqual([]);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain(`http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;`);
  });

  it('is written for an all-hit run too', async () => {
    const again = await runPipeline({
      file: join(root, 'experiments', 'smoke.yaml'),
      registry,
      cacheRoot: join(result.runDir, '..', '..', '..', 'cache'),
      runsRoot: join(result.runDir, '..', '..'),
      jobs: 1,
    });
    expect(again.computed).toBe(0);
    const page = readFileSync(again.report!, 'utf8');
    expect(pngsOf(page)).toHaveLength(3);
    expect(page).toContain('status-hit');
  });
});
