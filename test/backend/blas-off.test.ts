// PIPELINE_BLAS=off: the wasm GEMM does the matMuls, the backend is named `wasm`, and the results
// are today's kernels' to the bit: the fingerprint below was computed by the backend as it was
// before the BLAS path existed (the same products on 1 and 2 wasm threads gave it too).
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededValues } from '../helpers/values.js';

process.env.PIPELINE_BLAS = 'off';
const { initBackend } = await import('../../src/backend/index.js');
const { blasMatMulActive } = await import('../../src/backend/blas-matmul.js');

const WASM_FINGERPRINT = '65573dee911b44f31d617b331be39b2d078ffa0f097b2f6d913a7692c5284603';

const values = seededValues(11);

let name: string;
beforeAll(async () => {
  name = await initBackend('wasm');
});

describe('PIPELINE_BLAS=off', () => {
  it('names the backend wasm and leaves BatchMatMul to the wasm kernels', () => {
    expect(name).toBe('wasm');
    expect(blasMatMulActive()).toBe(false);
    const k = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc as unknown as Record<symbol, boolean>;
    expect(k[Symbol.for('pipeline.fastMatMul')]).toBe(true);
    expect(k[Symbol.for('pipeline.blasMatMul')]).toBeUndefined();
  });

  it('asking for a BLAS backend by name is then an error', async () => {
    await expect(initBackend('wasm+openblas')).rejects.toThrow(/backend "wasm\+openblas" was asked for but this process runs "wasm"/);
  });

  it("gives today's wasm kernels' bits: products and gradients in every transpose form, batched", () => {
    const h = createHash('sha256');
    const add = (t: tf.Tensor) => {
      h.update(Buffer.from((t.dataSync() as Float32Array).buffer));
      t.dispose();
    };
    for (const [tA, tB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      // 80% zeros on the left: the zero-skipping kernel's case too.
      const a = tf.tensor(values(1000 * 784, 0.8), tA ? [784, 1000] : [1000, 784]);
      const b = tf.tensor(values(784 * 100), tB ? [100, 784] : [784, 100]);
      add(tf.matMul(a, b, tA, tB));
      tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sigmoid(tf.matMul(x, y, tA, tB))))([a, b]).forEach(add);
      tf.dispose([a, b]);
    }
    const a3 = tf.tensor(values(4 * 64 * 96), [4, 64, 96]);
    const b3 = tf.tensor(values(4 * 96 * 48), [4, 96, 48]);
    add(tf.matMul(a3, b3));
    const w = tf.tensor(values(96 * 48), [96, 48]);
    add(tf.matMul(a3, w));
    tf.dispose([a3, b3, w]);
    expect(h.digest('hex')).toBe(WASM_FINGERPRINT);
  });
});
