// SIMD float32 Sum for the wasm backend, for reductions over a leading or a trailing block of
// axes (a bias gradient sums a [1000, 100] batch over rows; a loss sums everything).
// tfjs-backend-wasm transposes the reduced axes to the end first, then sums with a scalar loop.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { addressOf, replaceWasmKernel, simdKernels } from './wasm-simd.js';

export function installFastSum(): void {
  replaceWasmKernel(
    'Sum',
    (original): KernelFunc =>
      (args) => {
        const backend = args.backend as BackendWasm;
        const x = args.inputs.x as TensorInfo;
        const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
        const k = simdKernels(backend);
        if (!k || x.dtype !== 'float32') return original(args);
        const r = x.shape.length;
        const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
        const leading = axes.every((a, i) => a === i);
        const trailing = axes.every((a, i) => a === r - axes.length + i);
        if (!leading && !trailing) return original(args);
        const shape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
        const out = backend.makeOutput(shape, 'float32');
        const [src, dst] = [addressOf(backend, x), addressOf(backend, out)];
        const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
        if (axes.length === r) {
          const total = size(x.shape) === 0 ? 0 : k.sum_all(src, size(x.shape));
          (backend.typedArrayFromHeap(out) as Float32Array)[0] = total;
        } else if (axes.length === 0) {
          (backend.typedArrayFromHeap(out) as Float32Array).set(backend.typedArrayFromHeap(x) as Float32Array);
        } else if (trailing) {
          const split = r - axes.length;
          k.sum_rows(src, dst, size(x.shape.slice(0, split)), size(x.shape.slice(split)));
        } else {
          k.sum_cols(src, dst, size(x.shape.slice(0, axes.length)), size(x.shape.slice(axes.length)));
        }
        return out;
      },
  );
}
