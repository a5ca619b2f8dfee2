// Our BLAS threads (src/backend/blas-pool.ts): a product is cut by its shape alone, so its bits do
// not depend on how many threads run the parts; helpers share the (growing) wasm memory.
import { describe, expect, it } from 'vitest';
import { loadBlas } from '../../src/backend/blas.js';
import { blasPool, cut, MAX_PARTS, type Part } from '../../src/backend/blas-pool.js';

const blas = await loadBlas().catch(() => undefined);

describe('cut', () => {
  const whole = (M: number, N: number, K: number, tA = false, tB = false): Part => ({
    tA,
    tB,
    M,
    N,
    K,
    a: 0,
    lda: tA ? M : K,
    b: 1 << 24,
    ldb: tB ? K : N,
    c: 1 << 26,
    ldc: N,
  });
  it('leaves small products whole', () => {
    expect(cut(whole(10, 100, 10))).toHaveLength(1);
    expect(cut(whole(1000, 100, 10))).toHaveLength(1);
  });
  it('cuts the longer side into at most MAX_PARTS slabs of 16s that cover it once', () => {
    for (const [M, N, K, tA, tB] of [
      [1000, 100, 784, false, false],
      [784, 100, 1000, true, false],
      [100, 784, 1000, false, true],
      [100, 784, 1000, true, true],
      [1000, 100, 100, false, false],
    ] as const) {
      const p = whole(M, N, K, tA, tB);
      const parts = cut(p);
      expect(parts.length).toBeGreaterThan(1);
      expect(parts.length).toBeLessThanOrEqual(MAX_PARTS);
      const alongM = M >= N;
      expect(parts.reduce((s, q) => s + (alongM ? q.M : q.N), 0)).toBe(alongM ? M : N);
      for (const q of parts.slice(0, -1)) expect((alongM ? q.M : q.N) % 16).toBe(0);
      for (const q of parts) expect(q.K).toBe(K);
    }
  });
});

describe.skipIf(!blas)(`blasPool (${blas?.library ?? 'no BLAS library loads here'})`, () => {
  it('gives the same bits on 1, 2 and 3 threads, for every transpose form', async () => {
    const memory = new WebAssembly.Memory({ initial: 200, maximum: 2000, shared: true });
    const pools = await Promise.all([1, 2, 3].map((n) => blasPool(blas!.library, blas!.cblasSgemm, memory, n)));
    expect(pools.map((p) => p.threads)).toEqual([1, 2, 3]);
    const f = new Float32Array(memory.buffer);
    for (let i = 0; i < 2_000_000; i++) f[i] = Math.sin(i * 0.37);
    const [M, N, K] = [1000, 100, 784];
    for (const [tA, tB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const p: Part = { tA, tB, M, N, K, a: 0, lda: tA ? M : K, b: 4 * M * K, ldb: tB ? K : N, c: 4 * (M * K + K * N), ldc: N };
      const [one, two, three] = pools.map((pool) => {
        new Float32Array(memory.buffer, p.c, M * N).fill(Number.NaN);
        pool.run(cut(p));
        return Buffer.from(new Float32Array(memory.buffer, p.c, M * N).slice().buffer);
      });
      expect(two.equals(one), `2 threads, transposeA=${tA} transposeB=${tB}`).toBe(true);
      expect(three.equals(one), `3 threads, transposeA=${tA} transposeB=${tB}`).toBe(true);
      // And the same product in one sgemm call agrees to float32 rounding.
      const whole = new Float32Array(M * N);
      blas!.sgemm(tA, tB, M, N, K, new Float32Array(memory.buffer, p.a), p.lda, new Float32Array(memory.buffer, p.b), p.ldb, whole, N);
      const parts = new Float32Array(one.buffer, one.byteOffset, M * N);
      let err = 0;
      let scale = 0;
      for (let i = 0; i < whole.length; i++) {
        err = Math.max(err, Math.abs(whole[i] - parts[i]));
        scale = Math.max(scale, Math.abs(whole[i]));
      }
      expect(err / scale).toBeLessThan(1e-5);
    }
  });
  it('helpers see the memory after it grows', async () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2000, shared: true });
    const pool = await blasPool(blas!.library, blas!.cblasSgemm, memory, 2);
    memory.grow(400);
    const f = new Float32Array(memory.buffer);
    const [M, N, K] = [512, 256, 256];
    const c = 4 * 5_000_000; // past the first page: only the grown memory has it
    f.fill(1, 0, M * K + K * N);
    pool.run(cut({ tA: false, tB: false, M, N, K, a: 0, lda: K, b: 4 * M * K, ldb: N, c, ldc: N }));
    const out = new Float32Array(memory.buffer, c, M * N);
    expect(out.every((v) => v === K)).toBe(true);
  });
});
