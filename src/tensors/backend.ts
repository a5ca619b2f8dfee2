// Backend choice. tfjs-node (native TensorFlow) is an optional dependency: it cannot install
// without internet, so `auto` uses it when it loads and falls back to wasm. The pure-JS `cpu`
// backend is ~6x slower than wasm and is only used when asked for.
import * as tf from '@tensorflow/tfjs-core';

export const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

let loaded: string | undefined;

async function tryTensorflow(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs-node' as string);
    return tf.findBackend('tensorflow') !== null || tf.engine().registryFactory['tensorflow'] !== undefined;
  } catch {
    return false;
  }
}

async function loadWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // The threaded build needs a worker script that Node cannot locate; single-threaded SIMD it is.
  wasm.setThreadsCount?.(1);
  const { installFastMatMul } = await import('./wasm-matmul.js');
  installFastMatMul();
}

/** Load and select a backend; returns the name actually in use. Idempotent per process. */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<string> {
  const wanted = choice === 'auto' ? (loaded ?? 'auto') : choice;
  if (loaded && (wanted === loaded || wanted === 'auto')) return loaded;
  let name: string;
  if (wanted === 'tensorflow' || wanted === 'auto') {
    if (await tryTensorflow()) name = 'tensorflow';
    else if (wanted === 'tensorflow') {
      throw new Error('backend "tensorflow" was asked for but @tensorflow/tfjs-node did not load (it needs libtensorflow, downloaded at install time); use --backend wasm');
    } else name = 'wasm';
  } else name = wanted;
  if (name === 'wasm') await loadWasm();
  if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend(name))) throw new Error(`backend "${name}" failed to initialise`);
  await tf.ready();
  loaded = name;
  return name;
}
