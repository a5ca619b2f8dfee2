// The end of a sweep: one row per variant with its swept values and each stage's headline
// (scalar) metrics, written as sweep.json / sweep.csv in the sweep folder (the CLI prints them).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Variant } from '../graph/sweep.js';
import type { RunManifest } from './run-record.js';

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
