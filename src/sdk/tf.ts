// The TensorFlow.js a stage computes with: the one instance the runner loaded and gave a backend
// (and our kernels). A stage imports it from here, never a tfjs package of its own.
/** TensorFlow.js (`@tensorflow/tfjs-core`): the instance the runner initialised with its backend
 * and kernels. Tensors are float32 unless said otherwise; random ops take their seed from
 * `ctx.rng.seed()`, never unseeded. This is tfjs-core without its chained methods: write
 * `tf.max(t)`, not `t.max()` (only a few methods, such as `dataSync` and `dispose`, exist). */
export * as tf from '@tensorflow/tfjs-core';
