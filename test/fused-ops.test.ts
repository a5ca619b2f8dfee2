// The fused inverse-loss ops (one kernel each way on wasm) must give what the tfjs-op formulas give
// on the cpu backend: values and gradients, including rows where several elements tie for the
// min or the max (each takes the whole min/max gradient, as tfjs's Min/Max gradients give it).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../src/backend/index.js';
import { l1Distance, rangeExcess, softmaxCrossEntropy, squashLogit } from '../src/sdk/losses.js';

beforeAll(async () => {
  await initBackend('wasm');
});

let seed = 3;
function values(n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    out[i] = (seed / 2147483648) * 4 - 2;
  }
  return out;
}

/** Value and gradient of sum(f(x) * w) (w weighs each output) on a backend. */
async function valueAndGrad(backend: string, f: (x: tf.Tensor2D) => tf.Tensor, x: Float32Array, shape: [number, number], w?: Float32Array) {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const xt = tf.tensor2d(x, shape);
  const loss = (v: tf.Tensor2D) => {
    const y = f(v);
    return (w ? tf.sum(tf.mul(y, tf.tensor(w, y.shape))) : tf.sum(y)) as tf.Scalar;
  };
  const value = tf.tidy(() => Array.from(f(xt).dataSync()));
  const grad = tf.tidy(() =>
    Array.from(
      tf
        .grad(loss as (x: tf.Tensor) => tf.Tensor)(xt)
        .dataSync(),
    ),
  );
  xt.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return { value, grad };
}

function expectClose(got: number[], want: number[], rel: number): void {
  expect(got.length).toBe(want.length);
  const scale = Math.max(...want.map(Math.abs), 1e-6);
  got.forEach((v, i) => {
    expect(Math.abs(v - want[i])).toBeLessThanOrEqual(rel * scale);
  });
}

describe('squashLogit', () => {
  const shape: [number, number] = [37, 13];
  const x = values(37 * 13);
  // Ties: row 0 has its min twice and its max twice.
  x.set([-3, 1, -3, 2, 2, 0.5, 0.25, 0, 1.5, 1.25, -1, -2, 0.75], 0);
  const w = values(37 * 13);

  it('matches logit(squash(p)) on the cpu backend, value and gradient', async () => {
    const fused = await valueAndGrad('wasm', squashLogit, x, shape, w);
    const ref = await valueAndGrad('cpu', squashLogit, x, shape, w);
    expectClose(fused.value, ref.value, 1e-5);
    expectClose(fused.grad, ref.grad, 1e-4);
    // the tied min and max positions of row 0 received gradient
    for (const j of [0, 2, 3, 4]) expect(Math.abs(fused.grad[j])).toBeGreaterThan(0);
    await tf.setBackend('wasm');
  });
});

describe('l1Distance', () => {
  it('matches sum|x - y| and its sign gradient on the cpu backend', async () => {
    const shape: [number, number] = [29, 31];
    const [a, b] = [values(29 * 31), values(29 * 31)];
    b.set(a.subarray(0, 5), 0); // equal elements: the gradient at 0 is tfjs's (+dy)
    const f = (y: tf.Tensor2D) => tf.mul(l1Distance(tf.tensor2d(a, shape))(y), 3);
    const fused = await valueAndGrad('wasm', f, b, shape);
    const ref = await valueAndGrad('cpu', f, b, shape);
    expectClose(fused.value, ref.value, 1e-6);
    expect(fused.grad).toEqual(ref.grad);
    expect(fused.grad.slice(0, 5)).toEqual([3, 3, 3, 3, 3]);
    await tf.setBackend('wasm');
  });
});

describe('softmaxCrossEntropy', () => {
  it('matches -sum(onehot * logSoftmax) on the cpu backend, value and gradient, and checks labels', async () => {
    const shape: [number, number] = [53, 10];
    const z = values(53 * 10).map((v) => v * 4);
    const labels = Int32Array.from({ length: 53 }, (_, i) => (i * 7) % 10);
    const f = (x: tf.Tensor2D) => softmaxCrossEntropy(tf.tensor1d(labels, 'int32'), x);
    const fused = await valueAndGrad('wasm', f, z, shape);
    const ref = await valueAndGrad('cpu', f, z, shape);
    expectClose(fused.value, ref.value, 1e-5);
    expectClose(fused.grad, ref.grad, 1e-5);
    // d/dz of row 0 sums to 0 (softmax sums to 1, one label)
    expect(Math.abs(fused.grad.slice(0, 10).reduce((s, v) => s + v, 0))).toBeLessThan(1e-5);
    await tf.setBackend('wasm');
    expect(() => tf.tidy(() => softmaxCrossEntropy(tf.tensor1d([3, 10], 'int32'), tf.zeros([2, 10])))).toThrow(/label 10 is not in \[0, 9\]/);
  });
});

describe('rangeExcess', () => {
  it('gives the bits of the tfjs-op formula, value and gradient, ties included', async () => {
    const shape: [number, number] = [41, 17];
    const v = values(41 * 17).map((x) => x * 0.8 + 0.5);
    // The min twice, the max three times (one at 1 + ulp steps away to catch rounding of l - 1).
    v.set([-1.25, 3.5, -1.25, 3.5, 0.5, 3.5], 0);
    const composite = (l: tf.Tensor2D) => tf.add(tf.mul(0.5, tf.square(tf.min(l))), tf.mul(0.5, tf.square(tf.max(tf.sub(l, 1)))));
    const f = (l: tf.Tensor2D) => tf.mul(rangeExcess(l), 3);
    const fused = await valueAndGrad('wasm', f, v, shape);
    // the same backend's own ops: the fused kernels keep every float32 rounding of the composite
    const ops = await valueAndGrad('wasm', (l: tf.Tensor2D) => tf.mul(composite(l), 3), v, shape);
    expect(fused.value).toEqual(ops.value);
    expect(fused.grad).toEqual(ops.grad);
    const ref = await valueAndGrad('cpu', f, v, shape);
    expect(fused.value).toEqual(ref.value);
    expect(fused.grad).toEqual(ref.grad);
    // the tied extremes take the whole gradient each: d/dl 3 * 0.5 m^2 = 3m at each tie
    expect([fused.grad[0], fused.grad[2]]).toEqual([3 * -1.25, 3 * -1.25]);
    expect([fused.grad[1], fused.grad[3], fused.grad[5]]).toEqual([7.5, 7.5, 7.5]);
    expect(fused.grad.filter((g) => g !== 0)).toHaveLength(5);
    await tf.setBackend('wasm');
  });
});
