// Backend choice. tfjs-node (native TensorFlow) is an optional dependency: it cannot install
// without internet, so `auto` uses it when it loads and falls back to wasm. The pure-JS `cpu`
// backend is ~6x slower than wasm and is only used when asked for.
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { installAdagradKernel } from './adagrad-kernel.js';
import { installFusedKernels } from './fused-kernels.js';
import { registerGradients } from './gradients.js';

export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

let loaded: string | undefined;

async function tryTensorflow(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs-node' as string);
    return tf.findBackend('tensorflow') !== null || tf.engine().registryFactory.tensorflow !== undefined;
  } catch {
    return false;
  }
}

async function loadWasm(threads: number): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (threads > 1) {
    // The threaded build needs its own loader in Node (see wasm-threads.ts).
    const { enableWasmThreads } = await import('./wasm-threads.js');
    enableWasmThreads(threads);
  } else wasm.setThreadsCount(1);
  const kernels = await Promise.all([
    // Transpose first: the matMul rewrite calls whichever Transpose is registered when it installs.
    import('./wasm-transpose.js').then((m) => m.installFastTranspose),
    import('./wasm-matmul.js').then((m) => m.installFastMatMul),
    import('./wasm-gather.js').then((m) => m.installFastGather),
    import('./wasm-identity.js').then((m) => m.installSharedIdentity),
    import('./wasm-binary.js').then((m) => m.installFastBinary),
    import('./wasm-sum.js').then((m) => m.installFastSum),
  ]);
  for (const install of kernels) install();
  installFusedKernels();
  installAdagradKernel();
}

/** Threads for the wasm backend: PIPELINE_WASM_THREADS, else one per core (at most 4: past that
 * the seed's small matrices gain nothing). Busy machines and parallel test runs want 1. */
export function wasmThreads(): number {
  const env = process.env.PIPELINE_WASM_THREADS;
  const n = env === undefined || env === '' ? Math.min(availableParallelism(), 4) : Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`PIPELINE_WASM_THREADS must be a whole number >= 1, got "${env}"`);
  return n;
}

/** Load and select a backend; returns the name actually in use. Idempotent per process. */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<string> {
  const wanted = choice === 'auto' ? (loaded ?? 'auto') : choice;
  if (loaded && (wanted === loaded || wanted === 'auto')) return loaded;
  // tfjs-core's Node bundle has no gradients: register ours before any stage can train.
  registerGradients();
  let name: string;
  if (wanted === 'tensorflow' || wanted === 'auto') {
    if (await tryTensorflow()) name = 'tensorflow';
    else if (wanted === 'tensorflow') {
      throw new Error(
        'backend "tensorflow" was asked for but @tensorflow/tfjs-node did not load (it needs libtensorflow, downloaded at install time); use --backend wasm',
      );
    } else name = 'wasm';
  } else name = wanted;
  if (name === 'wasm') await loadWasm(wasmThreads());
  if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend(name))) throw new Error(`backend "${name}" failed to initialise`);
  await tf.ready();
  if (name === 'wasm') {
    const { loadSimdKernels } = await import('./wasm-simd.js');
    await loadSimdKernels(tf.backend() as never);
  }
  loaded = name;
  return name;
}
