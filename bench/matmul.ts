// Micro-benchmark for the wasm matMul rewrite (src/backend/wasm-matmul.ts), the machine's BLAS
// (src/backend/blas-matmul.ts) and the seed MLP's training step. Build with `npm run build`, run
// `node dist/bench/matmul.js [--threads=N] [--blas-threads=N] [--profile] [--after-only]`.
// Runs the built-in kernels first, then installs the rewrite, then the BLAS kernel, in the same
// process, so all columns see the same heap and JIT state (the wasm column runs under withoutBlas).
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { installFastMatMul } from '../src/backend/wasm-matmul.js';
import { installBlasMatMul, withoutBlas } from '../src/backend/blas-matmul.js';
import { loadBlas } from '../src/backend/blas.js';
import { loadSimdKernels } from '../src/backend/wasm-simd.js';
import { installFastGather } from '../src/backend/wasm-gather.js';
import { registerGradients } from '../src/backend/gradients.js';

type Loss = 'softmax-log' | 'logSoftmax' | 'softmaxCrossEntropy';
interface StepVariant {
  loss: Loss;
  fusedBias?: boolean;
  gather?: boolean;
}

registerGradients();

const argv = process.argv.slice(2);
const PROFILE = argv.includes('--profile');
const THREADS = Number(argv.find((a) => a.startsWith('--threads='))?.split('=')[1] ?? 0);
const BLAS_THREADS = Number(argv.find((a) => a.startsWith('--blas-threads='))?.split('=')[1] ?? Math.max(THREADS, 1));

/** Mean wall ms per call; `cpu` gets the process CPU ms per call (all threads), which is less
 * disturbed than wall time when other processes share the 2 cores. */
function timeMs(f: () => void, iters: number, warmup = 3, cpu?: { ms: number }): number {
  for (let i = 0; i < warmup; i++) f();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) f();
  const wall = (performance.now() - t0) / iters;
  const c = process.cpuUsage(c0);
  if (cpu) cpu.ms = (c.user + c.system) / 1000 / iters;
  return wall;
}

/** The seed's gradient-shaped products: forward x·W1, dX = dY·W1ᵀ, dW1 = xᵀ·dY, and the rest.
 * `pixels`: A is like a batch of MNIST pixels, 80% zeros (where the wasm path's spmm kernel runs). */
const CASES: Array<{ name: string; a: number[]; b: number[]; tA: boolean; tB: boolean; pixels?: boolean }> = [
  { name: 'pixels x·W1 [1000,784]x[784,100]', a: [1000, 784], b: [784, 100], tA: false, tB: false, pixels: true },
  { name: 'pixels xT·dZ [1000,784]^T x[1000,100]', a: [1000, 784], b: [1000, 100], tA: true, tB: false, pixels: true },
  { name: 'inverse l·W [1000,100]x[100,784]', a: [1000, 100], b: [100, 784], tA: false, tB: false },
  { name: 'inverse dP·WT [1000,784]x[100,784]^T', a: [1000, 784], b: [100, 784], tA: false, tB: true },
  { name: 'inverse lT·dP [1000,100]^T x[1000,784]', a: [1000, 100], b: [1000, 784], tA: true, tB: false },
  { name: 'hidden [1000,100]x[100,100]', a: [1000, 100], b: [100, 100], tA: false, tB: false },
  { name: 'output [1000,100]x[100,10]', a: [1000, 100], b: [100, 10], tA: false, tB: false },
  { name: 'generate [10,100]x[100,10]', a: [10, 100], b: [100, 10], tA: false, tB: false },
  { name: 'plain  [1000,784]x[784,100]', a: [1000, 784], b: [784, 100], tA: false, tB: false },
  { name: 'tA     [784,1000]^T x[784,100]', a: [784, 1000], b: [784, 100], tA: true, tB: false },
  { name: 'tB     [1000,784]x[100,784]^T', a: [1000, 784], b: [100, 784], tA: false, tB: true },
  { name: 'tA+tB  [784,1000]^T x[100,784]^T', a: [784, 1000], b: [100, 784], tA: true, tB: true },
  { name: 'dW1 tA [1000,784]^T x[1000,100]', a: [1000, 784], b: [1000, 100], tA: true, tB: false },
  { name: 'dX  tB [1000,100]x[784,100]^T', a: [1000, 100], b: [784, 100], tA: false, tB: true },
  { name: 'batch  [8,256,128]x[8,128,256]', a: [8, 256, 128], b: [8, 128, 256], tA: false, tB: false },
  { name: 'batch tA [8,128,256]^T x[8,128,256]', a: [8, 128, 256], b: [8, 128, 256], tA: true, tB: false },
];

const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

/** A [rows, cols] operand like a batch of MNIST pixels: 80% zeros, the rest in (0, 1]. */
const pixels = (shape: number[]) =>
  tf.tidy(() => {
    const u = tf.randomUniform(shape, 0, 1, 'float32', 7);
    return tf.mul(u, tf.step(tf.sub(u, 0.8)));
  });

function micro(): number[] {
  return CASES.map(({ a, b, tA, tB, pixels: sparse }) => {
    const x = sparse ? pixels(a) : tf.randomUniform(a, -1, 1, 'float32', 1);
    const y = tf.randomUniform(b, -1, 1, 'float32', 2);
    // Best of 5 rounds of 5 calls: other processes on the 2 cores only ever add time.
    const ms = Math.min(...[0, 1, 2, 3, 4].map(() => timeMs(() => tf.matMul(x, y, tA, tB).dispose(), 5, 1)));
    tf.dispose([x, y]);
    return ms;
  });
}

interface Mlp {
  vars: tf.Variable[];
  x: tf.Tensor2D;
  y: tf.Tensor2D;
}

/** A 60000-sample pool to gather batches from, as the train-classifier stage does every step. */
let pool: { x: tf.Tensor2D; y: tf.Tensor2D } | undefined;
function gatherBatch(m: Mlp, step: number): tf.Tensor[] {
  pool ??= {
    x: tf.randomUniform([60000, 784], 0, 1, 'float32', 6) as tf.Tensor2D,
    y: tf.tidy(() =>
      tf.cast(
        tf.oneHot(
          tf.tensor1d(
            new Int32Array(60000).map((_, i) => i % 10),
            'int32',
          ),
          10,
        ),
        'float32',
      ),
    ) as tf.Tensor2D,
  };
  const idx = new Int32Array(1000).map((_, i) => (i * 7919 + step * 1000) % 60000);
  const t = tf.tensor1d(idx, 'int32');
  m.x = tf.gather(pool.x, t);
  m.y = tf.gather(pool.y, t);
  t.dispose();
  return [m.x, m.y];
}

function makeMlp(batch = 1000): Mlp {
  const w = (r: number, c: number, seed: number) => tf.variable(tf.truncatedNormal([r, c], 0, 0.1, 'float32', seed));
  const b = (n: number) => tf.variable(tf.fill([n], 0.1));
  const vars = [w(784, 100, 1), b(100), w(100, 100, 2), b(100), w(100, 10, 3), b(10)];
  const x = tf.randomUniform([batch, 784], 0, 1, 'float32', 4) as tf.Tensor2D;
  const labels = tf.randomUniform([batch], 0, 10, 'int32', 5) as tf.Tensor1D;
  const y = tf.cast(tf.oneHot(labels, 10), 'float32') as tf.Tensor2D;
  labels.dispose();
  return { vars, x, y };
}

function lossFn(m: Mlp, v: StepVariant): () => tf.Scalar {
  const [w1, b1, w2, b2, w, b] = m.vars;
  const dense = (h: tf.Tensor, wt: tf.Tensor, bias: tf.Tensor): tf.Tensor2D =>
    (v.fusedBias
      ? tf.fused.matMul({ a: h as tf.Tensor2D, b: wt as tf.Tensor2D, bias })
      : tf.add(tf.matMul(h as tf.Tensor2D, wt as tf.Tensor2D), bias)) as tf.Tensor2D;
  return () => {
    const l1 = tf.sigmoid(dense(m.x, w1, b1));
    const l2 = tf.sigmoid(dense(l1, w2, b2));
    const z = dense(l2, w, b);
    if (v.loss === 'softmaxCrossEntropy') return tf.losses.softmaxCrossEntropy(m.y, z, undefined, 0, tf.Reduction.SUM) as tf.Scalar;
    const logp = v.loss === 'logSoftmax' ? tf.logSoftmax(z) : tf.log(tf.softmax(z));
    return tf.neg(tf.sum(tf.mul(m.y, logp))) as tf.Scalar;
  };
}

/** ms per optimizer.minimize step; the loss is read back once at the end, as a stage would rarely. */
function stepMs(v: StepVariant, steps = 50, cpu?: { ms: number }): number {
  const m = makeMlp();
  const opt = tf.train.adagrad(0.01, 0.1);
  const f = lossFn(m, v);
  let step = 0;
  if (v.gather) tf.dispose([m.x, m.y]); // replaced by a gathered batch every step
  const run = () => {
    const temps = v.gather ? gatherBatch(m, step++) : [];
    tf.dispose(opt.minimize(f, false, m.vars) ?? []);
    tf.dispose(temps);
  };
  const ms = timeMs(run, steps, 5, cpu);
  if (v.gather) gatherBatch(m, step);
  const last = opt.minimize(f, true, m.vars)!;
  const loss = last.dataSync()[0];
  if (!Number.isFinite(loss)) throw new Error(`loss is ${loss}`);
  tf.dispose([last, ...m.vars, m.x, m.y]);
  opt.dispose();
  return ms;
}

async function profileStep(v: StepVariant): Promise<void> {
  const m = makeMlp();
  const opt = tf.train.adagrad(0.01, 0.1);
  const f = lossFn(m, v);
  for (let i = 0; i < 5; i++) tf.dispose(opt.minimize(f, false, m.vars) ?? []);
  const reps = 10;
  const info = await tf.profile(() => {
    for (let i = 0; i < reps; i++) tf.dispose(opt.minimize(f, false, m.vars) ?? []);
  });
  const byKernel = new Map<string, { ms: number; n: number }>();
  for (const k of info.kernels) {
    const key = `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join('')}`;
    const e = byKernel.get(key) ?? { ms: 0, n: 0 };
    e.ms += Number(k.kernelTimeMs) / reps;
    e.n += 1 / reps;
    byKernel.set(key, e);
  }
  const rows = [...byKernel.entries()].sort((p, q) => q[1].ms - p[1].ms);
  const total = rows.reduce((s, [, e]) => s + e.ms, 0);
  console.log(`\nprofile (${JSON.stringify(v)}): kernel total ${total.toFixed(2)} ms/step`);
  for (const [k, e] of rows.slice(0, 18)) console.log(`  ${e.ms.toFixed(3).padStart(7)} ms  x${e.n.toFixed(0)}  ${k}`);
  tf.dispose([...m.vars, m.x, m.y]);
  opt.dispose();
}

const VARIANTS: StepVariant[] = [
  { loss: 'softmax-log' },
  { loss: 'logSoftmax' },
  { loss: 'softmaxCrossEntropy' },
  { loss: 'logSoftmax', fusedBias: true },
  { loss: 'logSoftmax', gather: true },
];

async function main(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (THREADS > 0) {
    const { enableWasmThreads } = await import('../src/backend/wasm-threads.js');
    enableWasmThreads(THREADS);
  } else wasm.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to initialise');
  await tf.ready();
  console.log(`backend wasm, threads ${wasm.getThreadsCount()}, tfjs ${tf.version_core}`);

  const skipBefore = argv.includes('--after-only');
  const before = skipBefore ? CASES.map(() => NaN) : micro();
  const stepBefore = skipBefore ? NaN : stepMs(VARIANTS[1], 20);
  installFastMatMul();
  installFastGather(); // as initBackend does: the gather variant then measures what stages use
  await loadSimdKernels(tf.backend() as BackendWasm); // the rewrite's spmm path needs them
  const after = micro();
  const blas = await loadBlas();
  if (blas) await installBlasMatMul(blas, tf.backend() as BackendWasm, BLAS_THREADS);
  const onBlas = blas ? micro() : CASES.map(() => NaN);
  const gf = (c: (typeof CASES)[number], ms: number) => (2 * size(c.a) * (c.tB ? c.b[0] : c.b[c.b.length - 1])) / ms / 1e6;
  console.log(
    `\nBLAS: ${blas ? `${blas.name} (${blas.library}, ${BLAS_THREADS} threads, OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? ''})` : 'none loaded'}`,
  );
  console.log(`matMul ms/call                              built-in  rewritten      BLAS  (BLAS GFLOP/s, BLAS/rewritten)`);
  CASES.forEach((c, i) => {
    const row = [before[i], after[i], onBlas[i]].map((x) => x.toFixed(2).padStart(9)).join(' ');
    console.log(`  ${c.name.padEnd(40)} ${row}  (${gf(c, onBlas[i]).toFixed(0)}, ${(onBlas[i] / after[i]).toFixed(2)}x)`);
  });
  console.log(`\nMLP step (logSoftmax), built-in kernels: ${stepBefore.toFixed(2)} ms/step`);
  console.log('MLP step (50 steps after 5 warm-up): wall ms/step (process cpu ms/step), rewritten wasm GEMM | BLAS');
  for (const v of VARIANTS) {
    const [cw, cb] = [{ ms: 0 }, { ms: 0 }];
    const wall = withoutBlas(() => stepMs(v, 50, cw));
    const wb = blas ? stepMs(v, 50, cb) : NaN;
    console.log(`  ${JSON.stringify(v).padEnd(50)} ${wall.toFixed(2)} (${cw.ms.toFixed(2)}) | ${wb.toFixed(2)} (${cb.ms.toFixed(2)})`);
  }
  if (PROFILE) for (const v of [VARIANTS[0], VARIANTS[2]]) await profileStep(v);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
