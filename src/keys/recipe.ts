// The whole recipe of a cache key, in one place (as DVC's stage/cache.py keeps its run-cache).
// A key is the sha256 of the canonical JSON of its parts; every part is listed below and stored
// with the entry, so a miss can be explained part by part (Turborepo-style) instead of "the hash
// changed". Running, planning and the sweep's de-duplication all derive keys from here, so what
// `plan` predicts is exactly what a run uses.
import type { StageDef } from '../sdk/stage.js';
import { moduleFiles, type CodeFiles } from './code.js';
import { canonicalJson, hashJson, sha256 } from './hash.js';

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

/** The canonical JSON of code maps stageCode made (the same object in every key of a type). */
const codeJson = new WeakMap<object, string>();

/** Per stage definition: its code map, and that map's canonical JSON and digest. The code is
 * computed once per process anyway (code.ts memoises every module), and a sweep has the same
 * definition in thousands of instances: hashing the map once per type, not once per instance. */
const codeOfDef = new WeakMap<StageDef, { code: CodeFiles; json: string; digest: string }>();

function codeRecord(def: StageDef): { code: CodeFiles; json: string; digest: string } {
  let rec = codeOfDef.get(def);
  if (!rec) {
    if (!def.source)
      throw new Error(`stage ${def.type} has no \`source\` (set source: import.meta.url in its definition): its code cannot be hashed into its cache key`);
    const own = moduleFiles(def.source);
    const code = def.kernels === false ? own : { ...moduleFiles(BACKEND_ENTRY), ...own };
    const json = canonicalJson(code);
    rec = { code, json, digest: sha256(json) };
    codeOfDef.set(def, rec);
    codeJson.set(code, json);
  }
  return rec;
}

/** A stage's code: its module and what that imports, plus the backend's code unless the stage
 * declares `kernels: false` (it only builds tensors from data). */
export const stageCode = (def: StageDef): CodeFiles => codeRecord(def).code;

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

/** The parts of a stage instance whose inputs are not computed yet, inputs left out: for saying
 * what else differs from a cached entry (plan, why), never for a key. */
export function partsWithoutInputs(node: KeyedNode, fileHashes: Record<string, string>, backend: string): KeyParts {
  return {
    stage: node.def.type,
    version: node.def.version,
    code: stageCode(node.def),
    params: node.params,
    inputs: {},
    files: fileHashes,
    seed: node.seed,
    backend,
  };
}

const PART_NAMES = ['backend', 'code', 'files', 'inputs', 'params', 'seed', 'stage', 'version'] as const;

/** sha256 of the canonical JSON of `parts`: exactly hashJson(parts), with a code map stageCode made
 * written from its cached JSON instead of sorted and serialised again for every instance. */
export function cacheKey(parts: KeyParts): string {
  const json = typeof parts.code === 'object' ? codeJson.get(parts.code) : undefined;
  const names = Object.keys(parts);
  if (json === undefined || names.length !== PART_NAMES.length || PART_NAMES.some((k) => parts[k] === undefined || !Object.hasOwn(parts, k)))
    return hashJson(parts);
  // The keys of canonical JSON, sorted: PART_NAMES is in that order.
  const fields = PART_NAMES.map((k) => `${JSON.stringify(k)}:${k === 'code' ? json : canonicalJson(parts[k])}`);
  return sha256(`{${fields.join(',')}}`);
}

/** One hash for a code part (entries made before per-file code hashes held a single hash). */
export const codeDigest = (code: CodeFiles | string): string => (typeof code === 'string' ? code : sha256(codeJson.get(code) ?? canonicalJson(code)));

/** Before anything runs, two instances in a sweep get the same key exactly when they have the
 * same parts and the same upstream instances: this identity stands in for the key then (inputs
 * by upstream identity, not content; files and backend are one per run). */
export function instanceIdentity(node: KeyedNode, upstreamIdentity: Record<string, string>): string {
  return hashJson({
    stage: node.def.type,
    version: node.def.version,
    code: codeRecord(node.def).digest,
    params: node.params,
    seed: node.seed,
    inputs: Object.fromEntries(Object.entries(node.inputs).map(([k, r]) => [k, [upstreamIdentity[r.stage], r.output]])),
  });
}
