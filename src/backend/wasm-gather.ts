// Fast GatherV2 for the wasm backend.
//
// tfjs-backend-wasm 4.22's Gather kernel converts every output element's offset to a location
// vector (a heap allocation per element): gathering a 1000-row batch from a [60000, 784] tensor
// takes ~20 ms, as long as the whole training step. Gathering is a copy of contiguous slices,
// which this kernel does directly on the wasm heap (with wasm's memory.copy once our SIMD module is
// loaded: a third of the time of a JS copy per row). Same shapes, checks and outputs as the original.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { addressOf, replaceWasmKernel, simdKernels } from './wasm-simd.js';

const gatherV2: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const x = inputs.x as TensorInfo;
  const indices = inputs.indices as TensorInfo;
  const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
  const parsedAxis = tf.util.parseAxisParam(axis, x.shape)[0];
  const idx = wasm.readSync(indices.dataId) as Int32Array;
  const axisDim = x.shape[parsedAxis];
  for (let i = 0; i < idx.length; ++i) {
    const index = idx[i];
    tf.util.assert(index <= axisDim - 1 && index >= 0, () => `GatherV2: the index value ${index} is not in [0, ${axisDim - 1}]`);
  }
  const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(
    x as tf.TensorInfo as tf.Tensor,
    indices as tf.TensorInfo as tf.Tensor,
    parsedAxis,
    batchDims,
  );
  const { batchSize, outerSize, dimSize, sliceSize } = info;
  const perBatch = idx.length / batchSize;
  const out = wasm.makeOutput(info.outputShape, x.dtype);
  if (tf.util.sizeFromShape(out.shape) === 0) return out;
  const k = simdKernels(wasm);
  const bytes = tf.util.bytesPerElement(x.dtype);
  if (k && x.dtype !== 'string' && indices.dtype === 'int32') {
    const [src, ids, dst] = [addressOf(wasm, x), addressOf(wasm, indices), addressOf(wasm, out)];
    const rowBytes = sliceSize * bytes;
    for (let b = 0; b < batchSize; b++) {
      for (let r = 0; r < outerSize; r++) {
        k.gather_rows(
          src + (b * outerSize + r) * dimSize * rowBytes,
          ids + b * perBatch * 4,
          perBatch,
          rowBytes,
          dst + (b * outerSize + r) * perBatch * rowBytes,
        );
      }
    }
    return out;
  }
  // Views after the allocation: growing the heap detaches older ones.
  const src = wasm.typedArrayFromHeap(x);
  const dst = wasm.typedArrayFromHeap(out);
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let r = 0; r < outerSize; r++) {
      const base = (b * outerSize + r) * dimSize;
      for (let i = 0; i < perBatch; i++) {
        const from = (base + idx[b * perBatch + i]) * sliceSize;
        dst.set(src.subarray(from, from + sliceSize), o);
        o += sliceSize;
      }
    }
  }
  return out;
};

/** Replace the wasm GatherV2 kernel. Idempotent; a no-op when the wasm kernels are not registered. */
export function installFastGather(): void {
  replaceWasmKernel('GatherV2', () => gatherV2);
}
