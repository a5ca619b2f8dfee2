// Backend choice. tfjs-node (native TensorFlow) is an optional dependency: it cannot install
// without internet, so `auto` uses it when it loads and falls back to wasm. The pure-JS `cpu`
// backend is ~6x slower than wasm and is only used when asked for.
//
// On wasm, the machine's BLAS does the matMuls when one loads (blas.ts; PIPELINE_BLAS=off keeps
// the wasm GEMM): the backend name then says so, `wasm+openblas` or `wasm+accelerate`, and that
// name is what keys and manifests record, since the two GEMMs differ in the last bits.
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { installAdagradKernel } from './adagrad-kernel.js';
import { installFusedKernels } from './fused-kernels.js';
import { registerGradients } from './gradients.js';
import type { Blas } from './blas.js';

export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

/** What initBackend takes: a choice, or a name it returned (a sweep worker asks for its parent's). */
export type BackendRequest = BackendChoice | `wasm+${string}`;

let loaded: string | undefined;

/** The tfjs backend a backend name runs on: `wasm+openblas` -> `wasm`. Compare this, not the name,
 * to ask "is it wasm". */
export function baseBackend(name: string): string {
  return name.split('+')[0];
}

async function tryTensorflow(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs-node' as string);
    return tf.findBackend('tensorflow') !== null || tf.engine().registryFactory.tensorflow !== undefined;
  } catch {
    return false;
  }
}

interface Wasm {
  blas?: Blas;
  /** Threads that run the BLAS's GEMMs (blas-pool.ts). */
  gemmThreads: number;
}

/**
 * Load the wasm backend and our kernels, and the BLAS that will do the matMuls if one loads.
 * With a BLAS, `threads` go to the GEMMs and XNNPACK keeps one thread: its idle pool threads spin
 * after every kernel on the cores the GEMM helpers then wait for (measured on 2 cores, seed
 * classifier step: 4.6 ms this way, 6.6-14 ms with both pools at 2 threads, 7 ms with the GEMM on
 * 1 thread). The threaded build still loads when GEMMs get helpers: they need its shared memory.
 */
async function loadWasm(threads: number): Promise<Wasm> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const { blasThreads, loadBlas } = await import('./blas.js');
  const blas = await loadBlas();
  const gemmThreads = blas ? blasThreads(threads) : 0;
  const pool = blas ? 1 : threads;
  if (pool > 1 || gemmThreads > 1) {
    // The threaded build needs its own loader in Node (see wasm-threads.ts).
    const { enableWasmThreads } = await import('./wasm-threads.js');
    enableWasmThreads(pool);
  } else wasm.setThreadsCount(1);
  const kernels = await Promise.all([
    // Transpose first: the matMul rewrite calls whichever Transpose is registered when it installs.
    import('./wasm-transpose.js').then((m) => m.installFastTranspose),
    import('./wasm-matmul.js').then((m) => m.installFastMatMul),
    import('./wasm-gather.js').then((m) => m.installFastGather),
    import('./wasm-identity.js').then((m) => m.installSharedIdentity),
    import('./wasm-binary.js').then((m) => m.installFastBinary),
    import('./wasm-sum.js').then((m) => m.installFastSum),
    import('./wasm-log.js').then((m) => m.installFastLog),
  ]);
  for (const install of kernels) install();
  installFusedKernels();
  installAdagradKernel();
  return { blas, gemmThreads };
}

/** Threads for the wasm backend: PIPELINE_WASM_THREADS, else one per core (at most 4: past that
 * the seed's small matrices gain nothing). Busy machines and parallel test runs want 1. */
export function wasmThreads(): number {
  const env = process.env.PIPELINE_WASM_THREADS;
  const n = env === undefined || env === '' ? Math.min(availableParallelism(), 4) : Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`PIPELINE_WASM_THREADS must be a whole number >= 1, got "${env}"`);
  return n;
}

/** Load and select a backend; returns the name actually in use (`wasm+<blas>` when a BLAS does
 * the wasm backend's matMuls). Idempotent per process. */
export async function initBackend(choice: BackendRequest = 'auto'): Promise<string> {
  // A full name (`wasm+openblas`) must come out as asked: a worker must compute what its parent would.
  const exact = choice.includes('+') ? choice : undefined;
  const base = baseBackend(choice);
  if (exact && base !== 'wasm') throw new Error(`unknown backend "${choice}"`);
  const wanted = base === 'auto' ? (loaded ? baseBackend(loaded) : 'auto') : base;
  let name: string;
  if (loaded && (wanted === baseBackend(loaded) || wanted === 'auto')) name = loaded;
  else {
    // tfjs-core's Node bundle has no gradients: register ours before any stage can train.
    registerGradients();
    let tfName: string;
    if (wanted === 'tensorflow' || wanted === 'auto') {
      if (await tryTensorflow()) tfName = 'tensorflow';
      else if (wanted === 'tensorflow') {
        throw new Error(
          'backend "tensorflow" was asked for but @tensorflow/tfjs-node did not load (it needs libtensorflow, downloaded at install time); use --backend wasm',
        );
      } else tfName = 'wasm';
    } else tfName = wanted;
    const wasm = tfName === 'wasm' ? await loadWasm(wasmThreads()) : undefined;
    if (tfName === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend(tfName))) throw new Error(`backend "${tfName}" failed to initialise`);
    await tf.ready();
    if (wasm) {
      const { loadSimdKernels } = await import('./wasm-simd.js');
      await loadSimdKernels(tf.backend() as never);
      if (wasm.blas) {
        const { installBlasMatMul } = await import('./blas-matmul.js');
        await installBlasMatMul(wasm.blas, tf.backend() as never, wasm.gemmThreads);
      }
    }
    const blas = wasm?.blas;
    name = blas ? `${tfName}+${blas.name}` : tfName;
    loaded = name;
  }
  if (exact && name !== exact) {
    throw new Error(`backend "${exact}" was asked for but this process runs "${name}" (PIPELINE_BLAS is "${process.env.PIPELINE_BLAS ?? ''}")`);
  }
  return name;
}
