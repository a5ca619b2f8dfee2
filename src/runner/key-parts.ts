// The parts of a stage instance's cache key, from the stage, its inputs' stored outputs and the
// backend. Shared by running and planning, so `plan` predicts exactly the key a run will use.
import { sha256 } from '../cache/hash.js';
import { artifactHash, type KeyParts } from '../cache/key.js';
import type { CacheEntry } from '../cache/run-cache.js';
import { sourceHash } from '../cache/source-hash.js';
import type { StageNode } from '../graph/graph.js';

/** The tensor layer's own code (backend choice, the wasm kernel replacements, the gradients it
 * registers are imported by the stages): editing a kernel changes numbers, so it changes keys. */
const kernelsModule = new URL('../tensors/backend.js', import.meta.url).href;

/** Key parts of a stage whose inputs have finished (their output hashes are known). */
export function keyParts(node: StageNode, upstream: Record<string, CacheEntry>, fileHashes: Record<string, string>, backend: string): KeyParts {
  return {
    stage: node.def.type,
    version: node.def.version,
    code: sha256(`${sourceHash(node.def.source)}\n${sourceHash(kernelsModule)}`),
    params: node.params,
    inputs: Object.fromEntries(
      Object.entries(node.inputs).map(([name, ref]) => [name, artifactHash(upstream[ref.stage].outputs[ref.output])]),
    ),
    files: fileHashes,
    seed: node.seed,
    backend,
  };
}
