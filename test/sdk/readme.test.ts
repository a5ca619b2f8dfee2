// The examples of README.md's "Using it from TypeScript" run as written (paths aside).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BUILTIN_STAGES, initBackend, loadRegistry, planPipeline, runPipeline, runStage } from 'mlpipe';
import { tf } from 'mlpipe/sdk';
import mean from './fixtures/mean.js';

const dir = mkdtempSync(join(tmpdir(), 'mlpipe-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => initBackend('wasm')); // before making tensors: the README's initBackend()

it('averages rows', async () => {
  const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  const { outputs } = await runStage(mean, { params: { axis: 1 }, inputs: { data: { x } }, backend: 'wasm' });
  expect(Array.from(outputs.mean.m.dataSync())).toEqual([1.5, 3.5]);
  tf.dispose([x, outputs.mean.m]);
});

it('plans and runs a pipeline, reading status, key, metrics and run folder per stage', async () => {
  const common = { file: 'experiments/smoke.yaml', cacheRoot: join(dir, 'cache'), backend: 'wasm' as const };
  const plan = await planPipeline(common);
  expect(plan.rows.map((r) => r.status)).toContain('miss');
  const registry = await loadRegistry([BUILTIN_STAGES]);
  const result = await runPipeline({ ...common, registry, runsRoot: join(dir, 'runs'), jobs: 1, set: ['classifier.steps=50'] });
  expect(result.ok).toBe(true);
  expect(result.runDir.startsWith(join(dir, 'runs'))).toBe(true);
  const classifier = result.outcomes.get('classifier');
  expect(classifier?.status).toBe('miss');
  expect(classifier?.key).toMatch(/^[0-9a-f]{64}$/);
  expect(classifier?.entry?.metrics).toHaveProperty('accuracy');
});
