// The gradient functions src/backend/gradients.ts registers (tfjs-core's Node bundle has none),
// checked against central finite differences.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerGradients } from '../src/backend/gradients.js';

// tfjs-core's Node bundle has no gradients; initBackend registers ours, this test may not call it.
registerGradients();
import { squash, logit } from '../src/sdk/losses.js';
import { ready } from './stages/_ctx.js';

beforeAll(ready);

/** Compare tf.grad of f at x with (f(x+h) - f(x-h)) / 2h, coordinate by coordinate. */
function check(f: (x: tf.Tensor2D) => tf.Scalar, x0: number[][], h = 1e-2, tol = 2e-2): void {
  const x = tf.tensor2d(x0);
  const g = tf.tidy(
    () =>
      tf
        .grad((t: tf.Tensor) => f(t as tf.Tensor2D))(x)
        .arraySync() as number[][],
  );
  for (let i = 0; i < x0.length; i++) {
    for (let j = 0; j < x0[0].length; j++) {
      const at = (d: number) =>
        tf.tidy(() => {
          const y = x0.map((r) => r.slice());
          y[i][j] += d;
          return f(tf.tensor2d(y)).dataSync()[0];
        });
      const numeric = (at(h) - at(-h)) / (2 * h);
      expect(Math.abs(g[i][j] - numeric), `d/dx[${i}][${j}]: ${g[i][j]} vs ${numeric}`).toBeLessThan(tol * Math.max(1, Math.abs(numeric)));
    }
  }
  x.dispose();
}

const x0 = [
  [0.3, -1.2, 0.8],
  [1.5, 0.1, -0.4],
];
const w = () =>
  tf.tensor2d([
    [0.5, -0.3],
    [0.2, 0.9],
    [-0.7, 0.4],
  ]);

describe('registered gradients', () => {
  it('matMul, add with broadcasting, sigmoid, logSoftmax, mul, neg, sum', () => {
    const y = () =>
      tf.tensor2d([
        [1, 0],
        [0, 1],
      ]);
    check((x) => tf.neg(tf.sum(tf.mul(y(), tf.logSoftmax(tf.add(tf.matMul(tf.sigmoid(x), w()), tf.tensor1d([0.1, -0.2])))))) as tf.Scalar, x0);
  });

  it('softmax, sub, abs', () => {
    check(
      (x) =>
        tf.sum(
          tf.abs(
            tf.sub(
              tf.tensor2d([
                [0, 1, 0],
                [1, 0, 0],
              ]),
              tf.softmax(x),
            ),
          ),
        ) as tf.Scalar,
      x0,
    );
  });

  it('the squash / logit path: min, max (keepDims and global), div, log, square', () => {
    check(
      (x) => {
        const s = tf.sum(tf.matMul(logit(squash(x)), w()));
        const excess = tf.add(tf.mul(0.5, tf.square(tf.min(x))), tf.mul(0.5, tf.square(tf.max(tf.sub(x, 1)))));
        return tf.add(s, excess) as tf.Scalar;
      },
      x0,
      1e-3,
      5e-2,
    );
  });

  it('the right operand of a matMul, and a transposed matMul', () => {
    const x = tf.tensor2d(x0);
    check(
      (m) => tf.sum(tf.square(tf.matMul(x, m))) as tf.Scalar,
      [
        [0.5, -0.3],
        [0.2, 0.9],
        [-0.7, 0.4],
      ],
    );
    check(
      (m) => tf.sum(tf.matMul(m, x, true, false)) as tf.Scalar,
      [
        [0.5, -0.3],
        [0.2, 0.9],
      ],
    );
    x.dispose();
  });
});
