// BatchMatMul on the machine's BLAS (blas.ts) for the wasm backend: cblas_sgemm on the wasm heap
// in place, transposes passed as flags (no transposed copies, no weight packing on our side), a
// shared right operand folded into rows, broadcast batches by offset; each product cut into parts
// run by our threads (blas-pool.ts).
//
// Installed over wasm-matmul.ts's kernel, which stays underneath for what this one does not take
// (non-float32, empty, or batches that broadcast unevenly) and for `withoutBlas`. wasm-matmul's
// zero-skipping spmm is not used here: OpenBLAS beats it on the seed's pixel products (x·W1,
// 1000x784x100 at 80% zeros: 1.0 ms on 2 threads, 1.9 ms on 1, against 2.8 ms for spmm; both
// are in bench/matmul.ts). _FusedMatMul stays on the wasm GEMM: no built-in stage runs it (every
// matMul of every stage is a plain BatchMatMul; bench/profile.ts lists a training step's kernels).
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Blas } from './blas.js';
import { blasPool, cut, type BlasPool, type Part } from './blas-pool.js';
import { addressOf, memoryOf } from './wasm-simd.js';

const BLAS = Symbol.for('pipeline.blasMatMul');
/** The mark wasm-matmul.ts's installFastMatMul looks for: it must not wrap this kernel again. */
const FAST = Symbol.for('pipeline.fastMatMul');

let bypass = 0;

/** Run `f` with BatchMatMul on the kernel underneath (the wasm GEMM), for tests and benches that
 * compare the two in one process. Stages never see this: their backend name says which ran. */
export function withoutBlas<T>(f: () => T): T {
  bypass++;
  let result: T;
  try {
    result = f();
  } catch (e) {
    bypass--;
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => bypass--) as T;
  bypass--;
  return result;
}

const size = (shape: number[]): number => shape.reduce((p, d) => p * d, 1);

function wrap(pool: BlasPool, original: KernelFunc): KernelFunc {
  const fn: KernelFunc = (args) => {
    const backend = args.backend as BackendWasm;
    const { a, b } = args.inputs as Record<string, TensorInfo>;
    const attrs = args.attrs as NamedAttrMap;
    const tA = Boolean(attrs.transposeA);
    const tB = Boolean(attrs.transposeB);
    if (bypass > 0 || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return original(args);
    const [rA, cA] = a.shape.slice(-2);
    const [rB, cB] = b.shape.slice(-2);
    const [M, K, N] = [tA ? cA : rA, tA ? rA : cA, tB ? rB : cB];
    // Mismatched inner sizes and empty operands: the kernel underneath says or does what tfjs does.
    if (K !== (tB ? cB : rB) || size(a.shape) === 0 || size(b.shape) === 0) return original(args);
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const [bA, bB, batches] = [size(a.shape.slice(0, -2)), size(b.shape.slice(0, -2)), size(outer)];
    // Flattened batches line up when each side has either every output batch or a single one.
    if (!((bA === batches || bA === 1) && (bB === batches || bB === 1))) return original(args);
    const out = backend.makeOutput([...outer, M, N], 'float32');
    const [pa, pb, pc] = [addressOf(backend, a), addressOf(backend, b), addressOf(backend, out)];
    const parts: Part[] = [];
    if (bB === 1 && !tA) {
      // Row-major [bA·M, K] is A's memory as it is: one product, the rows of every batch at once.
      parts.push(...cut({ tA, tB, M: bA * M, N, K, a: pa, lda: cA, b: pb, ldb: cB, c: pc, ldc: N }));
    } else {
      for (let i = 0; i < batches; i++) {
        const ai = pa + (bA === 1 ? 0 : 4 * i * rA * cA);
        const bi = pb + (bB === 1 ? 0 : 4 * i * rB * cB);
        parts.push(...cut({ tA, tB, M, N, K, a: ai, lda: cA, b: bi, ldb: cB, c: pc + 4 * i * M * N, ldc: N }));
      }
    }
    pool.run(parts);
    return out;
  };
  for (const mark of [BLAS, FAST]) (fn as unknown as Record<symbol, boolean>)[mark] = true;
  return fn;
}

/** Put BatchMatMul on `blas` with `threads` threads, over the kernel registered now (wasm-matmul.ts's,
 * once installFastMatMul ran). Call once the wasm backend is ready (the pool needs its memory).
 * Once per process: a second call keeps the first. */
export async function installBlasMatMul(blas: Blas, backend: BackendWasm, threads: number): Promise<void> {
  const config = tf.getKernel('BatchMatMul', 'wasm') as KernelConfig | undefined;
  if (config == null || (config.kernelFunc as unknown as Record<symbol, boolean>)[BLAS]) return;
  const pool = await blasPool(blas.library, blas.cblasSgemm, memoryOf(backend), threads);
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...config, kernelFunc: wrap(pool, config.kernelFunc) });
}

/** Whether BatchMatMul on wasm is the BLAS kernel (and not bypassed). */
export function blasMatMulActive(): boolean {
  const k = tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc as unknown as Record<symbol, boolean> | undefined;
  return bypass === 0 && k?.[BLAS] === true;
}
