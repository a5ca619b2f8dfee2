// Identity on wasm shares its input's data instead of copying it (src/backend/wasm-identity.ts,
// installed by initBackend('wasm')): a clone must still behave as an independent tensor (disposing
// either leaves the other intact), hold exactly the values the cpu backend's Identity gives, and
// nothing may leak. Every value check below runs the same computation on the cpu backend
// (@tensorflow/tfjs-backend-cpu) and compares.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../src/backend/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

// A test that fails half-way must not leave the next one on cpu.
afterEach(async () => {
  await tf.setBackend('wasm');
});

/** Run `f` on `backend`, then return to wasm (the backend the rest of the file uses). */
async function on<T>(backend: 'wasm' | 'cpu', f: () => T): Promise<T> {
  await tf.setBackend(backend);
  try {
    return f();
  } finally {
    await tf.setBackend('wasm');
  }
}

/** tf.identity in Python: the Identity kernel itself (tf.clone's kernel), run directly. */
const identity = (x: tf.Tensor): tf.Tensor => tf.engine().runKernel('Identity', { x }) as tf.Tensor;

/** A tensor's bytes: equal bytes are equal bits (NaN payloads and -0 included). */
const bytes = (t: tf.Tensor): Buffer => {
  const d = t.dataSync() as Float32Array | Int32Array;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
};

// Values that a copy through a float conversion or an arithmetic op would not keep bit for bit.
const FLOATS = new Float32Array([0, -0, 1, -1.5, 3.4028234663852886e38, -1.1754943508222875e-38, 1e-45, Infinity, -Infinity, NaN, Math.PI, 1 / 3]);
new Uint32Array(FLOATS.buffer)[FLOATS.length - 1] = 0x7fc01234; // a NaN with a payload
const INTS = new Int32Array([0, 1, -1, 2147483647, -2147483648, 16777217, -16777217, 123456789]);

describe('wasm Identity (shared data)', () => {
  it('is installed: a clone on wasm shares memory instead of copying it', () => {
    expect(tf.getBackend()).toBe('wasm');
    const x = tf.randomUniform([1000, 784], 0, 1, 'float32', 3);
    const buffers = tf.memory().numDataBuffers;
    const y = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(buffers); // one buffer for both
    expect(bytes(y).equals(bytes(x))).toBe(true);
    tf.dispose([x, y]);
  });

  it('tf.clone and tf.identity keep float32 and int32 values bitwise, as on cpu', async () => {
    const compute = () => {
      const f = tf.tensor2d(FLOATS, [3, 4], 'float32');
      const i = tf.tensor2d(INTS, [2, 4], 'int32');
      const outs = [tf.clone(f), identity(f), f.clone(), tf.clone(i), identity(i), i.clone()];
      const got = outs.map((t) => ({ dtype: t.dtype, shape: t.shape, bytes: bytes(t) }));
      tf.dispose([f, i, ...outs]);
      return got;
    };
    const wasm = await on('wasm', compute);
    const cpu = await on('cpu', compute);
    expect(wasm.map((o) => [o.dtype, o.shape])).toEqual(cpu.map((o) => [o.dtype, o.shape]));
    expect(wasm.map((o) => o.dtype)).toEqual(['float32', 'float32', 'float32', 'int32', 'int32', 'int32']);
    for (const [k, o] of wasm.entries()) expect(o.bytes.equals(cpu[k].bytes), `output ${k} (${o.dtype})`).toBe(true);
    // and they are the values written in (the NaN payload included)
    expect(wasm[0].bytes.equals(Buffer.from(FLOATS.buffer))).toBe(true);
    expect(wasm[3].bytes.equals(Buffer.from(INTS.buffer))).toBe(true);
  });

  it('a clone outlives its original and the original outlives its clone, as on cpu', async () => {
    const compute = () => {
      const before = tf.memory();
      const seen: Buffer[] = [];
      let plusOne: number[] = [];
      // the clone outlives the original: dispose x, then allocate over the freed memory
      const x = tf.tensor1d(FLOATS, 'float32');
      const y = tf.clone(x);
      x.dispose();
      const scratch = tf.fill([FLOATS.length], 7); // would reuse x's memory had it been freed
      seen.push(bytes(y));
      plusOne = tf.tidy(() => Array.from(tf.add(y, 1).dataSync())); // a kernel reads it too
      // the original outlives its clone (and the clone's clone)
      const z = identity(y);
      const w = tf.clone(z);
      z.dispose();
      w.dispose();
      const scratch2 = tf.fill([FLOATS.length], -7);
      seen.push(bytes(y));
      // int32: dispose the original, keep the clone
      const i = tf.tensor1d(INTS, 'int32');
      const j = tf.clone(i);
      i.dispose();
      const scratch3 = tf.fill([INTS.length], 5, 'int32');
      seen.push(bytes(j));
      tf.dispose([y, j, scratch, scratch2, scratch3]);
      const after = tf.memory();
      return { seen, plusOne, leaked: [after.numTensors - before.numTensors, after.numDataBuffers - before.numDataBuffers] };
    };
    const wasm = await on('wasm', compute);
    const cpu = await on('cpu', compute);
    expect(wasm.leaked).toEqual([0, 0]);
    expect(cpu.leaked).toEqual([0, 0]);
    expect(wasm.seen.length).toBe(cpu.seen.length);
    for (const [k, b] of wasm.seen.entries()) expect(b.equals(cpu.seen[k]), `read ${k}`).toBe(true);
    expect(wasm.plusOne).toEqual(cpu.plusOne);
    expect(wasm.seen[0].equals(Buffer.from(FLOATS.buffer))).toBe(true);
    expect(wasm.seen[1].equals(Buffer.from(FLOATS.buffer))).toBe(true);
    expect(wasm.seen[2].equals(Buffer.from(INTS.buffer))).toBe(true);
  });

  it('training through the tape (which clones what it saves) matches cpu and leaks nothing', async () => {
    const run = () => {
      const before = tf.memory();
      const out = tf.tidy(() => {
        const w = tf.variable(tf.randomNormal([784, 10], 0, 0.1, 'float32', 1));
        const x = tf.randomUniform([64, 784], 0, 1, 'float32', 2);
        const opt = tf.train.adagrad(0.1, 0.1);
        const losses: number[] = [];
        for (let i = 0; i < 5; i++) {
          const loss = opt.minimize(() => tf.sum(tf.sigmoid(tf.matMul(x, w))) as tf.Scalar, true, [w])!;
          losses.push(loss.dataSync()[0]);
          loss.dispose();
        }
        opt.dispose();
        const weights = Array.from(w.dataSync());
        w.dispose();
        return { weights, losses };
      });
      const after = tf.memory();
      return { ...out, leaked: [after.numTensors - before.numTensors, after.numDataBuffers - before.numDataBuffers] };
    };
    const a = await on('wasm', run);
    expect(a.leaked).toEqual([0, 0]);
    // the same on wasm every time
    expect((await on('wasm', run)).weights).toEqual(a.weights);
    const cpu = await on('cpu', run);
    expect(cpu.leaked).toEqual([0, 0]);
    // The wasm matMul (and sigmoid, sum) kernels round differently from the cpu backend's, so the
    // two agree to float32 rounding, not bitwise: 1e-5 relative to the largest magnitude.
    const close = (got: number[], want: number[], what: string) => {
      expect(got.length).toBe(want.length);
      const scale = Math.max(...want.map(Math.abs));
      const worst = Math.max(...got.map((v, k) => Math.abs(v - want[k])));
      expect(worst, `${what}: largest difference ${worst} (scale ${scale})`).toBeLessThanOrEqual(1e-5 * scale);
    };
    close(a.losses, cpu.losses, 'losses');
    close(a.weights, cpu.weights, 'weights');
    // training moved the weights (a tape that saved wrong tensors would still have to agree)
    const start = await on('cpu', () => tf.tidy(() => Array.from(tf.randomNormal([784, 10], 0, 0.1, 'float32', 1).dataSync())));
    expect(Math.max(...cpu.weights.map((v, k) => Math.abs(v - start[k])))).toBeGreaterThan(1e-3);
  });
});
