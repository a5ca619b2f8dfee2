// Gradients for the kernels our losses use. tfjs-core's Node bundle registers no gradient
// functions. The union package @tensorflow/tfjs does, but importing it costs ~400 ms per process
// (measured: 412 ms vs 22 ms for tfjs-core; it loads layers, converter, data and webgl, which we
// never use) on a warm-run budget of 1.5 s, and its Min/Max gradient compares with a broadcasting
// Equal that is ~15x slower on wasm. These mirror tfjs-core 4.22's src/gradients/*_grad.ts and are
// checked against finite differences (test/gradients.test.ts). A gradient someone else registered
// (tfjs-node brings the union package) is left alone.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { addressOf, onWasmSimd, simdKernels } from './wasm-simd.js';

type Grad = tf.GradConfig;

/** Sigmoid's gradient as one SIMD kernel on wasm (three tfjs kernels otherwise), same arithmetic. */
const SIGMOID_GRAD = 'PipelineSigmoidGrad';
const sigmoidGrad: KernelFunc = ({ inputs, backend }) => {
  const b = backend as BackendWasm;
  const { y, dy } = inputs as Record<string, TensorInfo>;
  const out = b.makeOutput(y.shape, 'float32');
  simdKernels(b)!.sigmoid_grad(addressOf(b, y), addressOf(b, dy), addressOf(b, out), tf.util.sizeFromShape(y.shape));
  return out;
};

const bu = tf.backend_util;

/** Sum a broadcast gradient back down to the input's shape. */
function unbroadcast(dy: tf.Tensor, shape: number[], outShape: number[]): tf.Tensor {
  const axes = bu.getReductionAxes(shape, outShape);
  return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, shape);
}

function binary(
  kernelName: string,
  da: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
  db: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
): Grad {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved;
      const out = bu.assertAndGetBroadcastShape(a.shape, b.shape);
      const g = dy as tf.Tensor;
      return {
        a: () => unbroadcast(da(g, a, b), a.shape, out),
        b: () => unbroadcast(db(g, a, b), b.shape, out),
      };
    },
  };
}

function minMax(kernelName: string, axisAttr: 'axis' | 'reductionIndices'): Grad {
  return {
    kernelName,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, y0] = saved;
      const axes = tf.util.parseAxisParam((attrs as Record<string, number | number[]>)[axisAttr], x.shape);
      const keep = (t: tf.Tensor) => (t.rank < x.rank ? tf.reshape(t, bu.expandShapeToKeepDim(t.shape, axes)) : t);
      const y = keep(y0);
      const g = keep(dy as tf.Tensor);
      // Ties share the full gradient, as in tfjs and TF. x == y is tested as 1 - step(x - y) for
      // Min (x - y >= 0 there; step(t) = t > 0 ? 1 : 0) and 1 - step(y - x) for Max: the wasm
      // backend's comparison kernels are ~15x slower when they broadcast, even against a scalar.
      const above = kernelName === 'Min' ? tf.sub(x, y) : tf.sub(y, x);
      return { x: () => tf.mul(g, tf.sub(1, tf.step(above, 0))) };
    },
  };
}

/** An operand as float32; a float32 one is used as it is (a same-dtype cast still copies). */
const f32 = (t: tf.Tensor) => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'));

const configs: Grad[] = [
  {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const g = dy as tf.Tensor;
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return { a: () => tf.matMul(g, b, false, true), b: () => tf.matMul(a, g, true, false) };
      if (!transposeA && transposeB) return { a: () => tf.matMul(g, b, false, false), b: () => tf.matMul(g, a, true, false) };
      if (transposeA && !transposeB) return { a: () => tf.matMul(b, g, false, true), b: () => tf.matMul(a, g, false, false) };
      return { a: () => tf.matMul(b, g, true, true), b: () => tf.matMul(g, a, true, true) };
    },
  },
  binary(
    'Add',
    (dy) => dy,
    (dy) => dy,
  ),
  binary(
    'Sub',
    (dy) => dy,
    (dy) => tf.neg(dy),
  ),
  binary(
    'Multiply',
    (dy, _a, b) => tf.mul(dy, f32(b)),
    (dy, a) => tf.mul(dy, f32(a)),
  ),
  binary(
    'RealDiv',
    (dy, _a, b) => tf.div(dy, f32(b)),
    (dy, a, b) => tf.neg(tf.div(tf.mul(dy, f32(a)), f32(tf.square(b)))),
  ),
  { kernelName: 'Neg', gradFunc: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }) },
  {
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const shape = x.shape.slice();
      for (const ax of tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape)) shape[ax] = 1;
      // Broadcast by multiplying with ones: the wasm Tile kernel behind tf.broadcastTo is far slower.
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, shape), tf.ones(x.shape, 'float32')) };
    },
  },
  {
    kernelName: 'Sigmoid',
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved;
      if (onWasmSimd(y, dy as tf.Tensor)) return { x: () => tf.engine().runKernel(SIGMOID_GRAD, { y, dy } as unknown as tf.NamedTensorMap) as tf.Tensor };
      return { x: () => tf.mul(dy as tf.Tensor, tf.mul(y, tf.sub(tf.scalar(1), y))) };
    },
  },
  {
    kernelName: 'Softmax',
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [y] = saved;
      const { dim } = attrs as { dim: number };
      const dyy = tf.mul(dy as tf.Tensor, y);
      return { logits: () => tf.sub(dyy, tf.mul(tf.sum(dyy, [dim], true), y)) };
    },
  },
  {
    kernelName: 'Abs',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.step(f32(saved[0]), -1)) }),
  },
  {
    kernelName: 'Log',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.div(dy as tf.Tensor, f32(saved[0])) }),
  },
  {
    kernelName: 'Exp',
    outputsToSave: [true],
    gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, saved[0]) }),
  },
  {
    kernelName: 'Square',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(f32(saved[0]), 2)) }),
  },
  {
    kernelName: 'Reshape',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.reshape(dy as tf.Tensor, saved[0].shape) }),
  },
  { kernelName: 'Cast', gradFunc: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }) },
  { kernelName: 'Identity', gradFunc: (dy) => ({ x: () => tf.cast(dy as tf.Tensor, 'float32') }) },
  minMax('Min', 'axis'),
  minMax('Max', 'reductionIndices'),
];

/** Register the gradients (and the wasm sigmoid-gradient kernel) once per process. initBackend
 * calls it, so whether a stage can train never depends on what was imported first. */
export function registerGradients(): void {
  if (tf.getKernel(SIGMOID_GRAD, 'wasm') == null) tf.registerKernel({ kernelName: SIGMOID_GRAD, backendName: 'wasm', kernelFunc: sigmoidGrad });
  for (const c of configs) {
    let known = false;
    try {
      known = tf.getGradient(c.kernelName) != null;
    } catch {
      known = false;
    }
    if (!known) tf.registerGradient(c);
  }
}
