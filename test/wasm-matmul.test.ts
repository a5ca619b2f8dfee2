// The rewritten wasm BatchMatMul/_FusedMatMul must agree with the cpu backend (an independent
// implementation) for every transpose combination, batched shapes, fused epilogues and gradients,
// and must not leak tensors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerGradients } from '../src/backend/gradients.js';

// tfjs-core's Node bundle has no gradients; initBackend registers ours, this test may not call it.
registerGradients();
import { installFastMatMul } from '../src/backend/wasm-matmul.js';

const FLAGS: Array<[boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

let seed = 1;
function data(shape: number[]): { shape: number[]; values: Float32Array } {
  const n = shape.reduce((p, d) => p * d, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    values[i] = (seed / 2147483648) * 2 - 1;
  }
  return { shape, values };
}
type Data = ReturnType<typeof data>;
const t = (d: Data) => tf.tensor(d.values, d.shape);

/** Run `f` on a backend and read every result back as plain arrays. */
async function on(backend: string, f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((x) => x.dataSync() as Float32Array);
  tf.dispose(list);
  return values;
}

/** Both backends agree to 1e-5 of the reference's largest magnitude (summation order differs). */
async function agree(f: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const ref = await on('cpu', f);
  const got = await on('wasm', f);
  expect(got.length).toBe(ref.length);
  ref.forEach((r, k) => {
    expect(got[k].length).toBe(r.length);
    let scale = 0;
    let err = 0;
    for (let i = 0; i < r.length; i++) {
      scale = Math.max(scale, Math.abs(r[i]));
      err = Math.max(err, Math.abs(got[k][i] - r[i]));
    }
    expect(Number.isFinite(err)).toBe(true);
    expect(err).toBeLessThanOrEqual(1e-5 * Math.max(scale, 1e-6));
  });
}

/** Operand shapes for C[batch.., M, N] = op(A)·op(B) with the given flags. */
function operands(M: number, K: number, N: number, tA: boolean, tB: boolean, batchA: number[] = [], batchB: number[] = []) {
  return {
    a: data([...batchA, ...(tA ? [K, M] : [M, K])]),
    b: data([...batchB, ...(tB ? [N, K] : [K, N])]),
  };
}

beforeAll(async () => {
  await tf.setBackend('wasm');
  installFastMatMul();
});

describe('installFastMatMul', () => {
  it('replaces both kernels once and is idempotent', () => {
    const first = tf.getKernel('BatchMatMul', 'wasm').kernelFunc;
    const fused = tf.getKernel('_FusedMatMul', 'wasm').kernelFunc;
    installFastMatMul();
    expect(tf.getKernel('BatchMatMul', 'wasm').kernelFunc).toBe(first);
    expect(tf.getKernel('_FusedMatMul', 'wasm').kernelFunc).toBe(fused);
    expect(tf.getKernel('BatchMatMul', 'wasm').setupFunc).toBeTypeOf('function');
  });
  it('still rejects mismatched inner dimensions of transposed operands', async () => {
    await tf.setBackend('wasm');
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([4, 5]);
    expect(() => tf.matMul(a, b, true, false)).toThrow(/inner shapes \(2\) and \(4\)/);
    expect(() => tf.matMul(a, b, false, true)).toThrow(/inner shapes/);
    tf.dispose([a, b]);
  });
});

describe('BatchMatMul', () => {
  for (const [tA, tB] of FLAGS) {
    const tag = `transposeA=${tA} transposeB=${tB}`;
    it(`2-D, ${tag}`, async () => {
      // Shapes chosen so both the direct and the flipped formulations get exercised.
      for (const [M, K, N] of [
        [37, 53, 11],
        [9, 70, 120],
        [120, 5, 3],
        [1, 17, 1],
      ]) {
        const { a, b } = operands(M, K, N, tA, tB);
        await agree(() => tf.matMul(t(a), t(b), tA, tB));
      }
    });
    it(`3-D batched (equal, broadcast left, broadcast right, rank 4), ${tag}`, async () => {
      const cases: Array<[number[], number[]]> = [
        [[3], [3]],
        [[4], [1]],
        [[1], [4]],
        [
          [2, 3],
          [2, 3],
        ],
        [
          [2, 3],
          [1, 1],
        ],
        [
          [2, 1],
          [1, 2],
        ],
      ];
      for (const [bA, bB] of cases) {
        const { a, b } = operands(13, 21, 7, tA, tB, bA, bB);
        await agree(() => tf.matMul(t(a), t(b), tA, tB));
      }
      // Rank-3 against rank-2 (the right operand is shared and folds into rows).
      const { a, b } = operands(6, 9, 5, tA, tB, [5], []);
      await agree(() => tf.matMul(t(a), t(b), tA, tB));
    });
    it(`gradients of matMul match, ${tag}`, async () => {
      const { a, b } = operands(31, 17, 23, tA, tB);
      const g = data([31, 23]);
      await agree(() => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, tA, tB), t(g))))([t(a), t(b)]));
    });
  }
});

describe('_FusedMatMul', () => {
  const activations = ['linear', 'relu', 'sigmoid', 'elu', 'leakyrelu'] as const;
  for (const [tA, tB] of FLAGS) {
    it(`bias and activations, transposeA=${tA} transposeB=${tB}`, async () => {
      for (const activation of activations) {
        for (const withBias of [true, false]) {
          // K > 48 crosses the built-in slow path's block size, where it re-adds the bias.
          const { a, b } = operands(29, 61, 19, tA, tB);
          const bias = data([19]);
          await agree(() =>
            tf.fused.matMul({
              a: t(a) as tf.Tensor2D,
              b: t(b) as tf.Tensor2D,
              transposeA: tA,
              transposeB: tB,
              bias: withBias ? t(bias) : undefined,
              activation,
            }),
          );
        }
      }
    });
    it(`batched with bias, transposeA=${tA} transposeB=${tB}`, async () => {
      for (const [bA, bB] of [
        [[3], [3]],
        [[3], [1]],
      ]) {
        const { a, b } = operands(11, 8, 6, tA, tB, bA, bB);
        const bias = data([6]);
        await agree(() =>
          tf.fused.matMul({
            a: t(a) as tf.Tensor3D,
            b: t(b) as tf.Tensor3D,
            transposeA: tA,
            transposeB: tB,
            bias: t(bias),
            activation: 'relu',
          }),
        );
      }
    });
  }
  it('prelu weights per column', async () => {
    const { a, b } = operands(12, 10, 8, true, true);
    const alpha = data([8]);
    await agree(() =>
      tf.fused.matMul({
        a: t(a) as tf.Tensor2D,
        b: t(b) as tf.Tensor2D,
        transposeA: true,
        transposeB: true,
        activation: 'prelu',
        preluActivationWeights: t(alpha),
      }),
    );
  });
});

describe('memory', () => {
  it('leaks no tensors or wasm buffers over 100 calls of each kind', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const a = tf.tensor(data([40, 30]).values, [40, 30]);
    const b = tf.tensor(data([30, 20]).values, [30, 20]);
    const a3 = tf.tensor(data([3, 40, 30]).values, [3, 40, 30]);
    const b3 = tf.tensor(data([3, 20, 30]).values, [3, 20, 30]);
    const bias = tf.tensor(data([20]).values, [20]);
    const run = () => {
      for (const [tA, tB] of FLAGS) {
        const x = tA ? tf.transpose(a) : a;
        const y = tB ? tf.transpose(b) : b;
        tf.matMul(x, y, tA, tB).dispose();
        tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, transposeA: tA, transposeB: tB, bias, activation: 'relu' }).dispose();
        if (tA) x.dispose();
        if (tB) y.dispose();
      }
      tf.matMul(a3, b3, false, true).dispose();
      tf.matMul(a3, b, false, false).dispose();
    };
    run();
    const before = { tensors: tf.memory().numTensors, buffers: tf.memory().numDataBuffers, ids: backend.numDataIds() };
    for (let i = 0; i < 100; i++) run();
    expect({ tensors: tf.memory().numTensors, buffers: tf.memory().numDataBuffers, ids: backend.numDataIds() }).toEqual(before);
    tf.dispose([a, b, a3, b3, bias]);
  });
});
