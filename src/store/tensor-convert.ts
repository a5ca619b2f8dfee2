// tf.Tensor <-> stored bytes (tensor-bytes.ts has the layout). The one store module that loads
// tfjs-core: run-cache.ts imports it dynamically, when a save or a load needs tensors.
import * as tf from '@tensorflow/tfjs-core';
import { decodeStored, type RawTensor, unorm8Codes } from './tensor-bytes.js';

export async function tensorToRaw(t: tf.Tensor): Promise<RawTensor> {
  if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') {
    throw new Error(`cannot store a tensor of dtype ${t.dtype}`);
  }
  let data: Float32Array | Int32Array | Uint8Array | undefined;
  if (t.dtype === 'float32' && t.size > 0) {
    // Encode straight from the wasm heap when the tensor lives there: reading 188 MB of MNIST out
    // first cost 80 ms. The view is used synchronously, before anything can allocate.
    const backend = tf.backend() as unknown as { typedArrayFromHeap?(t: tf.TensorInfo): Float32Array };
    const inPlace = tf.getBackend() === 'wasm' && backend.typedArrayFromHeap ? backend.typedArrayFromHeap(t) : undefined;
    if (!inPlace) data = (await t.data()) as Float32Array;
    const codes = unorm8Codes(inPlace ?? (data as Float32Array));
    if (codes) return { dtype: 'unorm8', shape: t.shape.slice(), bytes: codes };
  }
  data ??= (await t.data()) as Float32Array | Int32Array | Uint8Array;
  return { dtype: t.dtype, shape: t.shape.slice(), bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function rawToTensor(stored: RawTensor): tf.Tensor {
  const { dtype, shape, bytes } = decodeStored(stored);
  // A typed-array view needs 4-byte alignment; copy only when the bytes are not aligned.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  switch (dtype) {
    case 'float32':
      return tf.tensor(new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4), shape, 'float32');
    case 'int32':
      return tf.tensor(new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4), shape, 'int32');
    case 'bool':
      return tf.tensor(new Uint8Array(aligned), shape, 'bool');
    case 'uint8':
      return tf.tensor(new Int32Array(aligned), shape, 'int32');
    case 'unorm8':
      throw new Error('unreachable: decoded above');
  }
}
