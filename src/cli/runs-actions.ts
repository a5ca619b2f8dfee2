// The actions of `pipeline runs ls|show|compare` and `pipeline report` (registered in
// runs-commands.ts, imported when one of them runs).
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { UsageError } from '../config/errors.js';
import { diffConfigs, findRun, listRuns, type RunFolder, type RunInfo, reportPath, stageCounts, sweepStatus } from '../runner/runs.js';
import { reportError } from './common.js';
import { COMPARE_FORMAT, RUN_RECORD_FORMAT, RUNS_FORMAT } from './runs-commands.js';
import { compareMetrics, formatCompare, formatDamaged, formatRunList, formatRunShow, formatSweepShow, metricsOf } from './runs-view.js';

const fail = (err: unknown): void => {
  process.exitCode = reportError(err);
};

/** Not bad input (exit 1): the record is there but cannot be read. */
class RecordError extends Error {}

const existing = (path: string) => (existsSync(path) ? path : null);

/** One row of mlpipe.runs/1. */
function lsJson(r: RunFolder): Record<string, unknown> {
  const base = { kind: r.kind, id: r.id, pipeline: r.pipeline, dir: r.dir, started: r.started || null };
  if (r.kind === 'damaged')
    return {
      ...base,
      status: 'damaged',
      counts: { computed: 0, cached: 0, failed: 0 },
      metrics: {},
      report: existing(reportPath(r)),
      error: `${r.path}: ${r.reason}`,
    };
  const { computed, cached, failed } = stageCounts(r);
  const common = { counts: { computed, cached, failed }, report: existing(reportPath(r)) };
  if (r.kind === 'run') return { ...base, status: r.manifest.status, ...common, metrics: metricsOf(r.manifest), error: null };
  return { ...base, status: sweepStatus(r), ...common, metrics: {}, error: r.problem ?? null, variants: r.variants.map(lsJson) };
}

/** A run id, refused when its record cannot be read. */
function readable(runsRoot: string, id: string): Exclude<RunFolder, { kind: 'damaged' }> {
  const r = findRun(runsRoot, id);
  if (r.kind === 'damaged') throw new RecordError(formatDamaged(r));
  return r;
}

/** The runs to compare, in the order given, a sweep standing for its variants; each once. */
function runsToCompare(runsRoot: string, ids: string[]): RunInfo[] {
  const out = new Map<string, RunInfo>();
  for (const id of ids) {
    const r = readable(runsRoot, id);
    const runs = r.kind === 'sweep' ? r.variants : [r];
    for (const v of runs) {
      if (v.kind === 'damaged') throw new RecordError(formatDamaged(v));
      out.set(v.dir, v);
    }
  }
  if (out.size < 2) throw new UsageError(`compare needs two runs or more (got ${out.size}: ${[...out.values()].map((r) => r.id).join(', ') || 'none'})`);
  return [...out.values()];
}

/** The system's opener for a file: $PIPELINE_OPENER (one executable, given the path), else
 * `open` (macOS), `cmd /c start` (Windows) or `xdg-open`. */
export function openerFor(path: string, platform = process.platform, env = process.env): { command: string; args: string[]; verbatim?: boolean } {
  if (env.PIPELINE_OPENER) return { command: env.PIPELINE_OPENER, args: [path] };
  if (platform === 'darwin') return { command: 'open', args: [path] };
  // `start` takes its first quoted argument as a window title, hence the empty one; cmd parses
  // the line itself, so it is passed as written.
  if (platform === 'win32') return { command: env.ComSpec ?? 'cmd.exe', args: ['/d', '/s', '/c', `start "" "${path}"`], verbatim: true };
  return { command: 'xdg-open', args: [path] };
}

function onPath(command: string, env = process.env): boolean {
  const isFile = (p: string) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (isAbsolute(command) || command.includes('/') || command.includes('\\')) return isFile(command);
  const exts = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  return (env.PATH ?? '').split(delimiter).some((dir) => dir && exts.some((e) => isFile(join(dir, command + e))));
}

/** Start the opener and leave it running on its own; resolves once it started (or could not). */
function launch(opener: ReturnType<typeof openerFor>): Promise<Error | undefined> {
  return new Promise((done) => {
    const child = spawn(opener.command, opener.args, { detached: true, stdio: 'ignore', windowsVerbatimArguments: opener.verbatim });
    child.once('error', done);
    child.once('spawn', () => {
      child.unref();
      done(undefined);
    });
  });
}

export function runsLs(flags: { pipeline?: string; json?: boolean; runs: string }): void {
  try {
    const listing = listRuns(flags.runs, { pipeline: flags.pipeline });
    if (flags.json) console.log(JSON.stringify({ format: RUNS_FORMAT, runsRoot: listing.root, runs: listing.records.map(lsJson) }, null, 2));
    else console.log(formatRunList(listing, { pipeline: flags.pipeline, width: process.stdout.isTTY ? process.stdout.columns : undefined }));
  } catch (err) {
    fail(err);
  }
}

export function runsShow(id: string, flags: { json?: boolean; runs: string }): void {
  try {
    const r = readable(flags.runs, id);
    if (!flags.json) console.log(r.kind === 'run' ? formatRunShow(r) : formatSweepShow(r));
    else {
      const base = { format: RUN_RECORD_FORMAT, kind: r.kind, id: r.id, pipeline: r.pipeline, dir: r.dir, report: existing(reportPath(r)) };
      const rest = r.kind === 'run' ? { manifest: r.manifest } : { sweep: r.sweep ?? null, variants: r.variants.map(lsJson) };
      console.log(JSON.stringify({ ...base, ...rest }, null, 2));
    }
  } catch (err) {
    fail(err);
  }
}

export function runsCompare(ids: string[], flags: { json?: boolean; runs: string }): void {
  try {
    const list = runsToCompare(flags.runs, ids);
    const params = diffConfigs(list.map((r) => r.manifest.config));
    if (!flags.json) console.log(formatCompare(list, params));
    else {
      const doc = {
        format: COMPARE_FORMAT,
        runs: list.map((r) => ({ id: r.id, pipeline: r.pipeline, dir: r.dir, status: r.manifest.status })),
        params: { differing: params.differing.map((d) => ({ path: d.path, values: d.values.map((v) => v ?? null) })), equal: params.equal },
        metrics: compareMetrics(list),
      };
      console.log(JSON.stringify(doc, null, 2));
    }
  } catch (err) {
    fail(err);
  }
}

export async function reportAction(id: string, flags: { open?: boolean; runs: string }): Promise<void> {
  try {
    const r = findRun(flags.runs, id);
    const path = reportPath(r);
    if (!existsSync(path)) {
      // The writer notes why a page could not be made; without a note, the run is older than reports.
      const note = r.kind === 'run' ? (r.manifest as { reportError?: string }).reportError : r.kind === 'sweep' ? r.sweep?.reportError : undefined;
      const why = note ?? 'runs made before reports existed have none';
      console.error(`error: ${path} is missing: ${why} (running the pipeline again makes one, from the cache)`);
      process.exitCode = 1;
      return;
    }
    console.log(path);
    if (!flags.open) return;
    const opener = openerFor(path);
    const failed = onPath(opener.command) ? await launch(opener) : new Error(`${opener.command} is not on PATH`);
    if (failed) {
      console.error(`no opener found (${failed.message}): open the file yourself, or set PIPELINE_OPENER to a program that opens it`);
      process.exitCode = 1;
    }
  } catch (err) {
    fail(err);
  }
}
