// The name `initBackend(choice)` will return, without starting a backend. Every cache key holds
// the backend's name, so a run whose stages are all cached needs the name and nothing else: no
// wasm compile, no tf.setBackend. The runner starts the backend itself only when a stage has to
// compute, and checks there that initBackend returns this very name (src/runner/run.ts).
//
// Agrees with index.ts: `cpu` is `cpu`; `tensorflow` is `tensorflow` when @tensorflow/tfjs-node's
// native binding loads (an error otherwise, as initBackend's); `auto` is `tensorflow` when it
// loads, else wasm; wasm is `wasm+<blas>` when blas.ts's loadBlas finds a BLAS (PIPELINE_BLAS),
// else `wasm` (kept between processes by name-cache.ts). test/cli-fast/backend-name.test.ts
// compares the two for every choice.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BackendChoice, BackendRequest } from './index.js';
import { keepWasmName, keptWasmName, nameInputs } from './name-cache.js';

export { forgetWasmNames } from './name-cache.js';

/** The choices `--backend` and a file's `backend:` take: index.ts's BACKENDS, here without tfjs
 * (a test keeps the two lists equal). */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

const require = createRequire(import.meta.url);

/**
 * Whether @tensorflow/tfjs-node would load, without loading it (importing it selects its backend):
 * installed, and its native binding (the part that needs libtensorflow) loads. The binding is
 * found as tfjs-node itself finds it, with @mapbox/node-pre-gyp.
 */
function tensorflowLoads(): boolean {
  let main: string;
  try {
    main = require.resolve('@tensorflow/tfjs-node');
  } catch {
    return false;
  }
  try {
    const from = createRequire(main);
    const pkg = join(dirname(from.resolve('@tensorflow/tfjs-node/package.json')), 'package.json');
    const binding = (from('@mapbox/node-pre-gyp') as { find: (p: string) => string }).find(pkg);
    from(binding);
    return true;
  } catch {
    return false;
  }
}

async function wasmName(): Promise<string> {
  const before = nameInputs();
  const kept = keptWasmName(before);
  if (kept) return kept;
  const { loadBlas } = await import('./blas.js');
  const blas = await loadBlas();
  const name = blas ? `wasm+${blas.name}` : 'wasm';
  keepWasmName(name, before);
  return name;
}

/** What `initBackend(choice)` returns in a process that has started no backend yet; throws
 * where initBackend would throw (tensorflow asked for but not loadable, a bad PIPELINE_BLAS). */
export async function backendName(choice: BackendRequest = 'auto'): Promise<string> {
  if (choice.includes('+')) {
    // A full name (a sweep worker's): initBackend returns it exactly, or throws.
    const name = await wasmName();
    if (name !== choice)
      throw new Error(`backend "${choice}" was asked for but this process would run "${name}" (PIPELINE_BLAS is "${process.env.PIPELINE_BLAS ?? ''}")`);
    return name;
  }
  if (choice === 'cpu') return 'cpu';
  if (choice === 'tensorflow' || choice === 'auto') {
    if (tensorflowLoads()) return 'tensorflow';
    if (choice === 'tensorflow') {
      throw new Error(
        'backend "tensorflow" was asked for but @tensorflow/tfjs-node did not load (it needs libtensorflow, downloaded at install time); use --backend wasm',
      );
    }
  }
  if (choice !== 'wasm' && choice !== 'auto') throw new Error(`unknown backend "${choice}"`);
  return wasmName();
}

/** The tfjs backend running in this process, if any: tfjs-core keeps its engine on the global
 * object, so this asks without importing tfjs-core. */
export function activeTfBackend(): string | undefined {
  const engine = (globalThis as { _tfengine?: { backendName?: string | null } })._tfengine;
  return engine?.backendName ?? undefined;
}
