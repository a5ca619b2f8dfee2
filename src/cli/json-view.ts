// `--json` for `run`/`sweep`, `plan` and `why`: one JSON document on stdout, printed once at the
// end, 2-space indented, and nothing else on stdout (errors and signal notices go to stderr; exit
// statuses are those of the text output: 0 ok, 1 a stage failed, 2 bad input, 130/143 a signal).
// Every document starts with `format`, the name and version of its shape: a script checks it
// before reading the rest. A change that removes or retypes a field bumps the version; new fields
// may be added to a version.
//
// mlpipe.run/1 (`run --json`, `sweep --json`)
//   { format: 'mlpipe.run/1',
//     pipeline: string, runId: string,            // a sweep: the sweep id
//     status: 'ok' | 'failed' | 'interrupted',
//     runDir: string,                              // absolute: the run folder (a sweep: the sweep folder)
//     report: string | null,                       // absolute: its report.html (a sweep: sweep.html);
//                                                  // null when it could not be made (see reportError
//                                                  // in manifest.json / sweep.json)
//     backend: string, cacheRoot: string,          // absolute
//     computed: number,                            // stages computed by this run (the rest were hits)
//     stages: [{ id: string,                       // a sweep: stage instance ids (`confident@v1+v2`)
//                type: string,
//                status: 'hit' | 'miss' | 'failed' | 'skipped' | 'interrupted',
//                key: string | null,               // null: no key was computed (skipped, not started)
//                ms: number,                       // this run's time for the stage, rounded
//                computeMs: number | null, storeMs: number | null, // the cache entry's timings
//                metrics: object | null,           // null: the stage has no result
//                pictures: string[],               // PNG paths relative to runDir
//                error: string | null }],
//     sweep?: { id: string,                        // only for a sweep
//               variants: [{ id: string, values: { 'stage.param': value }, status, runDir: string,
//                            metrics: { 'stage.metric': number } }] } }
//
// mlpipe.plan/1 (`plan --json`)
//   { format: 'mlpipe.plan/1', pipeline: string, backend: string, cacheRoot: string,
//     variants?: number,                           // only for a sweep: how many variants
//     stages: [{ id: string, type: string,
//                status: 'hit' | 'miss' | 'forced' | 'pending',
//                key: string | null,               // null for pending: the key needs upstream outputs
//                nearest?: { key: string, pipeline: string, stageId: string, created: string },
//                                                  // the cached entry a miss (or pending stage) is compared with
//                reasons: string[] }],             // what differs from `nearest`, as in the text output
//     counts: { total: number, cached: number, toCompute: number } }
//
// mlpipe.why/1 (`why --json`): the shape of mlpipe.plan/1 with format 'mlpipe.why/1', plus
//   stage: string | null (the STAGE argument); `stages` and `counts` hold the rows the text output
//   shows (only STAGE when given).
//
// Numbers that are not finite (a NaN or Infinity metric) are written as null: that is what
// JSON.stringify does, and it keeps the output valid JSON.
import { basename } from 'node:path';
import type { PlanResult, PlanRow } from '../runner/plan.js';
import type { RunManifest } from '../runner/run-record.js';
import type { RunResult } from '../runner/run.js';
import { lastUseOf } from '../store/entry.js';

export const RUN_FORMAT = 'mlpipe.run/1';
export const PLAN_FORMAT = 'mlpipe.plan/1';
export const WHY_FORMAT = 'mlpipe.why/1';

export interface RunJsonStage {
  id: string;
  type: string;
  status: RunManifest['stages'][string]['status'];
  key: string | null;
  ms: number;
  computeMs: number | null;
  storeMs: number | null;
  metrics: unknown;
  pictures: string[];
  error: string | null;
}

export interface RunJson {
  format: typeof RUN_FORMAT;
  pipeline: string;
  runId: string;
  status: RunManifest['status'];
  runDir: string;
  /** report.html (a sweep: sweep.html), absolute; null when it could not be made. */
  report: string | null;
  backend: string;
  cacheRoot: string;
  computed: number;
  stages: RunJsonStage[];
  sweep?: {
    id: string;
    variants: Array<{ id: string; values: Record<string, unknown>; status: RunManifest['status']; runDir: string; metrics: Record<string, number> }>;
  };
}

export interface PlanJsonStage {
  id: string;
  type: string;
  status: PlanRow['status'];
  key: string | null;
  nearest?: { key: string; pipeline: string; stageId: string; created: string };
  reasons: string[];
}

export interface PlanJson {
  format: typeof PLAN_FORMAT;
  pipeline: string;
  backend: string;
  cacheRoot: string;
  variants?: number;
  stages: PlanJsonStage[];
  counts: { total: number; cached: number; toCompute: number };
}

export type WhyJson = Omit<PlanJson, 'format'> & { format: typeof WHY_FORMAT; stage: string | null };

/** The one way these documents are printed. */
export const toJsonText = (doc: RunJson | PlanJson | WhyJson): string => JSON.stringify(doc, null, 2);

function stageRow(id: string, row: RunManifest['stages'][string], pictures: string[]): RunJsonStage {
  return {
    id,
    type: row.type,
    status: row.status,
    key: row.key ?? null,
    ms: row.ms,
    computeMs: row.computeMs ?? null,
    storeMs: row.storeMs ?? null,
    metrics: row.metrics ?? null,
    pictures,
    error: row.error ?? null,
  };
}

/** mlpipe.run/1 from what runPipeline returned (its manifests and outcomes). */
export function runJson(result: RunResult): RunJson {
  const { manifest } = result;
  const status: RunManifest['status'] = result.interrupted ? 'interrupted' : result.ok ? 'ok' : 'failed';
  const base = {
    format: RUN_FORMAT,
    pipeline: manifest.pipeline,
    status,
    runDir: result.runDir,
    report: result.report ?? null,
    backend: manifest.backend,
    cacheRoot: result.cacheRoot,
    computed: result.computed,
  };
  if (!result.sweep) {
    const stages = [...result.outcomes.keys()].map((id) => {
      const row = manifest.stages[id];
      return stageRow(id, row, row.pictures ?? []);
    });
    return { ...base, format: RUN_FORMAT, runId: manifest.runId, stages };
  }
  const { graph, rows, manifests } = result.sweep;
  const sweepId = basename(result.runDir);
  const stages = [...result.outcomes.keys()].map((id) => {
    // An instance's row in the first variant that uses it; its pictures are in that variant's folder.
    for (const [i, v] of graph.variants.entries()) {
      const stageId = Object.keys(v.nodeOf).find((sid) => v.nodeOf[sid] === id);
      const row = stageId === undefined ? undefined : manifests[i].stages[stageId];
      if (row)
        return stageRow(
          id,
          row,
          (row.pictures ?? []).map((p) => `${v.variant.id}/${p}`),
        );
    }
    const o = result.outcomes.get(id)!;
    return stageRow(id, { type: graph.nodes.get(id)?.def.type ?? '', status: o.status, key: o.key, ms: Math.round(o.ms), error: o.error?.message }, []);
  });
  return {
    ...base,
    format: RUN_FORMAT,
    runId: sweepId,
    stages,
    sweep: { id: sweepId, variants: rows.map((r) => ({ id: r.variant, values: r.values, status: r.status, runDir: r.runDir, metrics: r.metrics })) },
  };
}

function planStages(rows: PlanRow[]): Pick<PlanJson, 'stages' | 'counts'> {
  const stages = rows.map((r): PlanJsonStage => {
    const row: PlanJsonStage = { id: r.id, type: r.type, status: r.status, key: r.key ?? null, reasons: [...r.reasons] };
    if (r.nearest) {
      const use = lastUseOf(r.nearest);
      row.nearest = { key: r.nearest.key, pipeline: use.pipeline, stageId: use.stageId, created: r.nearest.created };
    }
    return row;
  });
  const cached = rows.filter((r) => r.status === 'hit').length;
  return { stages, counts: { total: rows.length, cached, toCompute: rows.length - cached } };
}

/** mlpipe.plan/1 from planPipeline's result. */
export function planJson(plan: PlanResult): PlanJson {
  const doc: PlanJson = {
    format: PLAN_FORMAT,
    pipeline: plan.pipeline,
    backend: plan.backend,
    cacheRoot: plan.cacheRoot,
    stages: [],
    counts: { total: 0, cached: 0, toCompute: 0 },
  };
  if (plan.variants !== undefined) doc.variants = plan.variants;
  return Object.assign(doc, planStages(plan.rows));
}

/** mlpipe.why/1: the rows `why` explains (already filtered by STAGE). */
export function whyJson(args: { pipeline: string; backend: string; cacheRoot: string; variants?: number; stage?: string; rows: PlanRow[] }): WhyJson {
  const doc: WhyJson = {
    format: WHY_FORMAT,
    pipeline: args.pipeline,
    backend: args.backend,
    cacheRoot: args.cacheRoot,
    stage: args.stage ?? null,
    stages: [],
    counts: { total: 0, cached: 0, toCompute: 0 },
  };
  if (args.variants !== undefined) doc.variants = args.variants;
  return Object.assign(doc, planStages(args.rows));
}

const SHAPE_NOTE = 'Nothing else is printed on stdout; errors go to stderr. Non-finite numbers (NaN metrics) are written as null.';

/** --help text: the shapes, for `run`/`sweep`, `plan` and `why`. */
export const RUN_JSON_HELP = `
--json prints one JSON document when the run ends, with no progress display (${RUN_FORMAT}):
  { "format": "${RUN_FORMAT}", "pipeline", "runId", "status": "ok"|"failed"|"interrupted",
    "runDir", "report" (report.html, a sweep: sweep.html; null if not written), "backend", "cacheRoot", "computed",
    "stages": [{ "id", "type", "status": "hit"|"miss"|"failed"|"skipped"|"interrupted", "key",
                 "ms", "computeMs", "storeMs", "metrics", "pictures": [paths relative to runDir], "error" }],
    "sweep": { "id", "variants": [{ "id", "values", "status", "runDir", "metrics" }] } }  (a sweep only;
  then "stages" holds stage instance ids). Absent values are null. ${SHAPE_NOTE}`;

export const PLAN_JSON_HELP = `
--json prints one JSON document (${PLAN_FORMAT}):
  { "format": "${PLAN_FORMAT}", "pipeline", "backend", "cacheRoot", "variants" (a sweep only),
    "stages": [{ "id", "type", "status": "hit"|"miss"|"forced"|"pending", "key" (null when pending),
                 "nearest": { "key", "pipeline", "stageId", "created" } (when there is one), "reasons": [..] }],
    "counts": { "total", "cached", "toCompute" } }
  ${SHAPE_NOTE}`;

export const WHY_JSON_HELP = `
--json prints one JSON document (${WHY_FORMAT}): the shape of plan --json (${PLAN_FORMAT}) plus
  "stage" (the STAGE argument, or null), holding the rows the text shows:
  { "format": "${WHY_FORMAT}", "pipeline", "backend", "cacheRoot", "stage", "variants" (a sweep only),
    "stages": [{ "id", "type", "status", "key", "nearest"?, "reasons" }], "counts": { "total", "cached", "toCompute" } }
  ${SHAPE_NOTE}`;
