// Identity without a copy for the wasm backend.
//
// The engine clones every tensor it saves for backprop (and tf.clone, same-dtype casts): the wasm
// Identity kernel copies the bytes each time, a [1000, 784] batch per matMul per training step.
// Tensors are immutable and the wasm backend counts references, so a clone can share its input's
// data, as the cpu backend's Identity does.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const PATCHED = Symbol.for('pipeline.sharedIdentity');

export function installSharedIdentity(): void {
  const original = tf.getKernel('Identity', 'wasm');
  if (original == null || (original.kernelFunc as unknown as Record<symbol, boolean>)[PATCHED]) return;
  const identity: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string') return original.kernelFunc(args);
    (args.backend as BackendWasm).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  (identity as unknown as Record<symbol, boolean>)[PATCHED] = true;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: identity });
}
