// sweep.html of a sweep folder: every variant in one sortable table (linked to its report.html),
// each headline metric against each swept param, the variants' loss curves overlaid and their
// pictures side by side.
import { esc, metaList, page, statusBadge } from './html.js';
import { pictureCell } from './pictures.js';
import { renderSvg } from './plots.js';
import { elapsed } from './run-report.js';
import { type Curve, lossCurve, type MetricPoint, metricSpec, overlaidLossSpec, type Series } from './specs.js';
import type { ReportPicture, ReportStage, ReportSweep, ReportVariant } from './types.js';
import { canonical, num, value } from './values.js';

/** sweep.html draws the pictures and loss curves of the first this many variants only: a large
 * sweep's page would otherwise embed every picture (hundreds of MB for 10,000 variants) and a
 * legend no one can read. The table and the metric plots keep every variant; each variant's own
 * report.html has its pictures and curves. */
export const SWEEP_PAGE_VARIANTS = 50;

const firstOnly = (what: string, n: number) =>
  n > SWEEP_PAGE_VARIANTS ? `<p class="note">${what} of the first ${SWEEP_PAGE_VARIANTS} of ${n} variants; each variant&#39;s report has its own.</p>` : '';

/** Swept paths and metric names over all variants, in first-seen order. */
export function sweepColumns(variants: ReportVariant[]): { swept: string[]; metrics: string[] } {
  return {
    swept: [...new Set(variants.flatMap((v) => Object.keys(v.values)))],
    metrics: [...new Set(variants.flatMap((v) => Object.keys(v.metrics)))],
  };
}

/** The variant's name, linked to its report when there is one (a relative path: the folder can
 * be moved or copied whole). */
function variantLink(v: ReportVariant): string {
  if (!v.href) return esc(v.id);
  const href = v.href.split('/').map(encodeURIComponent).join('/');
  return `<a href="${esc(href)}">${esc(v.id)}</a>`;
}

/** A column name that may break after its dots (`confident.<wbr>threshold`): sixteen columns fit. */
const header = (name: string) => name.split('.').map(esc).join('.<wbr>');

function variantsTable(variants: ReportVariant[], swept: string[], metrics: string[], constant: string[]): string {
  const same = (m: string) => (constant.includes(m) ? ' class="same" title="the same in every variant"' : '');
  const head = [
    '<th>variant</th>',
    ...swept.map((k) => `<th>${header(k)}</th>`),
    ...metrics.map((m) => `<th${same(m)}>${header(m)}</th>`),
    '<th>status</th>',
  ].join('');
  const rows = variants.map((v) => {
    const cells = [
      `<td data-sort="${esc(v.id)}">${variantLink(v)}</td>`,
      ...swept.map((k) => {
        const x = v.values[k];
        if (!(k in v.values)) return '<td>-</td>';
        return typeof x === 'number' ? `<td class="num" data-sort="${esc(x)}">${esc(num(x))}</td>` : `<td><code>${esc(value(x))}</code></td>`;
      }),
      ...metrics.map((m) => (m in v.metrics ? `<td class="num" data-sort="${esc(v.metrics[m])}">${esc(num(v.metrics[m]))}</td>` : '<td>-</td>')),
      `<td data-sort="${esc(v.status)}">${statusBadge(v.status)}</td>`,
    ];
    return `<tr data-variant="${esc(v.id)}">${cells.join('')}</tr>`;
  });
  return `<div class="scroll"><table class="sortable variants"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

/** The series a variant belongs to in a plot against `param`: its values of the other swept
 * params (just the value when there is one other: the legend's title names it). */
const seriesOf = (v: ReportVariant, others: string[]) =>
  others.map((k) => (others.length === 1 ? '' : `${k}=`) + (k in v.values ? value(v.values[k]) : '-')).join(' ');

/** Series with the same points are drawn once, named by all of them: one would hide the other,
 * and that the metric does not depend on the other params is worth seeing. */
function mergeSeries(points: MetricPoint[]): MetricPoint[] {
  const bySeries = new Map<string, MetricPoint[]>();
  for (const p of points) bySeries.set(p.series, [...(bySeries.get(p.series) ?? []), p]);
  const groups = new Map<string, { labels: string[]; points: MetricPoint[] }>();
  for (const [label, ps] of bySeries) {
    const id = canonical(ps.map((p) => [p.x, p.y]).sort((a, b) => canonical(a).localeCompare(canonical(b))));
    const g = groups.get(id);
    if (g) g.labels.push(label);
    else groups.set(id, { labels: [label], points: ps });
  }
  return [...groups.values()].flatMap((g) => g.points.map((p) => ({ ...p, series: g.labels.join(', ') })));
}

async function metricPlots(variants: ReportVariant[], swept: string[], metrics: string[]): Promise<{ plots: string[]; constant: string[] }> {
  const plots: string[] = [];
  const constant: string[] = [];
  for (const m of metrics) {
    const have = variants.filter((v) => Number.isFinite(v.metrics[m]));
    // A metric the same in every variant (a shared upstream stage's) is a flat line in every
    // plot: it is named once instead, its value is in the table.
    if (have.length === variants.length && variants.length > 1 && new Set(have.map((v) => v.metrics[m])).size === 1) {
      constant.push(m);
      continue;
    }
    for (const p of swept) {
      const using = have.filter((v) => p in v.values);
      if (using.length === 0) continue;
      const numeric = using.every((v) => typeof v.values[p] === 'number');
      const others = swept.filter((k) => k !== p);
      const points = mergeSeries(
        using.map((v) => ({
          x: numeric ? (v.values[p] as number) : value(v.values[p]),
          y: v.metrics[m],
          series: seriesOf(v, others),
        })),
      );
      const svg = await renderSvg(metricSpec(m, p, points, { numeric, seriesTitle: others.join(' ') }), `m${plots.length}-`);
      plots.push(`<figure class="plot metric" data-metric="${esc(m)}" data-param="${esc(p)}">${svg}</figure>`);
    }
  }
  return { plots, constant };
}

/** Per stage with a loss curve, the variants' curves; variants whose curves are equal (a shared
 * instance) share one series, named by all of them, so none hides another. */
async function lossOverlays(variants: ReportVariant[]): Promise<string[]> {
  const byStage = new Map<string, Array<{ variant: string; curve: Curve }>>();
  for (const v of variants.slice(0, SWEEP_PAGE_VARIANTS)) {
    for (const s of v.run.stages) {
      const curve = lossCurve(s.id, s.metrics);
      if (curve) byStage.set(s.id, [...(byStage.get(s.id) ?? []), { variant: v.id, curve }]);
    }
  }
  const out: string[] = [];
  for (const [stage, curves] of byStage) {
    const groups = new Map<string, { ids: string[]; curve: Curve }>();
    for (const { variant, curve } of curves) {
      const id = canonical([curve.x, curve.y]);
      const g = groups.get(id);
      if (g) g.ids.push(variant);
      else groups.set(id, { ids: [variant], curve });
    }
    const series: Series[] = [...groups.values()].map((g) => ({ label: g.ids.join(', '), x: g.curve.x, y: g.curve.y }));
    const xTitle = curves.every((c) => c.curve.xTitle === 'step') ? 'step' : curves[0].curve.xTitle;
    const svg = await renderSvg(overlaidLossSpec(stage, series, xTitle), `l${out.length}-`);
    out.push(`<figure class="plot loss" data-stage="${esc(stage)}" data-series="${series.length}">${svg}</figure>`);
  }
  return out;
}

function picturesGrid(variants: ReportVariant[]): string {
  const columns: string[] = [];
  const cell = new Map<string, { stage: ReportStage; pic: ReportPicture }>();
  for (const v of variants.slice(0, SWEEP_PAGE_VARIANTS)) {
    for (const s of v.run.stages) {
      for (const pic of s.pictures) {
        const name = `${s.id}/${pic.name}`;
        if (!columns.includes(name)) columns.push(name);
        cell.set(`${v.id}\n${name}`, { stage: s, pic });
      }
    }
  }
  if (columns.length === 0) return '';
  const head = `<tr><th>variant</th>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const rows = variants.slice(0, SWEEP_PAGE_VARIANTS).map((v) => {
    const cells = columns.map((c) => {
      const x = cell.get(`${v.id}\n${c}`);
      return x ? `<td>${pictureCell(x.stage, x.pic)}</td>` : '<td class="note">none</td>';
    });
    return `<tr data-variant="${esc(v.id)}"><th>${variantLink(v)}</th>${cells.join('')}</tr>`;
  });
  return `<h2>Pictures</h2>${firstOnly('Pictures', variants.length)}<div class="scroll"><table class="pictures"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

export async function renderSweepReport(sweep: ReportSweep): Promise<string> {
  const { swept, metrics } = sweepColumns(sweep.variants);
  const { plots, constant } = await metricPlots(sweep.variants, swept, metrics);
  const losses = await lossOverlays(sweep.variants);
  const took = elapsed(sweep.started, sweep.finished);
  const body = [
    `<h1>${esc(sweep.pipeline)} <span class="hint">sweep ${esc(sweep.sweepId)}</span></h1>`,
    metaList([
      ['pipeline', `<code>${esc(sweep.pipeline)}</code>`],
      ['sweep id', `<code>${esc(sweep.sweepId)}</code>`],
      ['status', statusBadge(sweep.status)],
      ['started', esc(sweep.started)],
      ['finished', `${esc(sweep.finished)}${took ? ` <span class="hint">(${esc(took)})</span>` : ''}`],
      ['backend', `<code>${esc(sweep.backend)}</code>`],
      ['variants', `${sweep.variants.length}, swept: ${swept.map((k) => `<code>${esc(k)}</code>`).join(', ') || 'none'}`],
    ]),
    '<h2>Variants</h2>',
    `<p class="note">Click a column header to sort by it; a variant&#39;s name opens its report.${constant.length ? ' Grey headers: the same in every variant.' : ''}</p>`,
    variantsTable(sweep.variants, swept, metrics, constant),
    plots.length ? `<h2>Metrics against swept params</h2><div class="plots">${plots.join('')}</div>` : '',
    constant.length
      ? `<p class="note">The same in every variant (not plotted): ${constant.map((m) => `<code>${esc(m)}</code> ${esc(num(sweep.variants[0].metrics[m]))}`).join(', ')}</p>`
      : '',
    losses.length ? `<h2>Loss curves</h2>${firstOnly('Curves', sweep.variants.length)}<div class="plots">${losses.join('')}</div>` : '',
    picturesGrid(sweep.variants),
  ];
  return page(`${sweep.pipeline} sweep ${sweep.sweepId}`, body.join('\n'));
}
