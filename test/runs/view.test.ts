// The text of `runs ls|show|compare` (src/cli/runs-view.ts) on hand-made run folders: what a
// person reads in a terminal, wide or narrow.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatCompare, formatRunList, formatRunShow, metricText } from '../../src/cli/runs-view.js';
import { diffConfigs, findRun, listRuns, type RunInfo } from '../../src/runner/runs.js';
import { manifest, tempRuns, writeRun, writeSweep } from './folders.js';

const A = '2026-01-01T10-00-00-000-aaaa';
const B = '2026-01-02T10-00-00-000-bbbb';
const S = '2026-01-03T10-00-00-000-cccc';

let root: string;
beforeAll(() => {
  root = join(tempRuns(), 'runs');
  writeRun(root, manifest('smoke', A, '2026-01-01T10:00:00.000Z', { accuracy: 0.9 }));
  writeRun(root, manifest('smoke', B, '2026-01-02T10:00:00.000Z', { accuracy: 0.95, statuses: ['hit', 'hit', 'failed'] }));
  writeSweep(root, 'sweep-smoke', S, '2026-01-03T10:00:00.000Z', [0.4, 0.6]);
});

describe('runs ls text', () => {
  it('one row per run, a sweep followed by its variants indented, failures counted', () => {
    const lines = formatRunList(listRuns(root)).split('\n');
    expect(lines[0]).toMatch(/^ID\s+PIPELINE\s+STARTED\s+STATUS\s+COMPUTED\s+CACHED\s+FAILED\s+METRICS$/);
    expect(lines[1]).toMatch(new RegExp(`^${S}\\s+sweep-smoke\\s+\\S+ \\S+\\s+ok\\s+4\\s+0\\s+sweep of 2 variants over confident.threshold$`));
    expect(lines[2]).toMatch(new RegExp(`^  ${S}/v1\\s+ok\\s+3\\s+0\\s+confident.kept 600`));
    expect(lines[3]).toMatch(new RegExp(`^  ${S}/v2\\s+ok\\s+1\\s+2\\s+confident.kept 400`));
    // A metric that differs between the runs of a pipeline comes before one that does not.
    expect(lines[4]).toMatch(new RegExp(`^${B}\\s+smoke\\s+.*failed\\s+0\\s+2\\s+1\\s+classifier.accuracy 0.95  data.train 600$`));
    expect(lines[5]).toMatch(new RegExp(`^${A}\\s+smoke\\s+.*ok\\s+3\\s+0\\s+classifier.accuracy 0.9  confident.kept 500  data.train 600$`));
    expect(lines[6]).toBe(`2 runs, 1 sweep (2 variants) under ${root}/`);
  });

  it('in a narrow terminal the metrics give way, and it says where to see them all', () => {
    const text = formatRunList(listRuns(root), { width: 130 });
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(130);
    expect(text).toContain('+2 more');
    expect(text).toContain('`pipeline runs show ID` shows all metrics');
  });

  it('a manifest that cannot be read is a row that says so, with its path; the rest are listed', () => {
    const other = join(tempRuns(), 'runs');
    writeRun(other, manifest('smoke', A, '2026-01-01T10:00:00.000Z'));
    const broken = join(writeRun(other, manifest('smoke', B, '2026-01-02T10:00:00.000Z')), 'manifest.json');
    writeFileSync(broken, '{"pipeline": "smo');
    const lines = formatRunList(listRuns(other)).split('\n');
    expect(lines[1]).toMatch(new RegExp(`^${B}\\s+smoke\\s+\\S+ \\d\\d:\\d\\d\\s+damaged\\s+${broken}: .*JSON`));
    expect(lines[2]).toMatch(new RegExp(`^${A}\\s+smoke\\s+.*ok\\s+3\\s+0\\s+data.train 600`));
  });

  it('no runs, or none of a pipeline: a sentence', () => {
    expect(formatRunList(listRuns(join(root, 'nowhere')))).toMatch(/^no runs under .*nowhere\/ \(`pipeline run FILE` makes one/);
    expect(formatRunList(listRuns(root, { pipeline: 'other' }), { pipeline: 'other' })).toBe(
      `no runs of pipeline other under ${root}/ (pipelines there: smoke, sweep-smoke)`,
    );
  });
});

describe('runs show and compare text', () => {
  it('show: every metric, a list summarised, the error of a failed stage, the missing report', () => {
    const text = formatRunShow(findRun(root, B) as RunInfo);
    expect(text).toMatch(/status\s+failed: 3 stages, 0 computed, 2 cached, 1 failed/);
    expect(text).toMatch(/classifier\s+train-classifier\s+cached\s+bbbbbbbbbb\s+20 ms/);
    expect(text).toMatch(/params\s+steps=60 hidden=\[100, 100\]/);
    expect(text).toMatch(/metrics\s+accuracy\s+0.95\n\s+loss\s+3 values: first 3, last 1.5, min 1.5, max 3/);
    expect(text).toMatch(/confident\s+filter-confident\s+failed\s+-\s+1 ms\n.*\n.*\n\s+error\s+asked to fail/);
    expect(text).toMatch(/report\s+.*report.html \(missing: the run was made before reports existed\)/);
    expect(metricText([1, 5, -2, 0.5])).toBe('4 values: first 1, last 0.5, min -2, max 5');
  });

  it('compare: only the params that differ, the metrics side by side with the difference', () => {
    const runs = [findRun(root, `${S}/v1`), findRun(root, `${S}/v2`)] as RunInfo[];
    const lines = formatCompare(runs, diffConfigs(runs.map((r) => r.manifest.config))).split('\n');
    expect(lines[0]).toBe(`2 variants of sweep ${S} (pipeline sweep-smoke): v1, v2`);
    expect(lines[1]).toMatch(/^params that differ \(\d+ equal, not shown\):$/);
    expect(lines.slice(2, 4)).toEqual(['  PARAM                v1   v2', '  confident.threshold  0.4  0.6']);
    expect(lines).toContain('metrics:');
    expect(lines.find((l) => l.includes('confident.kept'))).toMatch(/confident.kept\s+600\s+400\s+-200$/);
    expect(lines.find((l) => l.includes('METRIC'))).toMatch(/METRIC\s+v1\s+v2\s+v2-v1$/);
    // Runs that are not one sweep's variants: A, B, listed first.
    const two = [findRun(root, A), findRun(root, B)] as RunInfo[];
    const text = formatCompare(two, diffConfigs(two.map((r) => r.manifest.config)));
    expect(text).toMatch(new RegExp(`^2 runs:\\n  A  ${A}  smoke .*\\n  B  ${B}  smoke `));
    expect(text).toContain('params: all');
    expect(text).toMatch(/classifier.accuracy\s+0.9\s+0.95\s+\+0.05/);
  });
});
