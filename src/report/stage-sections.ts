// The parts of a run report about one stage: its row in the overview, its config (non-default
// params marked) and its metrics.
import { esc, statusBadge } from './html.js';
import type { ReportStage } from './types.js';
import { canonical, compactArray, isNumberArray, num, value } from './values.js';

const SHORT_KEY = 10;

const numCell = (v: number | undefined) => (v === undefined ? '<td class="num">-</td>' : `<td class="num">${esc(Math.round(v))}</td>`);

function keyCell(key: string | undefined): string {
  if (!key) return '<td>-</td>';
  return `<td data-sort="${esc(key)}"><code class="key" title="${esc(key)}">${esc(key.slice(0, SHORT_KEY))}</code></td>`;
}

/** One sortable row per stage: status, key, timings. */
export function stagesTable(stages: ReportStage[]): string {
  const head = ['stage', 'type', 'status', 'cache key', 'ms', 'compute ms', 'store ms'].map((h) => `<th>${esc(h)}</th>`).join('');
  const rows = stages.map((s) =>
    [
      `<tr data-stage="${esc(s.id)}">`,
      `<td><a href="#stage-${esc(anchor(s.id))}">${esc(s.id)}</a></td>`,
      `<td>${esc(s.type)}</td>`,
      `<td data-sort="${esc(s.status)}">${statusBadge(s.status)}</td>`,
      keyCell(s.key),
      numCell(s.ms),
      numCell(s.computeMs),
      numCell(s.storeMs),
      '</tr>',
    ].join(''),
  );
  return `<table class="sortable stages"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** An id fragment from a stage id (which may hold anything a YAML key can). */
export function anchor(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.codePointAt(0)!.toString(16)}`);
}

/** `with:` as run, each param that differs from its schema default in bold with the default. */
function paramsTable(s: ReportStage): string {
  const names = Object.keys(s.params);
  if (names.length === 0) return '<p class="note">No params.</p>';
  const rows = names.map((k) => {
    const v = s.params[k];
    const hasDefault = Object.hasOwn(s.defaults, k);
    const changed = hasDefault && canonical(v) !== canonical(s.defaults[k]);
    const cls = changed ? 'param changed' : 'param';
    const hint = changed ? ` <span class="hint">default: ${esc(value(s.defaults[k]))}</span>` : hasDefault ? '' : ' <span class="hint">(no default)</span>';
    return `<tr class="${cls}" data-param="${esc(k)}"><td><code>${esc(k)}</code></td><td><code>${esc(value(v))}</code>${hint}</td></tr>`;
  });
  return `<table class="params"><thead><tr><th>param</th><th>value</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function metricText(v: unknown): string {
  if (typeof v === 'number') return num(v);
  if (isNumberArray(v)) return compactArray(v);
  const text = value(v);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function metricsTable(metrics: unknown): string {
  if (!metrics || typeof metrics !== 'object' || Object.keys(metrics).length === 0) return '<p class="note">No metrics.</p>';
  const entries = Object.entries(metrics as Record<string, unknown>);
  // Scalars first: the headline numbers; curves and lists after, summarised.
  const sorted = [...entries.filter(([, v]) => typeof v === 'number'), ...entries.filter(([, v]) => typeof v !== 'number')];
  const rows = sorted.map(([k, v]) => {
    const cls = typeof v === 'number' ? 'num' : 'mono';
    return `<tr data-metric="${esc(k)}"><td><code>${esc(k)}</code></td><td class="${cls}">${esc(metricText(v))}</td></tr>`;
  });
  return `<table class="metrics"><thead><tr><th>metric</th><th>value</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** A stage's config, inputs, error and metrics. */
export function stageSection(s: ReportStage): string {
  const inputs = Object.entries(s.inputs ?? {});
  const inputLine = inputs.length
    ? `<p class="note">inputs: ${inputs.map(([name, ref]) => `<code>${esc(name)}</code> &larr; <code>${esc(ref)}</code>`).join(', ')}</p>`
    : '';
  const error = s.error ? `<p class="error">${esc(s.error)}</p>` : '';
  return [
    `<section class="stage" id="stage-${esc(anchor(s.id))}" data-stage="${esc(s.id)}">`,
    `<h3><span>${esc(s.id)}</span> <code class="hint">${esc(s.type)}</code> ${statusBadge(s.status)}</h3>`,
    inputLine,
    error,
    '<div class="cols">',
    `<div><h4>config</h4>${paramsTable(s)}</div>`,
    `<div><h4>metrics</h4>${metricsTable(s.metrics)}</div>`,
    '</div>',
    '</section>',
  ].join('');
}
