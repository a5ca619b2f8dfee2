// The row-copy wasm GatherV2 must give exactly what the cpu backend gives (a gather is a copy:
// bitwise equal) for every axis / batchDims / dtype the kernel accepts, and keep its checks.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { installFastGather } from '../src/backend/wasm-gather.js';
import { loadSimdKernels } from '../src/backend/wasm-simd.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  installFastGather();
});

async function gatherOn(backend: string, xs: number[], is: number[], axis: number, batchDims: number, dtype: tf.DataType) {
  await tf.setBackend(backend);
  const n = xs.reduce((p, d) => p * d, 1);
  const xv = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 2 : i * 1.5 - 3));
  const iv = Array.from({ length: is.reduce((p, d) => p * d, 1) }, (_, i) => (i * 5 + 1) % xs[axis]);
  const r = tf.tidy(() => tf.gather(tf.tensor(xv, xs, dtype), tf.tensor(iv, is, 'int32'), axis, batchDims));
  const out = { shape: r.shape, dtype: r.dtype, values: Array.from(r.dataSync()) };
  r.dispose();
  return out;
}

describe('wasm GatherV2 (row copy)', () => {
  const cases: Array<[number[], number[], number, number, tf.DataType]> = [
    [[7, 5], [3], 0, 0, 'float32'],
    [[7, 5], [4, 2], 1, 0, 'float32'],
    [[3, 4, 5], [2, 6], 1, 0, 'int32'],
    [[2, 6, 5], [2, 3], 1, 1, 'float32'],
    [[2, 3, 4, 5], [2, 3, 2], 2, 2, 'float32'],
    [[6], [9], 0, 0, 'bool'],
    [[4, 3], [0], 0, 0, 'float32'],
  ];
  // First the JS row copy (before our SIMD module loads), then wasm's memory.copy.
  for (const path of ['JS copy', 'memory.copy']) {
    for (const [xs, is, axis, batchDims, dtype] of cases) {
      it(`${path}: x ${JSON.stringify(xs)} indices ${JSON.stringify(is)} axis ${axis} batchDims ${batchDims} ${dtype}`, async () => {
        if (path === 'memory.copy') await loadSimdKernels(tf.findBackend('wasm') as BackendWasm);
        const want = await gatherOn('cpu', xs, is, axis, batchDims, dtype);
        const got = await gatherOn('wasm', xs, is, axis, batchDims, dtype);
        expect(got).toEqual(want);
      });
    }
  }

  it('is the kernel in use, rejects out-of-range indices, and leaks nothing', async () => {
    await tf.setBackend('wasm');
    expect((tf.getKernel('GatherV2', 'wasm')!.kernelFunc as unknown as Record<symbol, boolean>)[Symbol.for('pipeline.simdKernel')]).toBe(true);
    expect(() => tf.gather(tf.tensor([1, 2, 3]), tf.tensor1d([3], 'int32'))).toThrow(/not in \[0, 2\]/);
    const x = tf.randomUniform([600, 784], 0, 1, 'float32', 6);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) tf.tidy(() => void tf.gather(x, tf.tensor1d([5, 1, 599], 'int32')));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
