// Our own SIMD kernels, in a small WebAssembly module that shares the wasm backend's memory.
//
// tfjs-backend-wasm's elementwise ops, reductions, transposes and gathers are scalar loops with
// per-element index arithmetic; in the seed's training steps they cost as much as the matMuls
// (bench/profile.ts). A second module that imports the backend's memory can read and write its
// tensors in place, so replacement kernels need no copies. The text is WAT (wasm-simd-wat.ts),
// compiled once per process by wabt (about 20 ms).
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { kernelsWat, type SimdKernels } from './wasm-simd-wat.js';

export { BINARY_OPS, kernelsWat, type BinaryOp, type SimdKernels } from './wasm-simd-wat.js';

const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();

/** The wasm backend's memory (shared in the threaded build). */
export function memoryOf(backend: BackendWasm): WebAssembly.Memory {
  const wasm = backend.wasm as unknown as { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
  const memory = wasm.wasmMemory ?? wasm.asm?.memory;
  if (!memory) throw new Error('the wasm backend does not expose its memory');
  return memory;
}

/** Compile and instantiate the kernels against the backend's memory. Call once the backend is ready. */
export async function loadSimdKernels(backend: BackendWasm): Promise<SimdKernels> {
  const memory = memoryOf(backend);
  const known = instances.get(memory);
  if (known) return known;
  const { default: initWabt } = await import('wabt');
  const wabt = await initWabt();
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const parsed = wabt.parseWat('pipeline-kernels.wat', kernelsWat(shared), { simd: true, threads: shared, bulk_memory: true });
  try {
    const { buffer } = parsed.toBinary({});
    const { instance } = await WebAssembly.instantiate(buffer as BufferSource, { env: { memory } });
    const kernels = instance.exports as unknown as SimdKernels;
    instances.set(memory, kernels);
    return kernels;
  } finally {
    parsed.destroy();
  }
}

/** The kernels for this backend's memory, once loadSimdKernels has run. */
export function simdKernels(backend: BackendWasm): SimdKernels | undefined {
  return instances.get(memoryOf(backend));
}

/** True when our wasm kernels can take these float32 tensors of one shape. */
export function onWasmSimd(...ts: tf.Tensor[]): boolean {
  return (
    tf.getBackend() === 'wasm' &&
    simdKernels(tf.backend() as BackendWasm) !== undefined &&
    ts.every((t) => t.dtype === 'float32' && tf.util.arraysEqual(t.shape, ts[0].shape))
  );
}

/** A tensor's byte address in the backend's memory. */
export function addressOf(backend: BackendWasm, t: TensorInfo): number {
  return (backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(t.dataId).memoryOffset;
}

const REPLACED = Symbol.for('pipeline.simdKernel');

/**
 * Register `make(original)` as the wasm kernel `name`. Idempotent; a no-op when the wasm kernels
 * are not registered. The replacement falls back to `original` for what it does not handle,
 * including before loadSimdKernels has run.
 */
export function replaceWasmKernel(name: string, make: (original: KernelFunc) => KernelFunc): void {
  const config = tf.getKernel(name, 'wasm');
  if (config == null || (config.kernelFunc as unknown as Record<symbol, boolean>)[REPLACED]) return;
  const fn = make(config.kernelFunc);
  (fn as unknown as Record<symbol, boolean>)[REPLACED] = true;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...config, kernelFunc: fn });
}
