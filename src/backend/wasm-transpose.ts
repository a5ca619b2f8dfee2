// SIMD Transpose for the wasm backend: the matMul rewrite (wasm-matmul.ts) transposes a
// [1000, 784] batch for every weight gradient, and tfjs-backend-wasm's Transpose is a scalar loop
// with index arithmetic per element. 4x4 shuffled blocks (wasm-simd.ts) do it in about half the
// time. Only the swaps of the last two axes of 4-byte tensors; anything else goes to the original.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { addressOf, replaceWasmKernel, simdKernels } from './wasm-simd.js';

/** Rows and columns of each matrix when `perm` swaps the last two axes and keeps the rest. */
function lastTwoSwap(shape: number[], perm: number[]): { batch: number; rows: number; cols: number } | undefined {
  const r = perm.length;
  if (r < 2 || perm[r - 2] !== r - 1 || perm[r - 1] !== r - 2) return undefined;
  for (let i = 0; i < r - 2; i++) if (perm[i] !== i) return undefined;
  return { batch: tf.util.sizeFromShape(shape.slice(0, -2)), rows: shape[r - 2], cols: shape[r - 1] };
}

export function installFastTranspose(): void {
  replaceWasmKernel(
    'Transpose',
    (original): KernelFunc =>
      (args) => {
        const backend = args.backend as BackendWasm;
        const x = args.inputs.x as TensorInfo;
        const perm = (args.attrs as { perm: number[] }).perm;
        const k = simdKernels(backend);
        const m = lastTwoSwap(x.shape, perm);
        if (!k || !m || (x.dtype !== 'float32' && x.dtype !== 'int32')) return original(args);
        const out = backend.makeOutput(
          perm.map((p) => x.shape[p]),
          x.dtype,
        );
        const [src, dst, bytes] = [addressOf(backend, x), addressOf(backend, out), m.rows * m.cols * 4];
        for (let b = 0; b < m.batch; b++) k.transpose(src + b * bytes, dst + b * bytes, m.rows, m.cols);
        return out;
      },
  );
}
