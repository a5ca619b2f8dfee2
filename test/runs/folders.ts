// Run folders written by hand, shaped as run-record.ts and sweep-report.ts write them: for the
// tests of reading, resolving and formatting that need no pipeline to run (and damaged files no
// run would leave).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunManifest } from '../../src/runner/run-record.js';

export const tempRuns = (): string => mkdtempSync(join(tmpdir(), 'pipeline-runs-'));

type Stage = RunManifest['stages'][string];

export function manifest(
  pipeline: string,
  runId: string,
  started: string,
  opts: { threshold?: number; accuracy?: number; statuses?: Stage['status'][] } = {},
): RunManifest {
  const [a = 'miss', b = 'miss', c = 'miss'] = opts.statuses ?? [];
  return {
    pipeline,
    runId,
    started,
    finished: new Date(Date.parse(started) + 1500).toISOString(),
    status: [a, b, c].includes('failed') ? 'failed' : 'ok',
    backend: 'wasm',
    versions: { node: '20.0.0' },
    files: [],
    config: {
      name: pipeline,
      seed: 1,
      backend: 'auto',
      stages: {
        data: { uses: 'load', with: { train: 600 }, inputs: {} },
        classifier: { uses: 'train-classifier', with: { steps: 60, hidden: [100, 100] }, inputs: { data: 'data' } },
        confident: { uses: 'filter-confident', with: { threshold: opts.threshold ?? 0.5 }, inputs: { data: 'data', model: 'classifier' } },
      },
    },
    stages: {
      data: { type: 'load', status: a, key: 'a'.repeat(64), ms: 10, metrics: { train: 600 }, pictures: [] },
      classifier: {
        type: 'train-classifier',
        status: b,
        key: 'b'.repeat(64),
        ms: 20,
        metrics: { accuracy: opts.accuracy ?? 0.9, loss: [3, 2, 1.5] },
        pictures: [],
      },
      confident:
        c === 'failed'
          ? { type: 'filter-confident', status: c, ms: 1, error: 'asked to fail' }
          : {
              type: 'filter-confident',
              status: c,
              key: 'c'.repeat(64),
              ms: 5,
              metrics: { kept: Math.round(1000 * (1 - (opts.threshold ?? 0.5))) },
              pictures: [],
            },
    },
  };
}

export function writeRun(root: string, m: RunManifest): string {
  const dir = join(root, m.pipeline, ...m.runId.split('/'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
  return dir;
}

/** A sweep over confident.threshold: sweep.json and one variant folder per threshold. */
export function writeSweep(root: string, pipeline: string, sweepId: string, started: string, thresholds: number[]): string {
  const dir = join(root, pipeline, sweepId);
  const variants = thresholds.map((threshold, i) => {
    const m = manifest(pipeline, `${sweepId}/v${i + 1}`, started, { threshold, statuses: i === 0 ? ['miss', 'miss', 'miss'] : ['hit', 'hit', 'miss'] });
    const runDir = writeRun(root, m);
    const metrics = { 'data.train': 600, 'classifier.accuracy': 0.9, 'confident.kept': (m.stages.confident.metrics as { kept: number }).kept };
    return { variant: `v${i + 1}`, values: { 'confident.threshold': threshold }, status: m.status, runDir, metrics };
  });
  const instances: Record<string, string> = { data: 'miss', classifier: 'miss' };
  thresholds.forEach((_, i) => {
    instances[`confident@v${i + 1}`] = 'miss';
  });
  writeFileSync(join(dir, 'sweep.json'), JSON.stringify({ pipeline, sweepId, started, backend: 'wasm', instances, variants }, null, 2));
  return dir;
}
