// `npm run bench:profile [-- --steps N --stage train-classifier|train-inverse --shapes]`: where a training
// step's time goes on the wasm backend. Runs the real stage code on full MNIST with every wasm
// kernel wrapped in a timer (wasm kernels are synchronous, so wall time is the kernel's time) and
// prints per-kernel milliseconds per step (per output shape with --shapes); the rest of the step
// is tfjs engine and JS overhead. Timers add a little to each kernel: compare rows, not totals.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import type { Artifact, StageDef } from '../src/sdk/stage.js';
import { readStageFiles } from '../src/keys/source-files.js';
import { initBackend } from '../src/backend/index.js';
import { Rng } from '../src/sdk/rng.js';
import { loadRegistry } from '../src/runner/stage-plugins.js';

const registry = await loadRegistry();

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const steps = Number(opt('--steps', '200'));
const only = opt('--stage', '');
const byShape = argv.includes('--shapes');

const times = new Map<string, { ms: number; calls: number }>();
let timing = false;

function wrapKernels(): void {
  for (const k of tf.getKernelsForBackend('wasm') as KernelConfig[]) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        if (!timing) return inner(args);
        const t0 = performance.now();
        const out = inner(args);
        const shape = Array.isArray(out) ? out[0]?.shape : out.shape;
        const key = byShape ? `${k.kernelName} ${JSON.stringify(shape)}` : k.kernelName;
        const e = times.get(key) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t0;
        e.calls++;
        times.set(key, e);
        return out;
      },
    });
  }
}

async function run(stage: StageDef, params: Record<string, unknown>, inputs: Record<string, Artifact>) {
  const full = { ...defaults(stage), ...params };
  return stage.run({
    params: full,
    inputs,
    rng: new Rng(1),
    files: readStageFiles(stage, full).files,
    progress: () => {},
  });
}

function defaults(stage: StageDef): Record<string, unknown> {
  const props = (stage.params as { properties: Record<string, { default: unknown }> }).properties;
  return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, structuredClone(v.default)]));
}

async function profiled(name: string, f: () => Promise<unknown>): Promise<void> {
  times.clear();
  timing = true;
  const t0 = performance.now();
  await f();
  const wall = performance.now() - t0;
  timing = false;
  const rows = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = rows.reduce((s, [, e]) => s + e.ms, 0);
  console.log(`\n${name}: ${(wall / steps).toFixed(2)} ms/step wall, ${(kernelMs / steps).toFixed(2)} in kernels`);
  for (const [k, e] of rows) {
    console.log(`  ${k.padEnd(24)} ${(e.ms / steps).toFixed(3).padStart(7)} ms/step  ${(e.calls / steps).toFixed(1).padStart(5)} calls/step`);
  }
}

async function main(): Promise<void> {
  console.log(`backend: ${await initBackend('wasm')}`);
  wrapKernels();
  const data = (await run(registry.load, {}, {})).outputs.data;
  const clfParams = { steps };
  let model: Artifact | undefined;
  if (only !== 'train-inverse') {
    await profiled('train-classifier', async () => {
      model = (await run(registry['train-classifier'], clfParams, { data })).outputs.model;
    });
  }
  if (only === 'train-classifier') return;
  model ??= (await run(registry['train-classifier'], clfParams, { data })).outputs.model;
  const kept = (await run(registry['filter-confident'], {}, { data, model })).outputs.kept;
  await profiled('train-inverse', () => run(registry['train-inverse'], { steps }, { data, model: model!, kept }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
