// The end of a sweep: one row per variant with its swept values and each stage's headline
// (scalar) metrics, written as sweep.json / sweep.csv in the sweep folder (the CLI prints them),
// and sweep.html, the page that shows them all.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Variant } from '../graph/sweep.js';
import { renderSweepReport } from '../report/sweep-report.js';
import type { ReportSweep } from '../report/types.js';
import { type RunManifest, type RunRecord, writeFileAtomic } from './run-record.js';

export interface SweepRow {
  variant: string;
  values: Record<string, unknown>;
  status: RunManifest['status'];
  runDir: string;
  metrics: Record<string, number>;
}

export function sweepRows(variants: Variant[], manifests: RunManifest[], runDirs: string[]): SweepRow[] {
  return variants.map((v, i) => {
    const metrics: Record<string, number> = {};
    for (const [stage, s] of Object.entries(manifests[i].stages)) {
      for (const [name, value] of Object.entries((s.metrics ?? {}) as Record<string, unknown>)) {
        if (typeof value === 'number') metrics[`${stage}.${name}`] = value;
      }
    }
    return { variant: v.id, values: v.values, status: manifests[i].status, runDir: runDirs[i], metrics };
  });
}

/** The swept paths and the metric names of a sweep's rows, in first-seen order. */
export function columns(rows: SweepRow[]): { swept: string[]; metrics: string[] } {
  const swept = [...new Set(rows.flatMap((r) => Object.keys(r.values)))];
  const metrics = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
  return { swept, metrics };
}

const csvValue = (v: unknown): string => (typeof v === 'number' ? String(v) : JSON.stringify(v));
const csvCell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function writeSweepFiles(dir: string, meta: Record<string, unknown>, rows: SweepRow[]): void {
  writeFileSync(join(dir, 'sweep.json'), `${JSON.stringify({ ...meta, variants: rows }, null, 2)}\n`);
  const { swept, metrics } = columns(rows);
  const lines = [
    ['variant', ...swept, ...metrics, 'status', 'runDir'],
    ...rows.map((r) => [
      r.variant,
      ...swept.map((k) => csvValue(r.values[k])),
      ...metrics.map((m) => (m in r.metrics ? String(r.metrics[m]) : '')),
      r.status,
      r.runDir,
    ]),
  ];
  writeFileSync(join(dir, 'sweep.csv'), `${lines.map((l) => l.map(csvCell).join(',')).join('\n')}\n`);
}

/** The end of a sweep on disk: sweep.json, sweep.csv and sweep.html (after them, like a run's
 * report.html after its manifest). A sweep.html that cannot be made is noted in sweep.json as
 * `reportError`; the sweep's results stand. */
export async function writeSweepRecord(
  dir: string,
  meta: { pipeline: string; sweepId: string; started: string; backend: string; instances: Record<string, string> },
  variants: Variant[],
  records: RunRecord[],
): Promise<{ rows: SweepRow[]; reportPath?: string }> {
  const manifests = records.map((r) => r.manifest);
  const rows = sweepRows(
    variants,
    manifests,
    variants.map((v) => join(dir, v.id)),
  );
  const statuses = manifests.map((m) => m.status);
  const status = statuses.includes('interrupted') ? 'interrupted' : statuses.includes('failed') ? 'failed' : 'ok';
  const input: ReportSweep = {
    pipeline: meta.pipeline,
    sweepId: meta.sweepId,
    status,
    started: meta.started,
    finished: new Date().toISOString(),
    backend: meta.backend,
    variants: rows.map((r, i) => ({
      id: r.variant,
      values: r.values,
      status: r.status,
      metrics: r.metrics,
      href: records[i].reportPath ? `${r.variant}/report.html` : undefined,
      run: records[i].report,
    })),
  };
  const failure = (err: unknown) => `sweep.html not written: ${err instanceof Error ? err.message : String(err)}`;
  let html: string | undefined;
  try {
    html = await renderSweepReport(input);
  } catch (err) {
    writeSweepFiles(dir, { ...meta, reportError: failure(err) }, rows);
    return { rows };
  }
  writeSweepFiles(dir, meta, rows);
  const reportPath = join(dir, 'sweep.html');
  try {
    writeFileAtomic(reportPath, html);
  } catch (err) {
    writeSweepFiles(dir, { ...meta, reportError: failure(err) }, rows);
    return { rows };
  }
  return { rows, reportPath };
}
