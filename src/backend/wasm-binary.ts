// SIMD float32 Add, Sub, Multiply and RealDiv for the wasm backend, including the broadcasts the
// training steps use (a bias row, a per-row column, a scalar). tfjs-backend-wasm's versions walk
// the broadcast with index arithmetic per element. Any other broadcast or dtype goes to the
// original kernel.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { addressOf, replaceWasmKernel, simdKernels, type BinaryOp } from './wasm-simd.js';

const KERNELS: Record<string, BinaryOp> = { Add: 'add', Sub: 'sub', Multiply: 'mul', RealDiv: 'div' };

/** An operand seen as a [rows, cols] matrix: its row stride (elements) and whether it varies
 * along columns ('v') or holds one value per row ('s'). */
interface Operand {
  rowStride: number;
  mode: 'v' | 's';
}

const prod = (xs: number[]) => xs.reduce((p, d) => p * d, 1);

/**
 * Split the output's axes at `k` into rows × cols. An operand fits when, within each part, it
 * either has every output dimension or only 1s. Returns the first split that both operands fit.
 */
export function plan2d(aShape: number[], bShape: number[], out: number[]): { rows: number; cols: number; a: Operand; b: Operand } | undefined {
  const pad = (s: number[]) => [...new Array(out.length - s.length).fill(1), ...s];
  const [pa, pb] = [pad(aShape), pad(bShape)];
  const part = (s: number[], from: number, to: number): 'full' | 'ones' | undefined => {
    let full = true;
    let ones = true;
    for (let i = from; i < to; i++) {
      if (s[i] !== out[i]) full = false;
      if (s[i] !== 1) ones = false;
    }
    return full ? 'full' : ones ? 'ones' : undefined;
  };
  for (let k = 0; k <= out.length; k++) {
    const rows = prod(out.slice(0, k));
    const cols = prod(out.slice(k));
    const fit = (s: number[]): Operand | undefined => {
      const [outer, inner] = [part(s, 0, k), part(s, k, out.length)];
      if (!outer || !inner) return undefined;
      return { rowStride: outer === 'ones' ? 0 : inner === 'full' ? cols : 1, mode: inner === 'full' ? 'v' : 's' };
    };
    const [a, b] = [fit(pa), fit(pb)];
    if (a && b) return { rows, cols, a, b };
  }
  return undefined;
}

export function installFastBinary(): void {
  for (const [name, op] of Object.entries(KERNELS)) {
    replaceWasmKernel(
      name,
      (original): KernelFunc =>
        (args) => {
          const backend = args.backend as BackendWasm;
          const a = args.inputs.a as TensorInfo;
          const b = args.inputs.b as TensorInfo;
          const k = simdKernels(backend);
          if (!k || a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
          const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
          const p = plan2d(a.shape, b.shape, shape);
          if (!p) return original(args);
          const out = backend.makeOutput(shape, 'float32');
          if (p.rows * p.cols > 0) {
            k[`${op}_${p.a.mode}${p.b.mode}`](
              addressOf(backend, a),
              addressOf(backend, b),
              addressOf(backend, out),
              p.rows,
              p.cols,
              p.a.rowStride,
              p.b.rowStride,
            );
          }
          return out;
        },
    );
  }
}
