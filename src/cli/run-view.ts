// What a run prints once its stages have settled: the failures, a sweep's table of variants, and
// the folder that holds the records.
import type { RunResult } from '../runner/run.js';
import { columns, type SweepRow } from '../runner/sweep-report.js';
import { table, value } from './format.js';

/** Swept values, then the metrics that differ between variants (sweep.csv has them all). */
export function formatSweepTable(rows: SweepRow[]): string {
  const { swept, metrics } = columns(rows);
  const varying = metrics.filter((m) => new Set(rows.map((r) => r.metrics[m])).size > 1);
  const header = ['variant', ...swept, ...varying, 'status'];
  const body = rows.map((r) => [
    r.variant,
    ...swept.map((k) => value(r.values[k])),
    ...varying.map((m) => (m in r.metrics ? value(r.metrics[m]) : '-')),
    r.status,
  ]);
  return table(header, body);
}

export function formatRunEnd(result: RunResult): string[] {
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
  if (result.sweep) lines.push(formatSweepTable(result.sweep.rows), `sweep folder: ${result.runDir}`);
  else lines.push(`run folder: ${result.runDir}`);
  return lines;
}
