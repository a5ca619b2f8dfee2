// SIMD float32 Log for the wasm backend (wasm-log-wat.ts); other dtypes go to tfjs's kernel.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { addressOf, replaceWasmKernel, simdKernels } from './wasm-simd.js';

export function installFastLog(): void {
  replaceWasmKernel(
    'Log',
    (original): KernelFunc =>
      (args) => {
        const backend = args.backend as BackendWasm;
        const x = args.inputs.x as TensorInfo;
        const k = simdKernels(backend);
        if (!k || x.dtype !== 'float32') return original(args);
        const out = backend.makeOutput(x.shape, 'float32');
        const n = tf.util.sizeFromShape(x.shape);
        if (n > 0) k.log(addressOf(backend, x), addressOf(backend, out), n);
        return out;
      },
  );
}
