// The wasm kernels behind sdk/losses.ts: the classifier's softmax cross-entropy and the inverse's
// L1 distance and logit(squash(p)), each direction one kernel (wasm-loss-wat.ts, or a short JS
// loop) instead of a dozen tfjs kernels and tape entries. Registered by initBackend.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { addressOf, simdKernels } from './wasm-simd.js';

/** Kernel names, for the ops that call them. */
export const FUSED = {
  sumAbsDiff: 'PipelineSumAbsDiff',
  absDiffGrad: 'PipelineAbsDiffGrad',
  softmaxCE: 'PipelineSoftmaxCE',
  softmaxCEGrad: 'PipelineSoftmaxCEGrad',
  squashRatio: 'PipelineSquashRatio',
  squashLogitGrad: 'PipelineSquashLogitGrad',
  rangeExcess: 'PipelineRangeExcess',
  rangeExcessGrad: 'PipelineRangeExcessGrad',
} as const;

type Kernels = NonNullable<ReturnType<typeof simdKernels>>;
const size = (t: TensorInfo) => tf.util.sizeFromShape(t.shape);

/** Register a wasm kernel `name` once (a module may be loaded twice, e.g. from src and dist). */
function register(name: string, run: (k: Kernels, b: BackendWasm, inputs: Record<string, TensorInfo>) => TensorInfo | TensorInfo[]): void {
  if (tf.getKernel(name, 'wasm') != null) return;
  const kernelFunc: KernelFunc = ({ inputs, backend }) =>
    run(simdKernels(backend as BackendWasm)!, backend as BackendWasm, inputs as Record<string, TensorInfo>);
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
}

// Softmax cross-entropy over [rows, classes] logits with int32 labels, in float64 JS on the heap:
// the class axis is short (10), so a JS loop beats a dozen tfjs kernels and their tape entries.
const f32 = (b: BackendWasm, t: TensorInfo) => b.typedArrayFromHeap(t) as Float32Array;
function checkLabels(labels: Int32Array, classes: number): void {
  for (const l of labels) if (!(l >= 0 && l < classes)) throw new Error(`label ${l} is not in [0, ${classes - 1}]`);
}
export function installFusedKernels(): void {
  register(FUSED.sumAbsDiff, (k, b, { x, y }) => {
    const out = b.makeOutput([], 'float32');
    (b.typedArrayFromHeap(out) as Float32Array)[0] = k.sum_abs_diff(addressOf(b, x), addressOf(b, y), size(x));
    return out;
  });
  register(FUSED.absDiffGrad, (k, b, { x, y, dy }) => {
    const out = b.makeOutput(x.shape, 'float32');
    k.abs_diff_grad(addressOf(b, x), addressOf(b, y), (b.typedArrayFromHeap(dy) as Float32Array)[0], addressOf(b, out), size(x));
    return out;
  });
  register(FUSED.softmaxCE, (_, b, { logits, labels }) => {
    const [rows, classes] = logits.shape;
    const loss = b.makeOutput([], 'float32');
    const probs = b.makeOutput(logits.shape, 'float32');
    const [z, p, y] = [f32(b, logits), f32(b, probs), b.typedArrayFromHeap(labels) as Int32Array];
    checkLabels(y, classes);
    let total = 0;
    for (let r = 0, o = 0; r < rows; r++, o += classes) {
      let m = -Infinity;
      for (let c = 0; c < classes; c++) m = Math.max(m, z[o + c]);
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += p[o + c] = Math.exp(z[o + c] - m);
      for (let c = 0; c < classes; c++) p[o + c] /= sum;
      total += Math.log(sum) + m - z[o + y[r]];
    }
    f32(b, loss)[0] = total;
    return [loss, probs];
  });
  register(FUSED.softmaxCEGrad, (_, b, { probs, labels, dy }) => {
    const classes = probs.shape[1];
    const out = b.makeOutput(probs.shape, 'float32');
    const [p, g, y, d] = [f32(b, probs), f32(b, out), b.typedArrayFromHeap(labels) as Int32Array, f32(b, dy)[0]];
    for (let i = 0; i < p.length; i++) g[i] = p[i] * d;
    for (let r = 0; r < y.length; r++) g[r * classes + y[r]] -= d;
    return out;
  });
  register(FUSED.squashRatio, (k, b, { p }) => {
    const out = b.makeOutput(p.shape, 'float32');
    k.squash_ratio(addressOf(b, p), addressOf(b, out), p.shape[0], p.shape[1]);
    return out;
  });
  register(FUSED.squashLogitGrad, (k, b, { p, dy }) => {
    const out = b.makeOutput(p.shape, 'float32');
    k.squash_logit_grad(addressOf(b, p), addressOf(b, dy), addressOf(b, out), p.shape[0], p.shape[1]);
    return out;
  });
  // The inverse's out-of-range penalty 0.5 min(l)^2 + 0.5 max(l - 1)^2 in one pass each way
  // instead of nine tfjs ops forward and a dozen backward (each a tape entry and a heap pass). Every
  // float32 step is the composite's, in its order (the scalars here with Math.fround), so the bits
  // are the composite's. Forward gives [penalty [], extremes [2]]: min(l) and max(l - 1), which the
  // gradient takes instead of finding them again.
  register(FUSED.rangeExcess, (k, b, { l }) => {
    const out = b.makeOutput([], 'float32');
    const extremes = b.makeOutput([2], 'float32');
    const [mn, mx] = size(l) === 0 ? [Infinity, -Infinity] : k.range_extremes(addressOf(b, l), size(l));
    f32(b, extremes).set([mn, mx]);
    f32(b, out)[0] = Math.fround(Math.fround(0.5 * Math.fround(mn * mn)) + Math.fround(0.5 * Math.fround(mx * mx)));
    return [out, extremes];
  });
  register(FUSED.rangeExcessGrad, (k, b, { l, extremes, dy }) => {
    const out = b.makeOutput(l.shape, 'float32');
    if (size(l) === 0) return out;
    const [mn, mx] = f32(b, extremes);
    const half = Math.fround(f32(b, dy)[0] * 0.5);
    const [dMin, dMax] = [Math.fround(half * Math.fround(mn * 2)), Math.fround(half * Math.fround(mx * 2))];
    k.range_excess_grad(addressOf(b, l), size(l), mn, mx, dMin, dMax, addressOf(b, out));
    return out;
  });
}
