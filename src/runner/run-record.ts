// The run folder: runs/<pipeline>/<run-id>/ with manifest.json (config, keys, hit/miss, timings,
// backend, versions) and each stage's metrics and pictures. Written for hits too, so every run
// folder is complete on its own.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CorruptBlobError, type RunCache } from '../store/run-cache.js';
import { encodePng } from '../render/png.js';
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
function writeFileAtomic(path: string, data: string): void {
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
}

export function writeRunRecord(args: {
  dir: string;
  manifest: Omit<RunManifest, 'stages' | 'versions' | 'finished' | 'status'>;
  outcomes: Map<string, StageOutcome>;
  types: Record<string, string>;
  cache: RunCache;
}): RunManifest {
  const { dir, outcomes, cache } = args;
  mkdirSync(dir, { recursive: true });
  const stages: RunManifest['stages'] = {};
  for (const [id, o] of outcomes) {
    const row: RunManifest['stages'][string] = { type: args.types[id], status: o.status, key: o.key, ms: Math.round(o.ms) };
    if (o.error) row.error = o.error.message;
    if (o.entry) {
      const stageDir = join(dir, id);
      mkdirSync(stageDir, { recursive: true });
      row.metrics = o.entry.metrics;
      row.computeMs = Math.round(o.entry.timings.computeMs);
      row.storeMs = Math.round(o.entry.timings.storeMs);
      writeFileSync(join(stageDir, 'metrics.json'), `${JSON.stringify(o.entry.metrics, null, 2)}\n`);
      row.pictures = [];
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
        writeFileSync(join(stageDir, `${name}.png`), encodePng(img));
        row.pictures.push(`${id}/${name}.png`);
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
  writeFileAtomic(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
