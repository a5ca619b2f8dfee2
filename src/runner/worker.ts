// A worker process: loads a backend once, then computes stage jobs sent by the parent, reading
// inputs from and writing results to the shared cache. Input artifacts stay in memory between
// jobs, so a worker reads the training set once, not once per stage instance.
//
// The parent owns the run: Ctrl-C in a terminal signals the whole process group, so a worker
// ignores SIGINT and stops its job when the parent says `abort`; when the parent goes (even by
// kill -9) the IPC channel closes and the worker leaves, quietly.
import { initBackend, type BackendChoice } from '../backend/index.js';
import { fileURLToPath } from 'node:url';
import { checkBuilt } from '../keys/build-manifest.js';
import { artifactHash } from '../keys/recipe.js';
import { readStageFiles } from '../keys/source-files.js';
import type { Artifact } from '../sdk/stage.js';
import { openStore } from '../store/open.js';
import { CorruptBlobError } from '../store/run-cache.js';
import { computeStage, isInterruption } from './compute.js';
import type { ParentMessage, StageJob, WorkerMessage } from './job.js';
import { checkJobCode, loadStageModule } from './stage-modules.js';
import { loadRegistry } from './stage-plugins.js';

process.on('SIGINT', () => undefined);
process.on('disconnect', () => process.exit(0));

const [cacheRoot, backendChoice] = process.argv.slice(2);
const projectRoot = fileURLToPath(new URL('../../..', import.meta.url));
/** A parent that is gone cannot be told anything: the disconnect handler ends this process. */
const send = (m: WorkerMessage): void => {
  if (process.connected) process.send!(m, undefined, undefined, () => undefined);
};

const registry = await loadRegistry();
const backend = await initBackend(backendChoice as BackendChoice);
const cache = openStore(cacheRoot);
const artifacts = new Map<string, Artifact>();
const abort = new AbortController();

async function runJob(id: number, job: StageJob): Promise<void> {
  const def = job.module ? await loadStageModule(job.module) : registry[job.parts.stage];
  const what = job.module ? ('file' in job.module ? job.module.file : job.module.package) : job.parts.stage;
  if (!def) throw new Error(`unknown stage type ${what}`);
  // A stage file is bundled here again: refuse unless it is the code the parent hashed.
  if (job.module) checkJobCode(def, job.parts, what);
  // This process runs dist/; the key's code part hashes the sources the parent saw (under vitest
  // the parent runs the sources themselves): refuse unless dist/ was built from exactly those.
  checkBuilt(projectRoot, job.parts.code);
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
  // The key was computed from the files' bytes as the parent read them: compute from the same.
  const { files, hashes } = readStageFiles(def, job.parts.params);
  const changed = Object.keys(hashes).filter((name) => hashes[name] !== job.parts.files[name]);
  if (changed.length) throw new Error(`${changed.map((n) => files[n].path).join(', ')} changed since the run computed its key; run again`);
  let lastSent = 0;
  const onProgress = (step: number, total: number, loss?: number) => {
    // One IPC message per step would be thousands a stage: send losses, and otherwise 10 a second.
    const now = performance.now();
    if (loss === undefined && step !== total && now - lastSent < 100) return;
    lastSent = now;
    send({ type: 'progress', job: id, step, total, loss });
  };
  const { entry, result } = await computeStage(cache, def, job, inputs, files, onProgress, abort.signal);
  for (const [name, artifact] of Object.entries(result.outputs)) {
    const hash = artifactHash(entry.outputs[name]);
    if (job.keepOutputs && !artifacts.has(hash))
      artifacts.set(hash, artifact); // a later job here may read it
    else for (const t of Object.values(artifact)) t.dispose();
  }
  send({ type: 'done', job: id, entry });
}

process.on('message', (m: ParentMessage) => {
  if (m.type === 'abort') {
    abort.abort();
    return;
  }
  runJob(m.job, m.spec).catch((err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    send({ type: 'error', job: m.job, message: e.message, corrupt: e instanceof CorruptBlobError ? e.hash : undefined, interrupted: isInterruption(e) });
  });
});
send({ type: 'ready', backend });
