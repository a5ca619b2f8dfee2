// The Vega-Lite specs of the reports: a stage's loss curve, the loss curves of a sweep's variants
// overlaid, and a headline metric against a swept param. Data fields are fixed names (x, y,
// series): metric and param names hold dots, which Vega-Lite would read as nested fields.
import type { TopLevelSpec } from 'vega-lite';
import { isNumberArray } from './values.js';

export interface Curve {
  stage: string;
  x: number[];
  y: number[];
  /** 'step' when the stage recorded `lossStep`, else the position in `loss`. */
  xTitle: string;
}

/** The loss curve of a stage whose metrics hold a `loss` array: at `lossStep` when that is
 * recorded beside it (same length), else at each value's index. */
export function lossCurve(stage: string, metrics: unknown): Curve | undefined {
  if (!metrics || typeof metrics !== 'object') return undefined;
  const { loss, lossStep } = metrics as Record<string, unknown>;
  if (!isNumberArray(loss)) return undefined;
  if (isNumberArray(lossStep) && lossStep.length === loss.length) return { stage, x: lossStep, y: loss, xTitle: 'step' };
  return { stage, x: loss.map((_, i) => i), y: loss, xTitle: 'index in loss' };
}

const PALETTE = 'tableau10';
const markersUpTo = 60;

/** A log y scale when the values span more than two decades (a loss falling from 70000 to 50
 * would otherwise be a flat line along the bottom); linear otherwise. */
function lossScale(values: number[]): { type: 'log' | 'linear'; zero?: boolean } {
  const finite = values.filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return finite.length > 0 && lo > 0 && hi / lo > 100 ? { type: 'log' } : { type: 'linear', zero: false };
}

export function lossSpec(c: Curve): TopLevelSpec {
  return {
    title: `${c.stage}: loss`,
    width: 440,
    height: 220,
    data: { values: c.x.map((x, i) => ({ x, y: c.y[i] })) },
    mark: { type: 'line', point: c.x.length <= markersUpTo, strokeWidth: 1.75 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: c.xTitle, scale: { zero: false, nice: false } },
      y: { field: 'y', type: 'quantitative', title: 'loss', scale: lossScale(c.y) },
    },
  };
}

export interface Series {
  label: string;
  x: number[];
  y: number[];
}

/** One stage's loss curves, one colour per series (a series: the variants whose curves are the
 * same, e.g. all of them for a shared upstream stage). */
export function overlaidLossSpec(stage: string, series: Series[], xTitle: string): TopLevelSpec {
  const values = series.flatMap((s) => s.x.map((x, i) => ({ x, y: s.y[i], series: s.label })));
  const points = Math.max(...series.map((s) => s.x.length)) <= markersUpTo;
  return {
    title: `${stage}: loss`,
    width: 440,
    height: 240,
    data: { values },
    mark: { type: 'line', point: points, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle, scale: { zero: false, nice: false } },
      y: { field: 'y', type: 'quantitative', title: 'loss', scale: lossScale(values.map((v) => v.y)) },
      color: {
        field: 'series',
        type: 'nominal',
        title: 'variant',
        sort: series.map((s) => s.label),
        scale: { scheme: series.length > 10 ? 'tableau20' : PALETTE },
      },
    },
  };
}

export interface MetricPoint {
  x: number | string;
  y: number;
  series: string;
}

/** A headline metric against one swept param: points, joined by a line per series when the param
 * is numeric; a series per combination of the other swept params. */
export function metricSpec(metric: string, param: string, points: MetricPoint[], opts: { numeric: boolean; seriesTitle?: string }): TopLevelSpec {
  const labels = [...new Set(points.map((p) => p.series))];
  // With other params swept there is a legend even for one series: it says which ones it stands for.
  const coloured = labels.length > 1 || Boolean(opts.seriesTitle);
  const color = coloured
    ? {
        color: {
          field: 'series',
          type: 'nominal' as const,
          title: opts.seriesTitle ?? 'other params',
          sort: labels,
          scale: { scheme: labels.length > 10 ? 'tableau20' : PALETTE },
        },
      }
    : {};
  const x = opts.numeric
    ? { field: 'x', type: 'quantitative' as const, title: param, scale: { zero: false, padding: 12 } }
    : { field: 'x', type: 'nominal' as const, title: param, sort: null, axis: { labelAngle: 0 } };
  const y = { field: 'y', type: 'quantitative' as const, title: metric, scale: { zero: false, padding: 10 } };
  return {
    title: `${metric} vs ${param}`,
    width: 300,
    height: 190,
    data: { values: points },
    mark: opts.numeric ? { type: 'line', point: { size: 50, filled: true }, strokeWidth: 1.5 } : { type: 'point', size: 60, filled: true },
    encoding: { x, y, ...color },
  };
}
