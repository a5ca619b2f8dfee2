// Our SIMD kernels (src/tensors/wasm-simd.ts) replace tfjs-backend-wasm's Transpose, Add, Sub,
// Multiply, RealDiv, Sum and GatherV2, and Adagrad's update. Each must agree with the cpu backend
// (an independent implementation): bitwise for copies and elementwise arithmetic (IEEE ops are
// exact per element), within rounding for sums (another summation order). Shapes are odd so the
// SIMD loops' scalar tails run; the broadcasts they do not handle must still be right (fallback).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../src/backend/index.js';
import { Adagrad } from '../src/sdk/adagrad.js';
import { kernelsWat, simdKernels } from '../src/backend/wasm-simd.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

beforeAll(async () => {
  await initBackend('wasm');
});

let seed = 7;
function values(shape: number[], dtype: 'float32' | 'int32' = 'float32'): tf.TensorLike {
  const n = shape.reduce((p, d) => p * d, 1);
  const out = dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    // Away from zero, so division is well defined.
    out[i] = dtype === 'int32' ? seed % 1000 : ((seed / 2147483648) * 2 - 1) * 3 + (i % 2 ? 4 : -4);
  }
  return out;
}

/** Run `f` on wasm and on cpu; returns both results as plain arrays with their shapes. */
async function both(f: () => tf.Tensor): Promise<Array<{ shape: number[]; data: number[] }>> {
  const out = [];
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const r = tf.tidy(f);
    out.push({ shape: r.shape, data: Array.from(r.dataSync()) });
    r.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }
  await tf.setBackend('wasm');
  return out;
}

describe('SIMD kernels are loaded', () => {
  it('on the wasm backend', () => {
    expect(simdKernels(tf.backend() as BackendWasm)).toBeDefined();
  });
  it('the shared-memory variant (threaded build) compiles and runs', async () => {
    const { default: initWabt } = await import('wabt');
    const wabt = await initWabt();
    const parsed = wabt.parseWat('k.wat', kernelsWat(true), { simd: true, threads: true, bulk_memory: true });
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    const { instance } = await WebAssembly.instantiate(parsed.toBinary({}).buffer as BufferSource, { env: { memory } });
    parsed.destroy();
    const heap = new Float32Array(memory.buffer);
    heap.set([1, 2, 3, 4, 5, 6], 0);
    (instance.exports.transpose as (s: number, d: number, r: number, c: number) => void)(0, 64, 2, 3);
    expect(Array.from(heap.subarray(16, 22))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe('Transpose', () => {
  const cases: Array<[number[], number[], 'float32' | 'int32']> = [
    [[5, 7], [1, 0], 'float32'],
    [[1001, 787], [1, 0], 'float32'],
    [[3, 9, 6], [0, 2, 1], 'float32'],
    [[2, 2, 8, 5], [0, 1, 3, 2], 'int32'],
    [[3, 4, 5], [2, 0, 1], 'float32'], // not a last-two swap: the original kernel
  ];
  for (const [shape, perm, dtype] of cases) {
    it(`${JSON.stringify(shape)} perm ${JSON.stringify(perm)} ${dtype}`, async () => {
      const x = values(shape, dtype);
      const [wasm, cpu] = await both(() => tf.transpose(tf.tensor(x, shape, dtype), perm));
      expect(wasm).toEqual(cpu);
    });
  }
});

describe('Add, Sub, Multiply, RealDiv', () => {
  const shapes: Array<[number[], number[]]> = [
    [
      [7, 9],
      [7, 9],
    ],
    [[7, 9], [9]], // bias row
    [
      [7, 9],
      [7, 1],
    ], // one value per row
    [[7, 9], []], // scalar
    [[], [7, 9]],
    [
      [1, 9],
      [7, 9],
    ],
    [
      [2, 3, 5],
      [3, 5],
    ],
    [
      [2, 3, 5],
      [2, 1, 5],
    ], // not a 2-D broadcast: the original kernel
    [[0, 5], [5]],
  ];
  const ops = { add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div };
  for (const [name, op] of Object.entries(ops)) {
    for (const [sa, sb] of shapes) {
      it(`${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, async () => {
        const [a, b] = [values(sa), values(sb)];
        const [wasm, cpu] = await both(() => op(tf.tensor(a, sa), tf.tensor(b, sb)));
        expect(wasm).toEqual(cpu);
      });
    }
  }
});

describe('Sum', () => {
  const cases: Array<[number[], number | number[] | undefined, boolean]> = [
    [[1001, 787], undefined, false],
    [[37, 13], 0, false],
    [[37, 13], 1, true],
    [[4, 5, 6], [1, 2], false],
    [[4, 5, 6], [0, 1], true],
    [[4, 5, 6], [0, 2], false], // neither leading nor trailing: the original kernel
    [[3], -1, false],
  ];
  for (const [shape, axis, keepDims] of cases) {
    it(`${JSON.stringify(shape)} axis ${JSON.stringify(axis)} keepDims ${keepDims}`, async () => {
      const x = values(shape);
      const [wasm, cpu] = await both(() => tf.sum(tf.tensor(x, shape), axis, keepDims));
      expect(wasm.shape).toEqual(cpu.shape);
      // float32 sums in two orders differ by rounding that grows with the magnitudes summed.
      const scale = Array.from(x as Float32Array).reduce((s, v) => s + Math.abs(v), 0);
      wasm.data.forEach((v, i) => {
        expect(Math.abs(v - cpu.data[i])).toBeLessThan(1e-5 * scale);
      });
      if (axis === undefined) {
        // And no less accurate than the cpu backend's running sum, against a float64 sum.
        const exact = Array.from(x as Float32Array).reduce((s, v) => s + v, 0);
        expect(Math.abs(wasm.data[0] - exact)).toBeLessThanOrEqual(Math.abs(cpu.data[0] - exact));
      }
    });
  }
});

describe('Adagrad', () => {
  it('follows tf.train.adagrad step by step, and leaks nothing', async () => {
    const [w0, t0] = [values([13, 7]), values([13, 7])];
    const run = async (backend: string, fused: boolean) => {
      await tf.setBackend(backend);
      const w = tf.variable(tf.tensor(w0, [13, 7]));
      const target = tf.tensor(t0, [13, 7]);
      const loss = () => tf.sum(tf.square(tf.sub(w, target))) as tf.Scalar;
      const before = tf.memory().numTensors;
      if (fused) {
        const opt = new Adagrad([w], 0.05, 0.1);
        for (let i = 0; i < 20; i++) opt.minimize(loss, false);
        opt.dispose();
      } else {
        const opt = tf.train.adagrad(0.05, 0.1);
        for (let i = 0; i < 20; i++) opt.minimize(loss, false, [w]);
        opt.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
      const out = Array.from(w.dataSync());
      tf.dispose([w, target]);
      return out;
    };
    const fused = await run('wasm', true);
    const reference = await run('cpu', false);
    const tfjsWasm = await run('wasm', false);
    fused.forEach((v, i) => {
      expect(v).toBeCloseTo(reference[i], 5);
    });
    fused.forEach((v, i) => {
      expect(v).toBeCloseTo(tfjsWasm[i], 5);
    });
    await tf.setBackend('wasm');
  });
});

describe('zero-skipping matMul (mostly-zero left operand)', () => {
  // [300, 280] with ~80% zeros, like MNIST pixels; B dense.
  const [M, K, N] = [300, 280, 37];
  const a = Float32Array.from(values([M, K]) as Float32Array, (v, i) => ((i * 7919) % 10 < 8 ? 0 : v));
  for (const [tA, tB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as Array<[boolean, boolean]>) {
    it(`transposeA=${tA} transposeB=${tB}: bitwise the dense XNNPACK product, close to cpu, no leaks`, async () => {
      const aShape = tA ? [K, M] : [M, K];
      const bShape = tB ? [N, K] : [K, N];
      const av = tA ? transposeOf(a, M, K) : a;
      const bv = values(bShape);
      const [sparse, cpu] = await both(() => tf.matMul(tf.tensor(av, aShape), tf.tensor(bv, bShape), tA, tB));
      // A batch of two takes the dense path (the zero-skipping kernel is for single products).
      const dense = tf.tidy(() => {
        const a2 = tf.stack([tf.tensor(av, aShape), tf.tensor(av, aShape)]);
        return Array.from(tf.slice(tf.matMul(a2, tf.tensor(bv, bShape), tA, tB), [0, 0, 0], [1, M, N]).dataSync());
      });
      expect(sparse.shape).toEqual([M, N]);
      expect(sparse.data).toEqual(dense);
      const scale = Math.max(...cpu.data.map(Math.abs));
      sparse.data.forEach((v, i) => {
        expect(Math.abs(v - cpu.data[i])).toBeLessThan(1e-5 * scale);
      });
    });
  }
});

function transposeOf(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c];
  return out;
}
