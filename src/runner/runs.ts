// The run folders under a runs root, read back as records, and the one place where a run id a
// user typed becomes a folder. A run is runs/<pipeline>/<run-id>/manifest.json; a sweep is
// runs/<pipeline>/<sweep-id>/sweep.json with a run folder per variant under it. A file that cannot
// be read becomes a record that says so, never an exception: a listing always finishes.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../config/errors.js';
import { levenshtein } from '../config/suggest.js';
import { canonicalJson } from '../keys/hash.js';
import type { RunManifest } from './run-record.js';
import type { SweepRow } from './sweep-report.js';

/** The report pages of a run folder and of a sweep folder, as their writers name them. */
export const RUN_REPORT = 'report.html';
export const SWEEP_REPORT = 'sweep.html';

/** A record file bigger than this is not one we wrote: reading it whole is not worth the memory. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** sweep.json. `instances`: stage instance id -> status in the sweep, each shared instance once;
 * `reportError`: why sweep.html could not be made. */
export interface SweepFile {
  pipeline: string;
  sweepId: string;
  started: string;
  backend?: string;
  instances?: Record<string, string>;
  variants: SweepRow[];
  reportError?: string;
}

/** `id` as the records name it: the manifest's runId (`SWEEP-ID/VARIANT` for a variant), the
 * sweep's id. `dir` absolute. `started`: ISO time, for newest-first order (when a record cannot
 * say, the time its id starts with, else the file's). */
type Common = { pipeline: string; id: string; dir: string; started: string };

/** A run's manifest; `sweepId` set for a sweep variant. */
export interface RunInfo extends Common {
  kind: 'run';
  manifest: RunManifest;
  sweepId?: string;
}

/** A record that cannot be read: the file (`path`) and why. */
export interface DamagedInfo extends Common {
  kind: 'damaged';
  path: string;
  reason: string;
}

/** `sweep` undefined when sweep.json is missing or unreadable (`problem` says which): the
 * variants found in the folder are still there. */
export interface SweepInfo extends Common {
  kind: 'sweep';
  sweep?: SweepFile;
  problem?: string;
  variants: (RunInfo | DamagedInfo)[];
}

export type RunFolder = RunInfo | SweepInfo | DamagedInfo;

type Read<T> = { value: T } | { reason: string };

const statOf = (path: string) => {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
};
const isDir = (path: string): boolean => statOf(path)?.isDirectory() ?? false;
const mtimeOf = (path: string): string => statOf(path)?.mtime.toISOString() ?? '';
/** When a record cannot say: the time a run id starts with (newRunId's UTC time), else the file's. */
const timeOf = (id: string, path: string): string => {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)-(\d{3})/.exec(id);
  return m ? `${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z` : mtimeOf(path);
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);

function readJson(path: string): Read<unknown> {
  try {
    const size = statSync(path).size;
    if (size > MAX_RECORD_BYTES) return { reason: `${size} bytes, more than any record this tool writes` };
    return { value: JSON.parse(readFileSync(path, 'utf8')) };
  } catch (err) {
    return { reason: (err as Error).message };
  }
}

/** The fields every reader of a manifest relies on; a hand-edited or truncated one names what is missing. */
function manifestProblem(m: unknown): string | undefined {
  if (!isObject(m)) return 'not a JSON object';
  for (const f of ['pipeline', 'runId', 'started', 'status'] as const) if (typeof m[f] !== 'string') return `no "${f}"`;
  if (!isObject(m.stages)) return 'no "stages"';
  for (const [id, s] of Object.entries(m.stages)) if (!isObject(s) || typeof s.status !== 'string') return `stage "${id}" has no status`;
  return undefined;
}

const subfolders = (dir: string): string[] => {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  } catch {
    return [];
  }
};

/** One run folder's manifest, or what is wrong with it. */
export function readRun(dir: string, fallback: { pipeline: string; id: string; sweepId?: string }): RunInfo | DamagedInfo {
  const path = join(dir, 'manifest.json');
  const read = readJson(path);
  const problem = 'reason' in read ? read.reason : manifestProblem(read.value);
  if (problem !== undefined)
    return { kind: 'damaged', pipeline: fallback.pipeline, id: fallback.id, dir, started: timeOf(fallback.id, path), path, reason: problem };
  const manifest = (read as { value: RunManifest }).value;
  return { kind: 'run', pipeline: manifest.pipeline, id: manifest.runId, dir, started: manifest.started, manifest, sweepId: fallback.sweepId };
}

function readSweep(dir: string, pipeline: string, id: string): SweepInfo {
  const path = join(dir, 'sweep.json');
  let sweep: SweepFile | undefined;
  let problem: string | undefined;
  if (!existsSync(path)) problem = 'sweep.json is missing (the sweep did not finish)';
  else {
    const read = readJson(path);
    if ('reason' in read) problem = `${path}: ${read.reason}`;
    else if (!isObject(read.value) || !Array.isArray(read.value.variants)) problem = `${path}: no "variants" list`;
    else sweep = read.value as unknown as SweepFile;
  }
  // The variants in the sweep's order, then any other variant folder found beside them.
  // (A hand-edited variant name is not followed out of the folder.)
  const listed = (sweep?.variants ?? [])
    .map((v) => v?.variant)
    .filter((v) => typeof v === 'string' && /^[^/\\]+$/.test(v) && v !== '..' && isDir(join(dir, v)));
  const others = subfolders(dir).filter((v) => !listed.includes(v) && existsSync(join(dir, v, 'manifest.json')));
  const sweepId = str(sweep?.sweepId, id);
  const variants = [...listed, ...others].map((v) => readRun(join(dir, v), { pipeline, id: `${sweepId}/${v}`, sweepId }));
  const started = str(sweep?.started, timeOf(sweepId, dir));
  return { kind: 'sweep', pipeline: str(sweep?.pipeline, pipeline), id: sweepId, dir, started, sweep, problem, variants };
}

/** The record of one folder, or undefined when it holds no run. `orphans`: a folder of variant
 * folders without sweep.json (a sweep that did not finish) counts as a sweep; only where a run
 * folder is expected, since a pipeline's folder looks the same. */
export function readRunFolder(dir: string, pipeline: string, id: string, orphans = false): RunFolder | undefined {
  if (existsSync(join(dir, 'manifest.json'))) {
    // A variant's folder: its parent is the sweep's.
    const parent = dirname(dir);
    const inSweep = existsSync(join(parent, 'sweep.json'));
    return readRun(dir, inSweep ? { pipeline: basename(dirname(parent)), id: `${basename(parent)}/${id}`, sweepId: basename(parent) } : { pipeline, id });
  }
  if (existsSync(join(dir, 'sweep.json')) || (orphans && subfolders(dir).some((v) => existsSync(join(dir, v, 'manifest.json'))))) {
    return readSweep(dir, pipeline, id);
  }
  return undefined;
}

/** `root` absolute; `records`: runs and sweeps (holding their variants), newest first;
 * `pipelines`: every pipeline folder under the root, filtered or not. */
export type RunListing = { root: string; records: RunFolder[]; pipelines: string[] };

const newestFirst = (a: RunFolder, b: RunFolder) => b.started.localeCompare(a.started) || b.id.localeCompare(a.id);

export function listRuns(runsRoot: string, filter: { pipeline?: string } = {}): RunListing {
  const root = resolve(runsRoot);
  const pipelines = subfolders(root);
  const records: RunFolder[] = [];
  for (const p of pipelines) {
    if (filter.pipeline !== undefined && p !== filter.pipeline) continue;
    for (const id of subfolders(join(root, p))) {
      const r = readRunFolder(join(root, p, id), p, id, true);
      if (r) records.push(r);
    }
  }
  return { root, records: records.sort(newestFirst), pipelines };
}

/** Each variant's manifest status rolled up: one failed variant fails the sweep. */
export function sweepStatus(r: SweepInfo): RunManifest['status'] | 'damaged' {
  const statuses = r.variants.map((v) => (v.kind === 'run' ? v.manifest.status : 'damaged'));
  if (statuses.includes('interrupted')) return 'interrupted';
  if (statuses.includes('failed')) return 'failed';
  if (r.problem || statuses.includes('damaged') || statuses.length === 0) return 'damaged';
  return 'ok';
}

export type StageCounts = { computed: number; cached: number; failed: number };

/** Computed (miss) and cached (hit) stages; for a sweep, each shared stage instance once. */
export function stageCounts(r: RunInfo | SweepInfo): StageCounts {
  const statuses = r.kind === 'run' ? Object.values(r.manifest.stages).map((s) => s.status) : r.sweep?.instances ? Object.values(r.sweep.instances) : [];
  const n = (status: string) => statuses.filter((s) => s === status).length;
  return { computed: n('miss'), cached: n('hit'), failed: n('failed') };
}

/** The report page a run folder (report.html) or a sweep folder (sweep.html) holds. */
export const reportPath = (r: RunFolder): string => join(r.dir, r.kind === 'sweep' ? SWEEP_REPORT : RUN_REPORT);

/** Every way a record can be named, as path parts, with the index of the run id's part: the one
 * part a unique prefix may stand for. */
function namesOf(records: RunFolder[]): { parts: string[]; at: number; record: RunFolder }[] {
  const out: { parts: string[]; at: number; record: RunFolder }[] = [];
  for (const r of records) {
    out.push({ parts: [r.id], at: 0, record: r }, { parts: [r.pipeline, r.id], at: 1, record: r });
    if (r.kind !== 'sweep') continue;
    for (const v of r.variants) {
      const variant = v.id.slice(v.id.lastIndexOf('/') + 1);
      out.push({ parts: [r.id, variant], at: 0, record: v }, { parts: [r.pipeline, r.id, variant], at: 1, record: v });
    }
  }
  return out;
}

/** The ids nearest to a mistyped one: run ids are times, so the longest shared start wins, then the edit distance. */
function closestIds(typed: string, names: { parts: string[] }[], n = 3): string[] {
  const depth = typed.split('/').length;
  const same = names.filter((x) => x.parts.length === depth).map((x) => x.parts.join('/'));
  const pool = [...new Set(same.length ? same : names.filter((x) => x.parts.length === 1).map((x) => x.parts[0]))];
  const shared = (id: string) => {
    const i = [...id].findIndex((c, j) => c !== typed[j]);
    return i < 0 ? id.length : i;
  };
  const score = (id: string) => [-shared(id), levenshtein(typed.slice(0, 64), id.slice(0, 64))];
  return pool
    .map((id) => ({ id, s: score(id) }))
    .sort((a, b) => a.s[0] - b.s[0] || a.s[1] - b.s[1] || a.id.localeCompare(b.id))
    .slice(0, n)
    .map((x) => x.id);
}

const shownIds = (ids: string[], max = 8) => `${ids.slice(0, max).join(', ')}${ids.length > max ? `, ... (${ids.length - max} more)` : ''}`;

/** What a user typed as a run, as its record: RUN-ID, RUN-ID/VARIANT, PIPELINE/RUN-ID,
 * PIPELINE/RUN-ID/VARIANT (ids as the manifests record them), a unique prefix of the run id in
 * any of these, or the path of a run, sweep or variant folder. An id with `..` is refused: it
 * never leads out of the runs root. `shownRoot` is how messages name the root. */
export function findRun(runsRoot: string, as: string, shownRoot = runsRoot): RunFolder {
  // A trailing slash is what shell completion of a folder leaves.
  const typed = as.length > 1 ? as.replace(/[/\\]+$/, '') : as;
  const parts = typed.split(/[/\\]/);
  const root = resolve(runsRoot);
  const pipelines = subfolders(root);
  if (typed && !parts.some((p) => p === '' || p === '.' || p === '..')) {
    const under = (rest: string[]) => pipelines.map((p) => ({ dir: join(root, p, ...rest), pipeline: p }));
    const here = { dir: join(root, ...parts), pipeline: parts[0] };
    const tries = [under(parts), [...under(parts), here], [here]][parts.length - 1] ?? [];
    const found = tries.flatMap(({ dir, pipeline }) => {
      const r = isDir(dir) ? readRunFolder(dir, pipeline, basename(dir), true) : undefined;
      return r ? [r] : [];
    });
    // Most specific reading first (a variant before a pipeline's run), as `cache show` always did;
    // only the same id in two pipelines is ambiguous.
    const sameDepth = found.filter((r) => r.id.split('/').length === found[0]?.id.split('/').length);
    if (sameDepth.length > 1)
      throw new UsageError(`run ${typed} is in ${sameDepth.length} pipelines: name one (${shownIds(sameDepth.map((r) => `${r.pipeline}/${r.id}`))})`);
    if (found.length) return found[0];
  }
  // A path to a run folder, relative to the working directory or absolute: a path, unlike an id,
  // may go up (`..`), since it names the folder itself.
  if (typed && isDir(resolve(typed))) {
    const dir = resolve(typed);
    const r = readRunFolder(dir, basename(dirname(dir)), basename(dir));
    if (r) return r;
  }
  if (parts.includes('..')) throw new UsageError(`run "${typed}": ".." is not allowed in a run id (a path must name a run folder)`);
  const names = namesOf(listRuns(root).records);
  const matches = [
    ...new Set(
      names
        .filter((x) => x.parts.length === parts.length && x.parts.every((p, i) => (i === x.at ? p.startsWith(parts[i]) && parts[i] !== '' : p === parts[i])))
        .map((x) => x.record),
    ),
  ];
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) throw new UsageError(`run id ${typed} is ambiguous: ${matches.length} runs start with it (${shownIds(matches.map((r) => r.id))})`);
  const near = closestIds(typed, names);
  const hint = near.length ? `; closest: ${near.join(', ')} (see \`pipeline runs ls\`)` : '; there are no runs there';
  throw new UsageError(`no run ${typed} under ${shownRoot}/ (use --runs DIR)${hint}`);
}

/** A config as `path -> value`: a stage's `with:` params as `stage.param`, its other keys as
 * `stage.uses`, `stage.inputs.NAME`; top-level keys as they are. Arrays are values. */
export function flattenConfig(config: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (prefix: string, v: unknown): void => {
    if (isObject(v) && Object.keys(v).length) for (const [k, x] of Object.entries(v)) walk(`${prefix}.${k}`, x);
    else out.set(prefix, v);
  };
  const { stages, ...rest } = isObject(config) ? config : {};
  for (const [k, v] of Object.entries(rest)) walk(k, v);
  if (!isObject(stages)) return stages === undefined ? out : out.set('stages', stages);
  for (const [id, stage] of Object.entries(stages)) {
    const params = isObject(stage) && isObject(stage.with) ? stage.with : {};
    for (const [p, x] of Object.entries(params)) walk(`${id}.${p}`, x);
    // A param named like a stage key (`uses`, `inputs`) leaves the long form to the key.
    for (const [k, x] of Object.entries(isObject(stage) ? stage : {})) if (k !== 'with') walk(Object.hasOwn(params, k) ? `stages.${id}.${k}` : `${id}.${k}`, x);
  }
  return out;
}

/** `differing`: the paths whose value is not the same in every config (absent counts as a
 * value), in first-seen order; `equal`: how many have one value in all of them. */
export type ParamDiff = { differing: { path: string; values: unknown[] }[]; equal: number };

export function diffConfigs(configs: unknown[]): ParamDiff {
  const flat = configs.map(flattenConfig);
  const paths = [...new Set(flat.flatMap((f) => [...f.keys()]))];
  const same = (path: string) => new Set(flat.map((f) => (f.has(path) ? canonicalJson(f.get(path)) : '\u0000absent'))).size === 1;
  const differing = paths.filter((path) => !same(path)).map((path) => ({ path, values: flat.map((f) => f.get(path)) }));
  return { differing, equal: paths.length - differing.length };
}
