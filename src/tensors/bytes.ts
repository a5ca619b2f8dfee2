// Tensor <-> bytes, the only place that knows how a tensor is laid out on disk.
import * as tf from '@tensorflow/tfjs-core';

export type StoredDtype = 'float32' | 'int32' | 'bool' | 'uint8';

export interface RawTensor {
  dtype: StoredDtype;
  shape: number[];
  bytes: Uint8Array;
}

export async function tensorToRaw(t: tf.Tensor): Promise<RawTensor> {
  if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') {
    throw new Error(`cannot store a tensor of dtype ${t.dtype}`);
  }
  const data = (await t.data()) as Float32Array | Int32Array | Uint8Array;
  return { dtype: t.dtype, shape: t.shape.slice(), bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function rawToTensor(raw: RawTensor): tf.Tensor {
  const { dtype, shape, bytes } = raw;
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
  }
}
