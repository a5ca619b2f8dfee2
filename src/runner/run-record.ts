// The run folder: runs/<pipeline>/<run-id>/ with manifest.json (config, keys, hit/miss, timings,
// backend, versions), each stage's metrics and pictures, and report.html (all of it in one page).
// Written for hits too, so every run folder is complete on its own.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CorruptBlobError } from '../store/blob-store.js';
import type { RunCache } from '../store/run-cache.js';
import { sha256 } from '../keys/hash.js';
import type { GreyImage } from '../render/grid.js';
import type { Graph } from '../graph/graph.js';
import { FileMemo } from '../report/memo.js';
import { keptPackageTree, withSvgMemo } from '../report/plots.js';
import { renderRunReport } from '../report/run-report.js';
import type { ReportPicture, ReportRun, ReportStage } from '../report/types.js';
import type { StageOutcome } from './executor.js';
import { packageInfo } from './package-info.js';

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** Write a small file atomically (temp file in the same folder, then rename). */
export function writeFileAtomic(path: string, data: string): void {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-').replace('Z', '')}-${randomBytes(2).toString('hex')}`;
}

export interface RunManifest {
  pipeline: string;
  runId: string;
  started: string;
  finished: string;
  status: 'ok' | 'failed' | 'interrupted';
  backend: string;
  versions: Record<string, string | undefined>;
  files: string[];
  config: unknown;
  stages: Record<
    string,
    {
      type: string;
      status: StageOutcome['status'];
      key?: string;
      ms: number;
      computeMs?: number;
      storeMs?: number;
      metrics?: unknown;
      pictures?: string[];
      error?: string;
    }
  >;
  /** Set when report.html could not be made: the run's results stand without it. */
  reportError?: string;
}

export interface RunRecord {
  manifest: RunManifest;
  /** What report.html was made from (the sweep report reuses it). */
  report: ReportRun;
  /** report.html, absolute; undefined when it could not be made (manifest.reportError says why). */
  reportPath?: string;
}

/** The folder of the cache root that keeps report parts, plots' SVGs and pictures' PNGs (see
 * report/memo.ts: no cache entries, gc and verify leave it alone). A re-run of cached stages makes
 * the same parts: reusing them spares loading vega and encoding the PNGs again. */
export const REPORT_MEMO_FOLDER = 'report-memo';

let encoderId: string | undefined;
/** What makes a PNG's bytes: render/png.ts, pngjs (and what it depends on) and Node's zlib. */
function pngEncoder(memo: FileMemo): string {
  encoderId ??= sha256(
    JSON.stringify({
      png: sha256(readFileSync(new URL(`../render/png.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url))),
      packages: keptPackageTree(['pngjs'], dirname(fileURLToPath(import.meta.url)), memo),
      zlib: process.versions.zlib,
    }),
  );
  return encoderId;
}

/** encodePng of a picture whose pixels are the blob `hash` (read and checked by loadPicture), by
 * way of the memo; the encoder (pngjs) is imported only when a picture is not kept. */
async function pictureBytes(img: GreyImage, hash: string, memo: FileMemo): Promise<Buffer> {
  const encode = async () => (await import('../render/png.js')).encodePng(img);
  let name: string;
  try {
    name = `${sha256(JSON.stringify([pngEncoder(memo), hash, img.width, img.height]))}.png`;
  } catch {
    return encode();
  }
  const kept = memo.get(name);
  if (kept) return kept;
  const png = await encode();
  memo.set(name, png);
  return png;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The param schema defaults of a stage type: `params.properties[k].default`. */
function schemaDefaults(params: Record<string, unknown>): Record<string, unknown> {
  const props = (params.properties ?? {}) as Record<string, { default?: unknown } | undefined>;
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(props)) if (p && 'default' in p) out[k] = p.default;
  return out;
}

function reportInput(manifest: RunManifest, graph: Graph, pictures: Record<string, ReportPicture[]>): ReportRun {
  const stages = Object.entries(manifest.stages).map(([id, row]): ReportStage => {
    const node = graph.nodes.get(id);
    return {
      id,
      type: row.type,
      status: row.status,
      key: row.key,
      ms: row.ms,
      computeMs: row.computeMs,
      storeMs: row.storeMs,
      inputs: Object.fromEntries(Object.entries(node?.inputs ?? {}).map(([k, r]) => [k, `${r.stage}.${r.output}`])),
      params: node?.params ?? {},
      defaults: node ? schemaDefaults(node.def.params) : {},
      metrics: row.metrics,
      pictures: pictures[id] ?? [],
      error: row.error,
    };
  });
  const { pipeline, runId, status, started, finished, backend, files } = manifest;
  const seed = [...graph.nodes.values()][0]?.seed;
  return { pipeline, runId, status, started, finished, backend, seed, files, stages };
}

export async function writeRunRecord(args: {
  dir: string;
  manifest: Omit<RunManifest, 'stages' | 'versions' | 'finished' | 'status'>;
  outcomes: Map<string, StageOutcome>;
  /** The run's graph (a sweep: the variant's): stage types, params and their schema defaults. */
  graph: Graph;
  cache: RunCache;
  /** A sweep variant: its report links back to the sweep's page. */
  inSweep?: boolean;
}): Promise<RunRecord> {
  const { dir, outcomes, cache, graph } = args;
  mkdirSync(dir, { recursive: true });
  const memo = new FileMemo(join(cache.root, REPORT_MEMO_FOLDER));
  const stages: RunManifest['stages'] = {};
  const pictures: Record<string, ReportPicture[]> = {};
  for (const [id, o] of outcomes) {
    const row: RunManifest['stages'][string] = { type: graph.nodes.get(id)!.def.type, status: o.status, key: o.key, ms: Math.round(o.ms) };
    if (o.error) row.error = o.error.message;
    if (o.entry) {
      const stageDir = join(dir, id);
      mkdirSync(stageDir, { recursive: true });
      row.metrics = o.entry.metrics;
      row.computeMs = Math.round(o.entry.timings.computeMs);
      row.storeMs = Math.round(o.entry.timings.storeMs);
      writeFileSync(join(stageDir, 'metrics.json'), `${JSON.stringify(o.entry.metrics, null, 2)}\n`);
      row.pictures = [];
      const written: ReportPicture[] = [];
      pictures[id] = written;
      for (const [name, ref] of Object.entries(o.entry.pictures)) {
        let img = o.pictures?.[name];
        try {
          img ??= cache.loadPicture(ref);
        } catch (err) {
          // Damaged since the lookup checked it (a concurrent gc or verify): the results stand;
          // the next run recomputes the stage.
          if (!(err instanceof CorruptBlobError)) throw err;
          row.error = `picture ${name} not written: ${err.message}`;
          continue;
        }
        // The picture is the blob its entry names (a computed stage's too: saved from these
        // pixels), so its PNG may be kept from an earlier run.
        const png = await pictureBytes(img, ref.hash, memo);
        writeFileSync(join(stageDir, `${name}.png`), png);
        row.pictures.push(`${id}/${name}.png`);
        written.push({ name, png, width: img.width, height: img.height });
      }
    }
    stages[id] = row;
  }
  const all = [...outcomes.values()];
  const failed = all.some((o) => o.status === 'failed' || o.status === 'skipped');
  const interrupted = all.some((o) => o.status === 'interrupted');
  const manifest: RunManifest = {
    ...args.manifest,
    finished: new Date().toISOString(),
    status: interrupted ? 'interrupted' : failed ? 'failed' : 'ok',
    versions: {
      node: process.versions.node,
      [packageInfo.name]: packageInfo.version,
      '@tensorflow/tfjs-core': versionOf('@tensorflow/tfjs-core'),
      '@tensorflow/tfjs-backend-wasm': versionOf('@tensorflow/tfjs-backend-wasm'),
      '@tensorflow/tfjs-node': versionOf('@tensorflow/tfjs-node'),
    },
    stages,
  };
  // Made before the manifest is written, so the manifest can say when it failed; written after
  // it, so a report.html on disk always has its manifest beside it.
  const report = reportInput(manifest, graph, pictures);
  if (args.inSweep) report.sweepHref = '../sweep.html';
  let html: string | undefined;
  try {
    html = await withSvgMemo(memo, () => renderRunReport(report));
  } catch (err) {
    manifest.reportError = `report.html not written: ${errorText(err)}`;
  }
  const writeManifest = () => writeFileAtomic(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeManifest();
  if (html === undefined) return { manifest, report };
  const reportPath = join(dir, 'report.html');
  try {
    writeFileAtomic(reportPath, html);
  } catch (err) {
    manifest.reportError = `report.html not written: ${errorText(err)}`;
    writeManifest();
    return { manifest, report };
  }
  return { manifest, report, reportPath };
}
