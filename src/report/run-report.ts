// report.html of one run folder: what ran, with which settings, what it cost, what came out.
import { esc, metaList, page, statusBadge } from './html.js';
import { pictureFigure } from './pictures.js';
import { renderSvg } from './plots.js';
import { lossCurve, lossSpec } from './specs.js';
import { anchor, stageSection, stagesTable } from './stage-sections.js';
import type { ReportRun } from './types.js';

/** "12.3 s" between two ISO times, or undefined. */
export function elapsed(started: string, finished: string): string | undefined {
  const ms = Date.parse(finished) - Date.parse(started);
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function runHeader(run: ReportRun): string {
  const took = elapsed(run.started, run.finished);
  const rows: Array<[string, string]> = [
    ['pipeline', `<code>${esc(run.pipeline)}</code>`],
    ['run id', `<code>${esc(run.runId)}</code>`],
    ['status', statusBadge(run.status)],
    ['started', esc(run.started)],
    ['finished', `${esc(run.finished)}${took ? ` <span class="hint">(${esc(took)})</span>` : ''}`],
    ['backend', `<code>${esc(run.backend)}</code>`],
  ];
  if (run.seed !== undefined) rows.push(['seed', `<code>${esc(run.seed)}</code>`]);
  if (run.files?.length) rows.push(['config files', run.files.map((f) => `<code>${esc(f)}</code>`).join('<br>')]);
  if (run.sweepHref) rows.push(['sweep', `<a href="${esc(run.sweepHref)}">all variants of this sweep</a>`]);
  return metaList(rows);
}

/** The loss curve of every stage that records one, as inline SVG figures. */
export async function lossPlots(run: ReportRun, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (const s of run.stages) {
    const curve = lossCurve(s.id, s.metrics);
    if (!curve) continue;
    const svg = await renderSvg(lossSpec(curve), `${prefix}${out.length}-`);
    out.push(`<figure class="plot loss" data-stage="${esc(s.id)}" data-points="${curve.x.length}">${svg}</figure>`);
  }
  return out;
}

export async function renderRunReport(run: ReportRun): Promise<string> {
  const plots = await lossPlots(run, 'loss');
  const pictures = run.stages.flatMap((s) => s.pictures.map((p) => pictureFigure(s, p)));
  // A skipped stage's message already starts "skipped: ".
  const message = (status: string, error: string) => (error.startsWith(`${status}: `) ? error.slice(status.length + 2) : error);
  const failures = run.stages
    .filter((s) => s.error)
    .map(
      (s) => `<p class="error">${statusBadge(s.status)} stage <a href="#stage-${esc(anchor(s.id))}">${esc(s.id)}</a>: ${esc(message(s.status, s.error!))}</p>`,
    );
  const body = [
    `<h1>${esc(run.pipeline)} <span class="hint">run ${esc(run.runId)}</span></h1>`,
    runHeader(run),
    ...failures,
    '<h2>Stages</h2>',
    stagesTable(run.stages),
    pictures.length ? `<h2>Pictures</h2>${pictures.join('')}` : '',
    plots.length ? `<h2>Loss curves</h2><div class="plots">${plots.join('')}</div>` : '',
    '<h2>Config and metrics</h2>',
    '<p class="note">Params that differ from the stage&#39;s default are <span class="changed">bold</span>, with the default beside them.</p>',
    ...run.stages.map(stageSection),
  ];
  return page(`${run.pipeline} ${run.runId}`, body.join('\n'));
}
