// Fast transposed and batched matMul for the wasm backend.
//
// tfjs-backend-wasm 4.22 hands a product to XNNPACK only when neither transpose flag is set and
// both operands have batch 1 (batch_mat_mul_impl.cc, tensorflow/tfjs#2532, #6982); anything else,
// which includes both gradients of every matMul, runs a scalar loop ~10x slower. We re-register
// `BatchMatMul` and `_FusedMatMul` so that such products are rewritten into calls the fast path
// takes: transpose operands with the wasm Transpose kernel, fold a batch into rows when the right
// operand is shared, or loop over batches. The original kernels stay the ones that do the math,
// except for a single product whose left operand is mostly zeros (a batch of MNIST pixels): that
// goes to our zero-skipping kernel (wasm-spmm-wat.ts), which gives the same bits faster.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { addressOf, simdKernels } from './wasm-simd.js';

const PATCHED = Symbol.for('pipeline.fastMatMul');
const KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;
/** Packing a weight element costs about this many transposed elements (measured: ~3.5 ns vs ~0.9 ns). */
const PACK_COST = 3;

type Inputs = Record<string, TensorInfo | undefined>;
/** The original kernel, called with 3-D float32 operands and both transpose flags cleared. */
type Plain = (a: TensorInfo, b: TensorInfo) => TensorInfo;

interface Ctx {
  backend: BackendWasm;
  transpose: KernelFunc;
  plain: Plain;
}

const view = (t: TensorInfo, shape: number[]): TensorInfo => ({ dataId: t.dataId, shape, dtype: t.dtype });
const size = (shape: number[]): number => shape.reduce((p, d) => p * d, 1);

/** Materialise the transpose of the last two axes of a 3-D tensor; the caller disposes it. */
function swapLast(ctx: Ctx, x: TensorInfo): TensorInfo {
  return ctx.transpose({ inputs: { x }, backend: ctx.backend, attrs: { perm: [0, 2, 1] } }) as TensorInfo;
}

/**
 * C = op(A)·op(B) through the fast path. Returns a new 3-D tensor [batch, M, N]; `canFlip`
 * allows computing Cᵀ = op(B)ᵀ·op(A)ᵀ instead (not with a bias: it is per output column).
 */
function product(ctx: Ctx, a: TensorInfo, b: TensorInfo, tA: boolean, tB: boolean, canFlip: boolean): TensorInfo {
  const [bA, rA, cA] = a.shape;
  const [bB, rB, cB] = b.shape;
  const [M, K, N] = [tA ? cA : rA, tA ? rA : cA, tB ? rB : cB];
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo): TensorInfo => {
    temps.push(t);
    return t;
  };
  try {
    if (bA === 1 && bB === 1) {
      // Elements moved by each formulation: transposes of the operands that need one, plus the
      // weights XNNPACK packs on every call (the right operand; saved-for-gradient tensors are
      // fresh copies, so its cache rarely hits), plus transposing the result when flipped.
      const direct = (tA ? M * K : 0) + (tB ? K * N : 0) + PACK_COST * K * N;
      const flipped = (tA ? 0 : M * K) + (tB ? 0 : K * N) + M * N + PACK_COST * K * M;
      if (canFlip && flipped < direct) {
        const x = tB ? b : keep(swapLast(ctx, b)); // [1, N, K]
        const w = tA ? a : keep(swapLast(ctx, a)); // [1, K, M]
        return swapLast(ctx, keep(ctx.plain(x, w)));
      }
    }
    const x = tA ? keep(swapLast(ctx, a)) : a; // [bA, M, K]
    const w = tB ? keep(swapLast(ctx, b)) : b; // [bB, K, N]
    if (bB === 1) {
      // A shared right operand lets the batch fold into rows: one call, weights packed once.
      const out = ctx.plain(view(x, [1, bA * M, K]), w);
      return { ...out, shape: [bA, M, N] };
    }
    return perBatch(ctx, x, w, Math.max(bA, bB), M, K, N);
  } finally {
    for (const t of temps) ctx.backend.disposeData(t.dataId);
  }
}

/** Below this many elements of A a product is too small for the zero scan to pay. */
const SPARSE_MIN = 1 << 16;
/** A is taken as sparse when at least this fraction of a sample of it is zero. */
const SPARSE_FRACTION = 0.5;
const SAMPLE = 4096;

/** Mostly zeros, judged from a sample of its first elements (MNIST rows are ~80% zero). */
function looksSparse(backend: BackendWasm, a: TensorInfo): boolean {
  const v = backend.typedArrayFromHeap(a) as Float32Array;
  const n = Math.min(SAMPLE, v.length);
  let zeros = 0;
  for (let i = 0; i < n; i++) if (v[i] === 0) zeros++;
  return zeros >= SPARSE_FRACTION * n;
}

/** C = op(A)·op(B) for 2-D operands with our zero-skipping kernel (wasm-spmm-wat.ts), bitwise the
 * dense product; undefined when A is small or not mostly zeros. */
function sparseProduct(ctx: Ctx, a: TensorInfo, b: TensorInfo, tA: boolean, tB: boolean): TensorInfo | undefined {
  const k = simdKernels(ctx.backend);
  const size = a.shape[1] * a.shape[2];
  if (!k || a.shape[0] !== 1 || b.shape[0] !== 1 || size < SPARSE_MIN || !looksSparse(ctx.backend, a)) return undefined;
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo): TensorInfo => {
    temps.push(t);
    return t;
  };
  try {
    const x = tA ? keep(swapLast(ctx, a)) : a; // [1, M, K]
    const w = tB ? keep(swapLast(ctx, b)) : b; // [1, K, N]
    const [M, K, N] = [x.shape[1], x.shape[2], w.shape[2]];
    const scratch = keep(ctx.backend.makeOutput([2 * K], 'float32'));
    const out = ctx.backend.makeOutput([1, M, N], 'float32');
    k.spmm(addressOf(ctx.backend, x), M, K, addressOf(ctx.backend, w), N, addressOf(ctx.backend, out), addressOf(ctx.backend, scratch));
    return out;
  } finally {
    for (const t of temps) ctx.backend.disposeData(t.dataId);
  }
}

/** One fast call per batch entry, copying slices through the wasm heap. */
function perBatch(ctx: Ctx, x: TensorInfo, w: TensorInfo, batch: number, M: number, K: number, N: number): TensorInfo {
  const { backend } = ctx;
  const out = backend.makeOutput([batch, M, N], 'float32');
  const slice = (src: TensorInfo, i: number, rows: number, cols: number): TensorInfo => {
    const n = rows * cols;
    const from = src.shape[0] === 1 ? 0 : i * n; // batch broadcasting
    const t = backend.makeOutput([1, rows, cols], 'float32');
    // Views are taken after every allocation: heap growth detaches older ones.
    (backend.typedArrayFromHeap(t) as Float32Array).set((backend.typedArrayFromHeap(src) as Float32Array).subarray(from, from + n));
    return t;
  };
  for (let i = 0; i < batch; i++) {
    const xi = slice(x, i, M, K);
    const wi = slice(w, i, K, N);
    const oi = ctx.plain(xi, wi);
    (backend.typedArrayFromHeap(out) as Float32Array).set(backend.typedArrayFromHeap(oi) as Float32Array, i * M * N);
    for (const t of [xi, wi, oi]) backend.disposeData(t.dataId);
  }
  return out;
}

/** A tensor's outer dimensions flattened: [batch, rows, cols], sharing its data. */
const as3d = (t: TensorInfo): TensorInfo => {
  const r = t.shape.length;
  return view(t, [size(t.shape.slice(0, -2)), t.shape[r - 2], t.shape[r - 1]]);
};

function wrap(original: KernelConfig, transpose: KernelFunc): KernelFunc {
  const fused = original.kernelName === '_FusedMatMul';
  const fn: KernelFunc = (args) => {
    const backend = args.backend as BackendWasm;
    const inputs = args.inputs as Inputs;
    const attrs = args.attrs as NamedAttrMap;
    const a = inputs.a!;
    const b = inputs.b!;
    const tA = Boolean(attrs.transposeA);
    const tB = Boolean(attrs.transposeB);
    const a3 = as3d(a);
    const b3 = as3d(b);
    const [bA, bB] = [a3.shape[0], b3.shape[0]];
    const innerA = tA ? a3.shape[1] : a3.shape[2];
    const innerB = tB ? b3.shape[2] : b3.shape[1];
    tf.util.assert(
      innerA === innerB,
      () =>
        `Error in matMul: inner shapes (${innerA}) and (${innerB}) of Tensors ` +
        `with shapes ${a.shape} and ${b.shape} and transposeA=${tA} and transposeB=${tB} must match.`,
    );
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    // Flattened batches line up when each side has either every output batch or a single one.
    const batches = size(outer);
    const aligned = (bA === batches || bA === 1) && (bB === batches || bB === 1);
    const plainAlready = !tA && !tB && bA === 1 && bB === 1;
    const empty = size(a.shape) === 0 || size(b.shape) === 0;
    if (!aligned || empty || a.dtype !== 'float32' || b.dtype !== 'float32') return original.kernelFunc(args);

    const plainAttrs = { ...attrs, transposeA: false, transposeB: false };
    const plain: Plain = (x, w) => original.kernelFunc({ inputs: { ...inputs, a: x, b: w }, backend, attrs: plainAttrs }) as TensorInfo;
    if (!fused) {
      // A training batch of pixels is mostly zeros: skip them (no epilogue to apply here).
      const sparse = sparseProduct({ backend, transpose, plain }, a3, b3, tA, tB);
      if (sparse) return { ...sparse, shape: [...outer, sparse.shape[1], sparse.shape[2]] };
    }
    if (plainAlready) return original.kernelFunc(args);
    // Flipping is only sound when the epilogue is elementwise; bias and prelu weights are per column.
    const canFlip = !fused || (inputs.bias == null && inputs.preluActivationWeights == null);
    const out = product({ backend, transpose, plain }, a3, b3, tA, tB, canFlip);
    if (fused) return out; // tfjs-core already hands this kernel 3-D operands
    return { ...out, shape: [...outer, out.shape[1], out.shape[2]] };
  };
  (fn as unknown as Record<symbol, boolean>)[PATCHED] = true;
  return fn;
}

/**
 * Replace the wasm `BatchMatMul` and `_FusedMatMul` kernels by the rewriting wrappers.
 * Idempotent; a no-op when the wasm kernels are not registered. Call before or after the backend
 * initialises: the original setup functions are kept on the new registrations.
 */
export function installFastMatMul(): void {
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (transpose == null) return;
  for (const name of KERNELS) {
    const original = tf.getKernel(name, 'wasm');
    if (original == null || (original.kernelFunc as unknown as Record<symbol, boolean>)[PATCHED]) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: wrap(original, transpose.kernelFunc) });
  }
}
