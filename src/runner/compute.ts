// Computing one stage instance and storing its result: the same code whether the stage runs in
// this process or in a worker. Params and seed come from the key parts, so what runs is exactly
// what the key describes.
import type { KeyParts } from '../keys/recipe.js';
import type { CacheEntry, RunCache } from '../store/run-cache.js';
import type { Artifact, StageDef, StageFile, StageResult } from '../sdk/stage.js';
import { Rng } from '../sdk/rng.js';

export interface Identity {
  key: string;
  parts: KeyParts;
  stageId: string;
  pipeline: string;
}

export type OnProgress = (step: number, total: number, loss?: number) => void;

/** A computation stopped by a signal (Ctrl-C, SIGTERM): not a failure of the stage. */
export class Interrupted extends Error {
  override name = 'Interrupted';
  constructor(what = 'interrupted') {
    super(what);
  }
}

/** Also an Interrupted that crossed a process boundary (a worker's reply keeps only the name). */
export const isInterruption = (err: unknown): boolean => err instanceof Error && err.name === 'Interrupted';

export async function computeStage(
  cache: RunCache,
  def: StageDef,
  id: Identity,
  inputs: Record<string, Artifact>,
  files: Record<string, StageFile>,
  onProgress: OnProgress,
  signal?: AbortSignal,
): Promise<{ entry: CacheEntry; result: StageResult }> {
  const t0 = performance.now();
  let lastYield = t0;
  const result = await def.run({
    params: structuredClone(id.parts.params),
    inputs,
    rng: new Rng(id.parts.seed),
    files,
    progress: (step, total, info) => {
      // Training loops report progress every step: the place a signal can stop them cleanly.
      if (signal?.aborted) throw new Interrupted();
      onProgress(step, total, info?.loss);
      // A training loop that awaits this gives the display a chance to redraw now and then.
      const now = performance.now();
      if (now - lastYield < 100) return;
      lastYield = now;
      return new Promise<void>((resolve) => setImmediate(resolve));
    },
  });
  const computeMs = performance.now() - t0;
  try {
    const missing = Object.keys(def.outputs).filter((o) => !result.outputs[o]);
    if (missing.length) throw new Error(`stage ${def.type} did not return output(s) ${missing.join(', ')}`);
    return { entry: await save(cache, id, result, computeMs), result };
  } catch (err) {
    for (const artifact of Object.values(result.outputs)) for (const t of Object.values(artifact)) t.dispose();
    throw err;
  }
}

function save(cache: RunCache, id: Identity, result: StageResult, computeMs: number): Promise<CacheEntry> {
  return cache.save({
    key: id.key,
    parts: id.parts,
    stageId: id.stageId,
    pipeline: id.pipeline,
    outputs: result.outputs,
    pictures: result.pictures ?? {},
    metrics: result.metrics ?? {},
    computeMs,
  });
}
