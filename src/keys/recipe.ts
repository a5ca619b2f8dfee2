// The whole recipe of a cache key, in one place (as DVC's stage/cache.py keeps its run-cache).
// A key is the sha256 of the canonical JSON of its parts; every part is listed below and stored
// with the entry, so a miss can be explained part by part (Turborepo-style) instead of "the hash
// changed". Running, planning and the sweep's de-duplication all derive keys from here, so what
// `plan` predicts is exactly what a run uses.
import type { StageDef } from '../sdk/stage.js';
import { moduleFiles, type CodeFiles } from './code.js';
import { hashJson } from './hash.js';

export interface KeyParts {
  /** Stage type (`uses:`). */
  stage: string;
  /** The stage's declared version: bumped for changes the code hash cannot see. */
  version: number;
  /** Every project file the stage runs (see stageCode), path -> sha256. */
  code: CodeFiles;
  /** Resolved params, defaults applied: writing a default out never changes a key. */
  params: Record<string, unknown>;
  /** Input name -> content hash of the artifact it receives (artifactHash). */
  inputs: Record<string, string>;
  /** Source-data file name -> sha256 of its bytes (see source-files.ts). */
  files: Record<string, string>;
  seed: number;
  /** The backend that computes (the last bits of a float differ between backends). */
  backend: string;
}

/** What keys need of a stage instance in the graph. */
export interface KeyedNode {
  def: StageDef;
  params: Record<string, unknown>;
  seed: number;
  inputs: Record<string, { stage: string; output: string }>;
}

/** The backend's own code: backend choice, the wasm kernels installed at start and the gradients
 * it registers. It changes the numbers of every stage that runs tensor kernels. */
const BACKEND_ENTRY = new URL('../backend/index.js', import.meta.url).href;

/** A stage's code: its module and what that imports, plus the backend's code unless the stage
 * declares `kernels: false` (it only builds tensors from data). */
export function stageCode(def: StageDef): CodeFiles {
  if (!def.source)
    throw new Error(`stage ${def.type} has no \`source\` (set source: import.meta.url in its definition): its code cannot be hashed into its cache key`);
  const own = moduleFiles(def.source);
  return def.kernels === false ? own : { ...moduleFiles(BACKEND_ENTRY), ...own };
}

/** The content hash of an artifact: its tensor names and their blob hashes. */
export const artifactHash = (blobs: Record<string, { hash: string }>): string =>
  hashJson(Object.fromEntries(Object.entries(blobs).map(([k, v]) => [k, v.hash])));

/** Key parts of a stage instance whose inputs have finished: `upstream` holds, per input stage,
 * the blobs of its outputs (a cache entry will do). */
export function keyParts(
  node: KeyedNode,
  upstream: Record<string, { outputs: Record<string, Record<string, { hash: string }>> }>,
  fileHashes: Record<string, string>,
  backend: string,
): KeyParts {
  return {
    stage: node.def.type,
    version: node.def.version,
    code: stageCode(node.def),
    params: node.params,
    inputs: Object.fromEntries(Object.entries(node.inputs).map(([name, ref]) => [name, artifactHash(upstream[ref.stage].outputs[ref.output])])),
    files: fileHashes,
    seed: node.seed,
    backend,
  };
}

export const cacheKey = (parts: KeyParts): string => hashJson(parts);

/** One hash for a code part (entries made before per-file code hashes held a single hash). */
export const codeDigest = (code: CodeFiles | string): string => (typeof code === 'string' ? code : hashJson(code));

/** Before anything runs, two instances in a sweep get the same key exactly when they have the
 * same parts and the same upstream instances: this identity stands in for the key then (inputs
 * by upstream identity, not content; files and backend are one per run). */
export function instanceIdentity(node: KeyedNode, upstreamIdentity: Record<string, string>): string {
  return hashJson({
    stage: node.def.type,
    version: node.def.version,
    code: stageCode(node.def),
    params: node.params,
    seed: node.seed,
    inputs: Object.fromEntries(Object.entries(node.inputs).map(([k, r]) => [k, [upstreamIdentity[r.stage], r.output]])),
  });
}
