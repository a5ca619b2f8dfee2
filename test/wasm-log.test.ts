// The SIMD Log kernel against float64 Math.log rounded to float32: within 2 ulp everywhere a
// float32 can be, and IEEE's special values.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const bitsOf = (v: number) => new Int32Array(Float32Array.of(v).buffer)[0];
/** Distance in float32 steps between two finite float32 values of one sign (or zero). */
const ulps = (a: number, b: number) => (a === b ? 0 : Math.sign(a) !== Math.sign(b) ? Infinity : Math.abs(bitsOf(a) - bitsOf(b)));

describe('wasm Log', () => {
  it('is within 2 ulp of the correctly rounded log, from subnormals to the largest float32', () => {
    const xs: number[] = [];
    let seed = 11;
    for (let i = 0; i < 20000; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      // random bit patterns of positive finite float32s, subnormals included
      const f = new Float32Array(new Int32Array([seed % 0x7f800000]).buffer)[0];
      xs.push(f);
    }
    for (let i = 1; i < 3000; i++) xs.push(1 + i * 2 ** -23, 1 - i * 2 ** -24, i / 255, 0.005 + i / 15); // near 1, pixels, the logit's ratios
    xs.push(1, 2, 0.5, Math.SQRT1_2, 2 ** -149, 2 ** -126, 3.4028234663852886e38);
    const got = tf.tidy(() => tf.log(tf.tensor1d(xs)).dataSync());
    let worst = 0;
    xs.forEach((x, i) => {
      const want = Math.fround(Math.log(Math.fround(x)));
      const d = ulps(got[i], want);
      if (d > worst) worst = d;
      if (d > 2) expect.fail(`log(${Math.fround(x)}) = ${got[i]}, want ${want} (${d} ulp)`);
    });
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('gives -Infinity at 0, NaN below 0 and for NaN, Infinity at Infinity, on the SIMD lanes and the tail', () => {
    const xs = [0, -0, -1, Number.NaN, Infinity, -Infinity, 1, Math.E, 0, -2, Infinity];
    const got = Array.from(tf.tidy(() => tf.log(tf.tensor1d(xs)).dataSync()));
    expect(got.slice(0, 6)).toEqual([-Infinity, -Infinity, Number.NaN, Number.NaN, Infinity, Number.NaN]);
    expect(got[6]).toBe(0);
    expect(ulps(got[7], 1)).toBeLessThanOrEqual(1);
    expect(got.slice(8)).toEqual([-Infinity, Number.NaN, Infinity]);
  });
});
