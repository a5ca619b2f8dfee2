// A worker process: loads a backend once, then computes stage jobs sent by the parent, reading
// inputs from and writing results to the shared cache. Input artifacts stay in memory between
// jobs, so a worker reads the training set once, not once per stage instance.
import { openStore } from '../store/open.js';
import { CorruptBlobError } from '../store/run-cache.js';
import { artifactHash } from '../keys/recipe.js';
import type { Artifact } from '../sdk/stage.js';
import { initBackend, type BackendChoice } from '../backend/index.js';
import { computeStage } from './compute.js';
import { readStageFiles } from '../keys/source-files.js';
import type { StageJob, WorkerMessage } from './job.js';
import { loadRegistry } from './stage-plugins.js';

const [cacheRoot, backendChoice] = process.argv.slice(2);
const send = (m: WorkerMessage) => process.send!(m);

const registry = await loadRegistry();
const backend = await initBackend(backendChoice as BackendChoice);
const cache = openStore(cacheRoot);
const artifacts = new Map<string, Artifact>();

async function runJob(id: number, job: StageJob): Promise<void> {
  const def = registry[job.parts.stage];
  if (!def) throw new Error(`unknown stage type ${job.parts.stage}`);
  const inputs: Record<string, Artifact> = {};
  for (const [name, { entry, output }] of Object.entries(job.inputs)) {
    const hash = artifactHash(entry.outputs[output]);
    let a = artifacts.get(hash);
    if (!a) {
      a = await cache.loadArtifact(entry, output);
      artifacts.set(hash, a);
    }
    inputs[name] = a;
  }
  const { files } = readStageFiles(def, job.parts.params);
  let lastSent = 0;
  const { entry, result } = await computeStage(cache, def, job, inputs, files, (step, total, loss) => {
    // One IPC message per step would be thousands a stage: send losses, and otherwise 10 a second.
    const now = performance.now();
    if (loss === undefined && step !== total && now - lastSent < 100) return;
    lastSent = now;
    send({ type: 'progress', job: id, step, total, loss });
  });
  for (const [name, artifact] of Object.entries(result.outputs)) {
    const hash = artifactHash(entry.outputs[name]);
    if (job.keepOutputs && !artifacts.has(hash))
      artifacts.set(hash, artifact); // a later job here may read it
    else for (const t of Object.values(artifact)) t.dispose();
  }
  send({ type: 'done', job: id, entry });
}

process.on('message', (m: { job: number; spec: StageJob }) => {
  runJob(m.job, m.spec).catch((err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    send({ type: 'error', job: m.job, message: e.message, corrupt: e instanceof CorruptBlobError ? e.hash : undefined });
  });
});
send({ type: 'ready', backend });
