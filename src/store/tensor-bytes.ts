// How a tensor is laid out on disk, without tfjs: the cache, `cache show` and the numpy export
// read stored bytes through this file alone. Converting to and from tf.Tensor is
// tensor-convert.ts, kept apart so that a run of cache hits never loads tfjs-core (~100 ms).

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
export function unorm8Codes(v: Float32Array): Uint8Array | undefined {
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

/** The same tensor with float32 bytes when it was stored as unorm8; anything else unchanged. */
export function decodeStored(raw: RawTensor): RawTensor {
  if (raw.dtype !== 'unorm8') return raw;
  const out = new Float32Array(raw.bytes.length);
  for (let i = 0; i < out.length; i++) out[i] = UNORM8[raw.bytes[i]];
  return { dtype: 'float32', shape: raw.shape, bytes: new Uint8Array(out.buffer) };
}
