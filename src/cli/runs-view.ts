// Text for `pipeline runs ls|show|compare`: pure functions of the records src/runner/runs.ts
// reads, so tests can check the text directly. Tables through format.ts, as every command.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { shortKey } from '../keys/hash.js';
import type { RunManifest } from '../runner/run-record.js';
import {
  type DamagedInfo,
  type ParamDiff,
  type RunFolder,
  type RunInfo,
  type RunListing,
  reportPath,
  type SweepInfo,
  stageCounts,
  sweepStatus,
} from '../runner/runs.js';
import type { SweepRow } from '../runner/sweep-report.js';
import { alignRows, count, num, seconds, table, value, when } from './format.js';
import { formatSweepTable, headline, shown } from './run-view.js';

/** At most this many headline metrics a row of `runs ls`: the rest are for `runs show`. */
export const LS_METRICS = 3;

/** `stage.metric` -> number: every stage's headline (scalar) metrics, in stage order. */
export function metricsOf(m: RunManifest): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, s] of Object.entries(m.stages)) for (const [k, v] of headline(s.metrics)) out[`${id}.${k}`] = v;
  return out;
}

/** Per pipeline, the metrics whose value is not the same in all its listed runs: the ones worth a
 * place in a narrow column (a sweep's variants share their upstream stages' metrics). */
function varyingMetrics(runs: RunInfo[]): Map<string, Set<string>> {
  const byPipeline = new Map<string, RunInfo[]>();
  for (const r of runs) byPipeline.set(r.pipeline, [...(byPipeline.get(r.pipeline) ?? []), r]);
  const out = new Map<string, Set<string>>();
  for (const [p, rs] of byPipeline) {
    const all = rs.map((r) => metricsOf(r.manifest));
    const names = new Set(all.flatMap((m) => Object.keys(m)));
    out.set(p, new Set([...names].filter((n) => new Set(all.map((m) => (n in m ? String(m[n]) : '-'))).size > 1)));
  }
  return out;
}

const sweptOf = (s: SweepInfo) => [...new Set((s.sweep?.variants ?? []).flatMap((v) => Object.keys(v?.values ?? {})))];

/** `metrics` to pick from, or `text`: the longest that fits first. `child`: a variant's indented
 * id, written across the ID, PIPELINE and STARTED columns it leaves blank when it fits there. */
interface LsLine {
  cells: string[];
  metrics?: [string, number][];
  text?: string[];
  child?: string;
}

/** The `runs ls` table: newest first, each sweep followed by its variants, indented. `width`: the
 * terminal's, which the metrics column gives way to (down to a count). */
export function formatRunList(listing: RunListing, opts: { width?: number; pipeline?: string } = {}): string {
  const { records, root } = listing;
  if (records.length === 0) {
    if (opts.pipeline === undefined) return `no runs under ${shown(root)}/ (\`pipeline run FILE\` makes one; --runs DIR looks elsewhere)`;
    const others = listing.pipelines.length ? `pipelines there: ${listing.pipelines.join(', ')}` : 'there are none';
    return `no runs of pipeline ${opts.pipeline} under ${shown(root)}/ (${others})`;
  }
  const sweeps = records.filter((r): r is SweepInfo => r.kind === 'sweep');
  const runs = records.flatMap((r) => (r.kind === 'run' ? [r] : r.kind === 'sweep' ? r.variants.filter((v): v is RunInfo => v.kind === 'run') : []));
  const varying = varyingMetrics(runs);
  const anyFailed = records.some((r) => r.kind !== 'damaged' && stageCounts(r).failed > 0);
  const counts = (r: RunInfo | SweepInfo) => {
    const c = stageCounts(r);
    return [String(c.computed), String(c.cached), ...(anyFailed ? [c.failed ? String(c.failed) : ''] : [])];
  };
  const lead = (r: RunFolder, top: boolean) => (top ? [r.id, r.pipeline, when(r.started)] : ['', '', '']);
  const line = (r: RunInfo | DamagedInfo, top: boolean): LsLine => {
    const child = top ? undefined : `  ${r.id}`;
    if (r.kind === 'damaged')
      return { cells: [...lead(r, top), 'damaged', '', '', ...(anyFailed ? [''] : [])], text: [`${shown(r.path)}: ${r.reason}`], child };
    const v = varying.get(r.pipeline) ?? new Set();
    const all = Object.entries(metricsOf(r.manifest));
    return { cells: [...lead(r, top), r.manifest.status, ...counts(r)], metrics: [...all.filter(([n]) => v.has(n)), ...all.filter(([n]) => !v.has(n))], child };
  };
  const lines: LsLine[] = [];
  for (const r of records) {
    if (r.kind !== 'sweep') {
      lines.push(line(r, true));
      continue;
    }
    const swept = sweptOf(r);
    const what = `sweep of ${count(r.variants.length, 'variant')}`;
    const text = [`${what}${swept.length ? ` over ${swept.join(', ')}` : ''}`, what].map((t) => (r.problem ? `${t}; ${r.problem}` : t));
    lines.push({ cells: [...lead(r, true), sweepStatus(r), ...counts(r)], text });
    for (const v of r.variants) lines.push(line(v, false));
  }
  const headers = ['ID', 'PIPELINE', 'STARTED', 'STATUS', 'COMPUTED', 'CACHED', ...(anyFailed ? ['FAILED'] : []), 'METRICS'];
  const widthOf = (i: number) => Math.max(headers[i].length, ...lines.map((l) => l.cells[i].length));
  const span = widthOf(0) + widthOf(1) + widthOf(2) + 4;
  const spanned = lines.every((l) => !l.child || l.child.length <= span);
  if (!spanned) for (const l of lines) if (l.child) l.cells[0] = l.child;
  const fixed = headers.slice(0, -1).reduce((w, _, i) => w + widthOf(i) + 2, 0);
  let hidden = false;
  const body = lines.map((l) => {
    const { metrics = [], text: alternatives } = l;
    if (alternatives) return [...l.cells, alternatives.find((t) => !opts.width || fixed + t.length <= opts.width) ?? alternatives[alternatives.length - 1]];
    const text = (k: number, more: string) =>
      [...metrics.slice(0, k).map(([n, x]) => `${n} ${num(x)}`), ...(k < metrics.length ? [`+${metrics.length - k}${more}`] : [])].join('  ');
    // The most metrics that fit, then one with a bare count of the rest, then only the count.
    const k0 = Math.min(LS_METRICS, metrics.length);
    const tries = [...Array.from({ length: k0 }, (_, i) => text(k0 - i, ' more')), ...(k0 ? [text(1, '')] : [])];
    const fit = tries.find((t) => !opts.width || fixed + t.length <= opts.width);
    hidden ||= fit !== tries[0] || k0 < metrics.length;
    return [...l.cells, fit ?? (metrics.length ? count(metrics.length, 'metric') : '-')];
  });
  const rows = table(headers, body, ['COMPUTED', 'CACHED', 'FAILED'])
    .split('\n')
    .map((text, i) => {
      const child = lines[i - 1]?.child;
      return spanned && child ? child.padEnd(span) + text.slice(span) : text;
    });
  const variants = sweeps.reduce((n, s) => n + s.variants.length, 0);
  const summary = [
    count(records.length - sweeps.length, 'run'),
    ...(sweeps.length ? [`${count(sweeps.length, 'sweep')} (${count(variants, 'variant')})`] : []),
  ];
  const out = [...rows, `${summary.join(', ')} under ${shown(root)}/`];
  if (hidden) out.push('`pipeline runs show ID` shows all metrics (here the ones that vary come first)');
  return out.join('\n');
}

/** A metric value in full: numbers as they are, a list of numbers summarised, anything else as JSON (cut short). */
export function metricText(v: unknown): string {
  if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'number')) {
    const xs = v as number[];
    // (A reduce: spreading a long curve into Math.min overflows the stack.)
    const [min, max] = xs.reduce(([lo, hi], x) => [Math.min(lo, x), Math.max(hi, x)], [Infinity, -Infinity]);
    return `${count(xs.length, 'value')}: first ${num(xs[0])}, last ${num(xs[xs.length - 1])}, min ${num(min)}, max ${num(max)}`;
  }
  const text = value(v) ?? 'null';
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** `k=v k=v`; `quoted`: strings as JSON (a param "" shows), as `cache ls` shows params. */
const kv = (o: unknown, quoted = false) =>
  o && typeof o === 'object'
    ? Object.entries(o)
        .map(([k, v]) => `${k}=${typeof v === 'string' && !quoted ? v : value(v)}`)
        .join(' ')
    : '';

const statusText: Record<string, string> = { hit: 'cached', miss: 'computed' };

/** `path` or `path (missing: ...)`: runs made before reports existed have none. */
function reportLine(path: string, cwd: string): string {
  return existsSync(path) ? shown(path, cwd) : `${shown(path, cwd)} (missing: the run was made before reports existed)`;
}

export function formatRunShow(r: RunInfo, cwd = process.cwd()): string {
  const m = r.manifest;
  const c = stageCounts(r);
  const ms = Date.parse(m.finished) - Date.parse(m.started);
  const config = (m.config ?? {}) as { stages?: Record<string, { uses?: string; inputs?: unknown; with?: unknown }> } & Record<string, unknown>;
  const top = Object.entries(config).filter(([k]) => k !== 'stages');
  const reportError = (m as { reportError?: string }).reportError;
  const head = [
    ['pipeline', m.pipeline],
    [
      'status',
      `${m.status}: ${count(Object.keys(m.stages).length, 'stage')}, ${c.computed} computed, ${c.cached} cached${c.failed ? `, ${c.failed} failed` : ''}`,
    ],
    ['started', `${when(m.started)}${Number.isFinite(ms) ? `, took ${seconds(ms)}` : ''}`],
    ['backend', m.backend],
    ['config', kv(Object.fromEntries(top))],
    ['files', (m.files ?? []).map((f) => shown(f, cwd)).join(', ')],
    ['versions', kv(Object.fromEntries(Object.entries(m.versions ?? {}).filter(([, v]) => v)))],
    ['folder', shown(r.dir, cwd)],
    ['report', reportError ? `none: ${reportError}` : reportLine(reportPath(r), cwd)],
  ].filter(([, v]) => v);
  const out = [`run ${r.id}`, ...alignRows(head).map((l) => `  ${l}`), 'stages'];
  const stages = Object.entries(m.stages);
  const heads = alignRows(stages.map(([id, s]) => [id, s.type ?? '', statusText[s.status] ?? s.status, s.key ? shortKey(s.key) : '-', seconds(s.ms ?? 0)]));
  const label = (l: string) => `    ${l.padEnd(10)}`;
  stages.forEach(([id, s], i) => {
    out.push(`  ${heads[i]}`);
    const sc = config.stages?.[id];
    if (sc?.inputs && Object.keys(sc.inputs).length) out.push(label('inputs') + kv(sc.inputs));
    if (sc?.with && Object.keys(sc.with).length) out.push(label('params') + kv(sc.with, true));
    const metrics = s.metrics && typeof s.metrics === 'object' ? Object.entries(s.metrics) : [];
    alignRows(metrics.map(([k, v]) => [k, metricText(v)])).forEach((l, j) => void out.push(label(j ? '' : 'metrics') + l));
    if (s.pictures?.length) out.push(label('pictures') + s.pictures.map((p) => shown(join(r.dir, p), cwd)).join('  '));
    if (s.error) out.push(label('error') + s.error);
  });
  return out.join('\n');
}

/** The sweep's own rows (sweep.json), else what its variants' manifests say. */
function sweepRows(s: SweepInfo): SweepRow[] {
  if (s.sweep) return s.sweep.variants;
  return s.variants.map((v) => ({
    variant: v.id.slice(v.id.lastIndexOf('/') + 1),
    values: {},
    status: v.kind === 'run' ? v.manifest.status : ('damaged' as RunManifest['status']),
    runDir: v.dir,
    metrics: v.kind === 'run' ? metricsOf(v.manifest) : {},
  }));
}

export function formatSweepShow(s: SweepInfo, cwd = process.cwd()): string {
  const c = stageCounts(s);
  const head = [
    ['pipeline', s.pipeline],
    [
      'status',
      `${sweepStatus(s)}: ${count(s.variants.length, 'variant')}${s.sweep?.instances ? `, ${count(Object.keys(s.sweep.instances).length, 'stage instance')}: ${c.computed} computed, ${c.cached} cached${c.failed ? `, ${c.failed} failed` : ''}` : ''}`,
    ],
    ['started', when(s.started)],
    ['backend', s.sweep?.backend ?? ''],
    ['folder', shown(s.dir, cwd)],
    ['report', s.sweep?.reportError ? `none: ${s.sweep.reportError}` : reportLine(reportPath(s), cwd)],
    ['problem', s.problem ?? ''],
  ].filter(([, v]) => v);
  const out = [`sweep ${s.id}`, ...alignRows(head).map((l) => `  ${l}`), formatSweepTable(sweepRows(s)), 'variant folders'];
  out.push(...alignRows(s.variants.map((v) => [v.id, shown(v.dir, cwd), v.kind === 'damaged' ? `damaged: ${v.reason}` : ''])).map((l) => `  ${l}`));
  out.push(`\`pipeline runs show ${s.id}/VARIANT\` shows one variant; \`pipeline runs compare ${s.id}\` compares them`);
  return out.join('\n');
}

export const formatDamaged = (d: DamagedInfo): string => `run ${d.id}: ${d.path} cannot be read (${d.reason})`;

/** Column names for compared runs: the variant names when all are variants of one sweep, else
 * A, B, C... (run ids are too long for columns), which the text lists first. */
export function compareLabels(runs: RunInfo[]): { labels: string[]; sweep?: string } {
  const sweep = runs[0]?.sweepId;
  if (sweep !== undefined && runs.every((r) => r.sweepId === sweep)) return { labels: runs.map((r) => r.id.slice(sweep.length + 1)), sweep };
  return { labels: runs.map((_, i) => (i < 26 ? String.fromCharCode(65 + i) : `R${i + 1}`)) };
}

/** B - A with its sign: `+0.0012`, `-3`, `0`. */
export const signed = (d: number): string => (d > 0 ? `+${num(d)}` : num(d));

/** The metric rows of a comparison: every headline metric of any run, `null` where a run has none. */
export function compareMetrics(runs: RunInfo[]): { name: string; values: (number | null)[]; diff: number | null }[] {
  const all = runs.map((r) => metricsOf(r.manifest));
  const names = [...new Set(all.flatMap((m) => Object.keys(m)))];
  return names.map((name) => {
    const values = all.map((m) => (name in m ? m[name] : null));
    const diff = values.length === 2 && values[0] !== null && values[1] !== null ? values[1] - values[0] : null;
    return { name, values, diff };
  });
}

export function formatCompare(runs: RunInfo[], params: ParamDiff): string {
  const { labels, sweep } = compareLabels(runs);
  const out = sweep
    ? [`${count(runs.length, 'variant')} of sweep ${sweep} (pipeline ${runs[0].pipeline}): ${labels.join(', ')}`]
    : [
        `${count(runs.length, 'run')}:`,
        ...alignRows(runs.map((r, i) => [labels[i], r.id, r.pipeline, when(r.started), r.manifest.status])).map((l) => `  ${l}`),
      ];
  const rows = params.differing.map((d) => [d.path, ...d.values.map((v) => (v === undefined ? '-' : value(v)))]);
  if (rows.length) out.push(`params that differ (${params.equal} equal, not shown):`, indent(table(['PARAM', ...labels], rows)));
  else out.push(`params: all ${params.equal} equal`);
  const metrics = compareMetrics(runs);
  // Two runs: the second minus the first, as `dvc exp diff` shows a change.
  const diff = runs.length === 2 ? [`${labels[1]}-${labels[0]}`] : [];
  const mrows = metrics.map((m) => [
    m.name,
    ...m.values.map((v) => (v === null ? '-' : num(v))),
    ...(diff.length ? [m.diff === null ? '-' : signed(m.diff)] : []),
  ]);
  if (mrows.length) out.push('metrics:', indent(table(['METRIC', ...labels, ...diff], mrows, [...labels, ...diff])));
  else out.push('metrics: none');
  return out.join('\n');
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
