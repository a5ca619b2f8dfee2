// The machine's BLAS doing the wasm backend's matMuls (src/backend/blas*.ts): it reads and writes
// the wasm heap in place, agrees with the wasm GEMM within float32 rounding for every matMul form
// the stages use, and a short classifier training ends at the same loss both ways. Skipped, with
// the reason, only where no BLAS library loads.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededValues } from '../helpers/values.js';
import { baseBackend, initBackend } from '../../src/backend/index.js';
import { blasRequest, loadBlas, openblasCoreType } from '../../src/backend/blas.js';
import { blasMatMulActive, withoutBlas } from '../../src/backend/blas-matmul.js';
import { mnist, runStage } from '../stages/_ctx.js';
import { registry } from '../helpers/builtin.js';

const blas = await loadBlas().catch(() => undefined);
const why = 'no BLAS library loads here (PIPELINE_BLAS, libopenblas.so.0, Accelerate): the wasm GEMM runs';

const values = seededValues(7);

/** Max |blas - wasm| over max |wasm|: float32 sums of ~1000 terms in another order differ by a few ulps of the largest. */
function relDiff(f: () => tf.Tensor): number {
  const got = tf.tidy(f);
  const ref = withoutBlas(() => tf.tidy(f));
  const [g, r] = [got.dataSync(), ref.dataSync()];
  expect(got.shape).toEqual(ref.shape);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < r.length; i++) {
    scale = Math.max(scale, Math.abs(r[i]));
    err = Math.max(err, Math.abs(g[i] - r[i]));
  }
  tf.dispose([got, ref]);
  return err / scale;
}

describe('choosing the BLAS', () => {
  it('names the OpenBLAS core from the CPU flags', () => {
    expect(openblasCoreType('flags\t\t: fpu sse2 avx2 fma avx512f avx512bw avx512vl avx512dq\n')).toBe('SkylakeX');
    expect(openblasCoreType('flags\t\t: fpu sse2 avx avx2 fma\n')).toBe('Haswell');
    expect(openblasCoreType('flags\t\t: fpu sse2 sse3\n')).toBeUndefined();
  });
  it('reads PIPELINE_BLAS', () => {
    expect(blasRequest('off')).toEqual({ files: [], forced: false });
    expect(blasRequest('openblas').forced).toBe(true);
    expect(blasRequest('/opt/lib/libblis.so.4')).toEqual({ files: ['/opt/lib/libblis.so.4'], forced: true });
    expect(() => blasRequest('fast')).toThrow(/PIPELINE_BLAS must be off, auto, openblas, accelerate or a library's path/);
  });
  it('a forced library that does not load is an error', async () => {
    const before = process.env.PIPELINE_BLAS;
    process.env.PIPELINE_BLAS = '/nonexistent/libopenblas.so.0';
    try {
      await expect(loadBlas()).rejects.toThrow(/no BLAS with cblas_sgemm loaded from \/nonexistent\/libopenblas.so.0/);
    } finally {
      if (before === undefined) delete process.env.PIPELINE_BLAS;
      else process.env.PIPELINE_BLAS = before;
    }
  });
});

describe.skipIf(!blas)(`BLAS matMul (${blas ? `${blas.name}, ${blas.library}` : why})`, () => {
  let name: string;
  beforeAll(async () => {
    name = await initBackend('wasm');
  });

  it('is on, and the backend name says so, with the OpenBLAS core it runs', () => {
    expect(name).toBe(`wasm+${blas!.name}`);
    // Kernels of different cores differ in their last bits: the core is part of every key.
    if (blas!.name.startsWith('openblas') && process.env.OPENBLAS_CORETYPE) {
      expect(blas!.name).toBe(`openblas-${process.env.OPENBLAS_CORETYPE.toLowerCase()}`);
    }
    expect(baseBackend(name)).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(blasMatMulActive()).toBe(true);
    expect(withoutBlas(() => blasMatMulActive())).toBe(false);
  });

  it.skipIf(process.platform !== 'linux')('hands cblas the wasm heap itself, not a copy', async () => {
    // memmove(dst, src, 0) returns dst: the address C received for a view of the heap.
    const { default: koffi } = await import('koffi');
    const memmove = koffi.load('libc.so.6').func('intptr_t memmove(float *dst, float *src, size_t n)');
    const x = tf.zeros([1000, 784]);
    const view = (tf.backend() as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array }).typedArrayFromHeap(x);
    expect(BigInt(memmove(view, view, 0) as number)).toBe(koffi.address(view));
    x.dispose();
  });

  it('agrees with the wasm GEMM on the seed shapes, every transpose form, to 1e-5 of the magnitude', () => {
    const [M, K, N] = [1000, 784, 100];
    for (const [tA, tB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const a = tf.tensor(values(M * K, 0.8), tA ? [K, M] : [M, K]);
      const b = tf.tensor(values(K * N), tB ? [N, K] : [K, N]);
      expect(
        relDiff(() => tf.matMul(a, b, tA, tB)),
        `transposeA=${tA} transposeB=${tB}`,
      ).toBeLessThan(1e-5);
      tf.dispose([a, b]);
    }
  });

  it('agrees on batched products: equal batches, a shared right or left operand, transposed', () => {
    const cases: Array<[number[], number[], boolean, boolean]> = [
      [[4, 64, 96], [4, 96, 48], false, false],
      [[4, 96, 64], [4, 48, 96], true, true],
      [[3, 50, 70], [70, 40], false, false], // rank 3 x rank 2: folded into rows
      [[3, 70, 50], [1, 70, 40], true, false],
      [[1, 50, 70], [3, 40, 70], false, true],
      [[2, 3, 20, 30], [2, 3, 30, 10], false, false],
    ];
    for (const [sa, sb, tA, tB] of cases) {
      const a = tf.tensor(values(sa.reduce((p, d) => p * d)), sa);
      const b = tf.tensor(values(sb.reduce((p, d) => p * d)), sb);
      expect(
        relDiff(() => tf.matMul(a, b, tA, tB)),
        `${sa} x ${sb} ${tA} ${tB}`,
      ).toBeLessThan(1e-5);
      tf.dispose([a, b]);
    }
  });

  it('keeps tfjs behaviour for what it does not take: int32, empty, mismatched shapes', () => {
    // The wasm backend has no int32 matMul: the same error as without the BLAS.
    const i = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    expect(() => tf.matMul(i, i)).toThrow(/non-float32/);
    expect(() => withoutBlas(() => tf.matMul(i, i))).toThrow(/non-float32/);
    expect(tf.matMul(tf.zeros([0, 3]), tf.zeros([3, 2])).shape).toEqual([0, 2]);
    expect(() => tf.matMul(tf.zeros([2, 3]), tf.zeros([4, 5]), true)).toThrow(/inner shapes \(2\) and \(4\)/);
  });

  it('is deterministic: the same product twice gives the same bits', () => {
    const a = tf.tensor(values(1000 * 784, 0.8), [1000, 784]);
    const b = tf.tensor(values(1000 * 100), [1000, 100]);
    const [p, q] = [tf.matMul(a, b, true, false), tf.matMul(a, b, true, false)].map((t) => Buffer.from((t.dataSync() as Float32Array).buffer));
    expect(p.equals(q)).toBe(true);
  });

  it('leaks no tensors or wasm buffers', () => {
    const a = tf.tensor(values(200 * 300), [200, 300]);
    const b = tf.tensor(values(2 * 300 * 100), [2, 300, 100]);
    const run = () =>
      tf.tidy(() => {
        tf.matMul(a, tf.squeeze(tf.slice(b, [0, 0, 0], [1, 300, 100]), [0]) as tf.Tensor2D);
        tf.matMul(tf.stack([a, a]), b, false, false);
        tf.matMul(b, b, true, false);
      });
    run();
    const before = { ...tf.memory(), ids: tf.backend().numDataIds() };
    for (let i = 0; i < 20; i++) run();
    expect({ ...tf.memory(), ids: tf.backend().numDataIds() }).toEqual(before);
    tf.dispose([a, b]);
  });

  it('trains the classifier to the same loss as the wasm GEMM (within 1e-3, relative)', async () => {
    const data = await mnist(400, 100);
    const params = { steps: 30, batch: 100, logEvery: 10 };
    const train = () => runStage(registry['train-classifier'], params, { inputs: { data } });
    const onBlas = await train();
    const onWasm = await withoutBlas(train);
    const [lb, lw] = [onBlas.metrics!.finalLoss as number, onWasm.metrics!.finalLoss as number];
    expect(Math.abs(lb - lw) / lw).toBeLessThan(1e-3);
    expect(Math.abs((onBlas.metrics!.accuracy as number) - (onWasm.metrics!.accuracy as number))).toBeLessThanOrEqual(0.02);
    for (const r of [onBlas, onWasm]) tf.dispose(Object.values(r.outputs.model));
    tf.dispose(Object.values(data));
  });
});
