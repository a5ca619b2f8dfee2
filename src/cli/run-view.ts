// What a run prints once its stages have settled: the failures, each stage's headline metrics (a
// sweep: the table of variants), the pictures, the report page, and the folder that holds the
// records (last).
import { isAbsolute, join, relative } from 'node:path';
import type { RunManifest } from '../runner/run-record.js';
import type { RunResult } from '../runner/run.js';
import { columns, type SweepRow } from '../runner/sweep-report.js';
import { alignRows, num, table, value } from './format.js';

/** Marks a sweep table's column whose value is the same in every variant. */
export const SAME = '=';

/** Swept values, then every headline metric; a column with one value in every variant is kept
 * (the accuracy of a threshold sweep is worth seeing) and its header marked with SAME. */
export function formatSweepTable(rows: SweepRow[]): string {
  const { swept, metrics } = columns(rows);
  const same = (get: (r: SweepRow) => unknown, has: (r: SweepRow) => boolean) =>
    rows.length > 1 && rows.every(has) && new Set(rows.map((r) => JSON.stringify(get(r)))).size === 1;
  const mark = (name: string, constant: boolean) => (constant ? `${name}${SAME}` : name);
  const header = [
    'variant',
    ...swept.map((k) =>
      mark(
        k,
        same(
          (r) => r.values[k],
          (r) => k in r.values,
        ),
      ),
    ),
    ...metrics.map((m) =>
      mark(
        m,
        same(
          (r) => r.metrics[m],
          (r) => m in r.metrics,
        ),
      ),
    ),
    'status',
  ];
  const body = rows.map((r) => [
    r.variant,
    ...swept.map((k) => value(r.values[k])),
    ...metrics.map((m) => (m in r.metrics ? value(r.metrics[m]) : '-')),
    r.status,
  ]);
  const lines = [table(header, body)];
  if (header.some((h) => h.endsWith(SAME))) lines.push(`${SAME} same in every variant`);
  return lines.join('\n');
}

/** A stage's headline metrics: its scalar numbers (curves such as `loss` are left to metrics.json). */
export function headline(metrics: unknown): [string, number][] {
  if (!metrics || typeof metrics !== 'object') return [];
  return Object.entries(metrics as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number');
}

/** `stage: name value  name value`, one line per stage that has headline metrics, stage names aligned. */
export function formatHeadlines(manifest: RunManifest): string[] {
  const rows = Object.entries(manifest.stages)
    .map(([id, s]) => [
      `${id}:`,
      headline(s.metrics)
        .map(([k, v]) => `${k} ${num(v)}`)
        .join('  '),
    ])
    .filter(([, text]) => text);
  return alignRows(rows);
}

/** A path relative to the working directory when it is inside it. */
export function shown(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

const picturesOf = (manifest: RunManifest) => Object.values(manifest.stages).flatMap((s) => s.pictures ?? []);

export function formatRunEnd(result: RunResult, cwd = process.cwd()): string[] {
  const lines: string[] = [];
  if (result.interrupted) {
    const of = (...statuses: string[]) => [...result.outcomes.values()].filter((o) => statuses.includes(o.status)).map((o) => o.id);
    const running = [...result.outcomes.values()].filter((o) => o.status === 'interrupted' && o.error?.message === 'interrupted').map((o) => o.id);
    const notStarted = of('interrupted').filter((id) => !running.includes(id));
    lines.push('interrupted:');
    lines.push(`  finished and cached: ${of('hit', 'miss').join(', ') || 'none'}`);
    if (running.length) lines.push(`  stopped while computing (nothing stored): ${running.join(', ')}`);
    if (notStarted.length) lines.push(`  not started: ${notStarted.join(', ')}`);
  }
  for (const o of result.outcomes.values()) if (o.status === 'failed') lines.push(`stage ${o.id} failed: ${o.error?.message}`);
  if (result.sweep) {
    lines.push(formatSweepTable(result.sweep.rows));
    // The same names in every variant's folder: listed once, relative to it.
    const pictures = [...new Set(result.sweep.manifests.flatMap(picturesOf))];
    if (pictures.length) lines.push(`pictures (in each variant's folder): ${pictures.join('  ')}`);
    if (result.report) lines.push(`report: ${shown(result.report, cwd)}`);
    lines.push(`sweep folder: ${result.runDir}`);
  } else {
    lines.push(...formatHeadlines(result.manifest));
    const pictures = picturesOf(result.manifest).map((p) => shown(join(result.runDir, p), cwd));
    if (pictures.length) lines.push(`pictures: ${pictures.join('  ')}`);
    if (result.report) lines.push(`report: ${shown(result.report, cwd)}`);
    lines.push(`run folder: ${result.runDir}`);
  }
  return lines;
}
