// Tensor <-> bytes, the only place that knows how a tensor is laid out on disk.
import * as tf from '@tensorflow/tfjs-core';

export type StoredDtype = 'float32' | 'int32' | 'bool' | 'uint8' | 'unorm8';

export interface RawTensor {
  dtype: StoredDtype;
  shape: number[];
  bytes: Uint8Array;
}

/** 'unorm8' stores a float32 tensor whose every value is k/255 (pixels scaled to [0, 1]) as the
 * bytes k: a quarter of the hashing, writing and disk of float32 (the cold base run spent 1.2 s,
 * 3% of its time, storing MNIST as float32). Decoding through this table is bitwise exact. */
const UNORM8 = Float32Array.from({ length: 256 }, (_, k) => k / 255);
const UNORM8_BITS = new Uint32Array(UNORM8.buffer);

/** The codes k of `v` when every value has exactly the bits of UNORM8[k] (so not -0 or NaN). */
function unorm8Codes(v: Float32Array): Uint8Array | undefined {
  const bits = new Uint32Array(v.buffer, v.byteOffset, v.length);
  const codes = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    // k is only a guess at the code (any value maps to some int); the bit comparison decides.
    const k = (v[i] * 255 + 0.5) | 0;
    if (k >>> 0 > 255 || UNORM8_BITS[k] !== bits[i]) return undefined;
    codes[i] = k;
  }
  return codes;
}

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

/** The same tensor with float32 bytes when it was stored as unorm8; anything else unchanged. */
export function decodeStored(raw: RawTensor): RawTensor {
  if (raw.dtype !== 'unorm8') return raw;
  const out = new Float32Array(raw.bytes.length);
  for (let i = 0; i < out.length; i++) out[i] = UNORM8[raw.bytes[i]];
  return { dtype: 'float32', shape: raw.shape, bytes: new Uint8Array(out.buffer) };
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
