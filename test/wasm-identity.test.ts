// Identity on wasm shares its input's data instead of copying it: a clone must still behave as an
// independent tensor (disposing either leaves the other intact) and nothing may leak.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { registerGradients } from '../src/backend/gradients.js';

// tfjs-core's Node bundle has no gradients; initBackend registers ours, this test may not call it.
registerGradients();
import { installSharedIdentity } from '../src/backend/wasm-identity.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  installSharedIdentity();
});

describe('wasm Identity (shared data)', () => {
  it('is installed, and a clone shares memory instead of copying it', () => {
    const x = tf.randomUniform([1000, 784], 0, 1, 'float32', 3);
    const buffers = tf.memory().numDataBuffers;
    const y = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(buffers); // one buffer for both
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, y]);
  });

  it('a clone outlives its original and the original outlives its clone', () => {
    const x = tf.tensor([1, 2, 3]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    const z = tf.clone(y);
    z.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
  });

  it('training through the tape (which clones what it saves) gives the same result and leaks nothing', () => {
    const run = () =>
      tf.tidy(() => {
        const w = tf.variable(tf.randomNormal([784, 10], 0, 0.1, 'float32', 1));
        const x = tf.randomUniform([64, 784], 0, 1, 'float32', 2);
        const opt = tf.train.adagrad(0.1, 0.1);
        for (let i = 0; i < 5; i++) opt.minimize(() => tf.sum(tf.sigmoid(tf.matMul(x, w))) as tf.Scalar, false, [w]);
        opt.dispose();
        const out = Array.from(w.dataSync());
        w.dispose();
        return out;
      });
    const tensors = tf.memory().numTensors;
    const a = run();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(run()).toEqual(a);
  });
});
