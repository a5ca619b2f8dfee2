// One Adagrad update per variable as a single wasm kernel (the op is sdk/adagrad.ts): in the
// seed's classifier step tfjs's optimizer ran 42 small kernels, each with its engine overhead.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { addressOf, simdKernels } from './wasm-simd.js';

export const ADAGRAD_KERNEL = 'PipelineAdagrad';

const adagradWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const { w, acc, g } = inputs as Record<string, TensorInfo>;
  const { lr, eps } = attrs as unknown as { lr: number; eps: number };
  const k = simdKernels(wasm)!;
  const wOut = wasm.makeOutput(w.shape, 'float32');
  const accOut = wasm.makeOutput(w.shape, 'float32');
  k.adagrad(
    addressOf(wasm, w),
    addressOf(wasm, acc),
    addressOf(wasm, g),
    addressOf(wasm, wOut),
    addressOf(wasm, accOut),
    tf.util.sizeFromShape(w.shape),
    lr,
    eps,
  );
  return [wOut, accOut];
};

/** Registered by initBackend. */
export function installAdagradKernel(): void {
  if (tf.getKernel(ADAGRAD_KERNEL, 'wasm') == null) tf.registerKernel({ kernelName: ADAGRAD_KERNEL, backendName: 'wasm', kernelFunc: adagradWasm });
}
