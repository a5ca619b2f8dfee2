// Identity without a copy for the wasm backend.
//
// The engine clones every tensor it saves for backprop (and tf.clone, same-dtype casts): the wasm
// Identity kernel copies the bytes each time, a [1000, 784] batch per matMul per training step.
// Tensors are immutable and the wasm backend counts references, so a clone can share its input's
// data, as the cpu backend's Identity does.
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { replaceWasmKernel } from './wasm-simd.js';

export function installSharedIdentity(): void {
  replaceWasmKernel(
    'Identity',
    (original): KernelFunc =>
      (args) => {
        const x = args.inputs.x as TensorInfo;
        if (x.dtype === 'string') return original(args);
        (args.backend as BackendWasm).incRef(x.dataId);
        return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
      },
  );
}
