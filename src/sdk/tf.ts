// The TensorFlow.js a stage computes with: the one instance the runner loaded and gave a backend
// (and our kernels). A stage imports it from here, never a tfjs package of its own.
export * as tf from '@tensorflow/tfjs-core';
