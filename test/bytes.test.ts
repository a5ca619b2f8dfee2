// Stored tensors: pixel data (every value k/255) is kept as its bytes k and must come back
// bitwise identical; anything else stays float32.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { decodeStored } from '../src/store/tensor-bytes.js';
import { rawToTensor, tensorToRaw } from '../src/store/tensor-convert.js';
import { encodeNpy } from '../src/store/npy.js';
import { disposeAll, mnist, ready, same } from './stages/_ctx.js';

beforeAll(ready);

const bits = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).buffer).toString('hex');

describe('tensor storage', () => {
  it('stores k/255 values as one byte each and decodes them bitwise exactly', async () => {
    const t = tf.tensor2d(
      Float32Array.from({ length: 512 }, (_, i) => (i % 256) / 255),
      [2, 256],
    );
    const raw = await tensorToRaw(t);
    expect(raw.dtype).toBe('unorm8');
    expect(raw.bytes.byteLength).toBe(512);
    const back = rawToTensor(raw);
    expect(back.dtype).toBe('float32');
    expect(bits(back)).toBe(bits(t));
    tf.dispose([t, back]);
  });

  for (const [what, values] of [
    ['a value between two codes', [0, 0.5, 1]],
    ['negative zero', [-0, 1 / 255]],
    ['NaN', [NaN, 0]],
    ['a value above 1', [2, 0]],
  ] as Array<[string, number[]]>) {
    it(`keeps float32 for ${what}`, async () => {
      const t = tf.tensor1d(values);
      const raw = await tensorToRaw(t);
      expect(raw.dtype).toBe('float32');
      const back = rawToTensor(raw);
      expect(bits(back)).toBe(bits(t));
      tf.dispose([t, back]);
    });
  }

  it('exports unorm8 blobs to numpy as float32', async () => {
    const t = tf.tensor1d([0, 1 / 255, 1]);
    const raw = await tensorToRaw(t);
    const npy = encodeNpy(raw);
    expect(npy.toString('latin1')).toContain("'descr': '<f4'");
    expect(Buffer.from(npy.subarray(npy.length - 12)).equals(Buffer.from(decodeStored(raw).bytes))).toBe(true);
    t.dispose();
  });

  it("the load stage's scaled pixels are stored as unorm8 and read back identical", async () => {
    const data = await mnist(300, 100);
    const raw = await tensorToRaw(data.trainX);
    expect(raw.dtype).toBe('unorm8');
    const back = rawToTensor(raw);
    expect(same(back, data.trainX)).toBe(true);
    back.dispose();
    disposeAll(data);
  });
});
