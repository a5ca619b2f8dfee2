// Our own threads for the BLAS: one product is cut into parts by its shape alone, each part is one
// single-threaded cblas_sgemm, and helper threads (worker_threads sharing the wasm memory) take
// some of the parts while the main thread does the rest.
//
// Why not OpenBLAS's threads: its threaded driver blocks K differently from its single-threaded
// one (and on Haswell splits rows differently), so its bits change with the thread count
// (1000x784x100 on SkylakeX: ~1400 of 100000 outputs differ in the last bit). Keys do not name a
// thread count: a sweep worker (1 thread) must compute what the parent (2) would. Cut by shape,
// every part's bits are the same whichever thread runs it (test/backend/blas-pool.test.ts), and
// an idle helper spins only briefly, then sleeps in Atomics.wait.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';

/** One sgemm: C = op(A)·op(B), row-major, with the three matrices as byte offsets into memory. */
export interface Part {
  tA: boolean;
  tB: boolean;
  M: number;
  N: number;
  K: number;
  a: number;
  lda: number;
  b: number;
  ldb: number;
  c: number;
  ldc: number;
}

const FIELDS = 11;
/** Most parts one product is cut into (the wasm backend's threads are capped at 4 too). */
export const MAX_PARTS = 4;
/** A part is at least this many multiply-adds: smaller, the hand-off (~10 µs) costs more than it saves. */
const MIN_PART_MACS = 1 << 22;
/** Parts cut at multiples of the widest sgemm micro-tile (16 rows on AVX-512), so no part gets a ragged edge it need not have. */
const TILE = 16;

/**
 * The parts of C[M,N] = op(A)·op(B): up to MAX_PARTS slabs of the longer of M and N, a function of
 * the shape only (never of the thread count). Offsets in bytes; a and b of op's stored layout.
 */
export function cut(p: Part): Part[] {
  const count = Math.min(MAX_PARTS, Math.floor((p.M * p.N * p.K) / MIN_PART_MACS));
  const alongM = p.M >= p.N;
  const len = alongM ? p.M : p.N;
  const step = Math.ceil(len / Math.max(count, 1) / TILE) * TILE;
  if (count <= 1 || step >= len) return [p];
  const parts: Part[] = [];
  for (let s = 0; s < len; s += step) {
    const n = Math.min(step, len - s);
    if (alongM) {
      // Rows s.. of op(A): rows of A, or columns when A is stored transposed.
      parts.push({ ...p, M: n, a: p.a + 4 * (p.tA ? s : s * p.lda), c: p.c + 4 * s * p.ldc });
    } else {
      // Columns s.. of op(B): columns of B, or rows when B is stored transposed.
      parts.push({ ...p, N: n, b: p.b + 4 * (p.tB ? s * p.ldb : s), c: p.c + 4 * s });
    }
  }
  return parts;
}

type Sgemm = (...args: unknown[]) => void;
const SGEMM = 'void cblas_sgemm(int, int, int, int, int, int, float, float *, int, float *, int, float, float *, int)';
/** How long an idle helper spins before it sleeps: a training step's GEMMs are a few elementwise
 * kernels apart (on 2 cores the seed's classifier step was ~10% faster with 1 ms than with
 * 0.2 ms, which was ~5% faster than sleeping at once); and how long this thread spins waiting
 * for a helper before it sleeps. */
const SPIN_MS = 1;
const WAIT_SPIN_MS = 5;
/** Parts one helper takes per hand-off; more wait for the next round. */
const PER_ROUND = 16;

/** Run the part encoded at f[o..o+FIELDS) on the memory at address `base` (koffi takes a number as
 * a pointer). The helper's copy is in HELPER. */
function runPart(sgemm: Sgemm, base: number, f: ArrayLike<number>, o: number): void {
  sgemm(
    101,
    f[o] ? 112 : 111,
    f[o + 1] ? 112 : 111,
    f[o + 2],
    f[o + 3],
    f[o + 4],
    1,
    base + f[o + 5],
    f[o + 6],
    base + f[o + 7],
    f[o + 8],
    0,
    base + f[o + 9],
    f[o + 10],
  );
}

/** The address of the memory's first byte. A shared memory never moves (it is reserved at its
 * maximum); another thread's view of it may lag behind a grow, its address does not. */
const baseOf = (koffi: { address(v: unknown): bigint }, memory: WebAssembly.Memory): number => Number(koffi.address(new Uint8Array(memory.buffer, 0, 1)));

const encode = (p: Part): number[] => [+p.tA, +p.tB, p.M, p.N, p.K, p.a, p.lda, p.b, p.ldb, p.c, p.ldc];

// A helper: says it is ready, then waits for state[0] to be 1 (work), runs the parts in `job`
// (job[0] of them) and sets it to 0 (done) or 2 (failed; the caller sets it back to 0).
const HELPER = `
const { workerData, parentPort } = require('node:worker_threads');
const koffi = require(workerData.koffi);
const sgemm = koffi.load(workerData.library).func(${JSON.stringify(SGEMM)});
const state = new Int32Array(workerData.control, 0, 1);
const job = new Float64Array(workerData.control, 8);
const base = Number(koffi.address(new Uint8Array(workerData.memory.buffer, 0, 1)));
parentPort.postMessage('ready');
const spinMs = workerData.spinMs;
for (;;) {
  // Spin a little before sleeping: a sleeping thread wakes late (SPIN_MS says by how much).
  const until = performance.now() + spinMs;
  while (Atomics.load(state, 0) !== 1 && performance.now() < until);
  for (let s = Atomics.load(state, 0); s !== 1; s = Atomics.load(state, 0)) Atomics.wait(state, 0, s);
  try {
    for (let i = 0, f = job, o = 1; i < job[0]; i++, o += ${FIELDS}) {
      sgemm(101, f[o] ? 112 : 111, f[o + 1] ? 112 : 111, f[o + 2], f[o + 3], f[o + 4], 1, base + f[o + 5], f[o + 6], base + f[o + 7], f[o + 8], 0, base + f[o + 9], f[o + 10]);
    }
    Atomics.store(state, 0, 0);
  } catch {
    Atomics.store(state, 0, 2);
  }
  Atomics.notify(state, 0);
}`;

interface Helper {
  state: Int32Array;
  job: Float64Array;
}

export interface BlasPool {
  /** Threads that run parts, this one included. */
  threads: number;
  /** Run every part, part i on thread i mod threads (this thread is thread 0); returns when all are done. */
  run(parts: Part[]): void;
}

async function startHelper(library: string, memory: WebAssembly.Memory): Promise<Helper> {
  const control = new SharedArrayBuffer(8 + 8 * (1 + FIELDS * PER_ROUND));
  const koffi = createRequire(import.meta.url).resolve('koffi');
  const worker = new Worker(HELPER, { eval: true, workerData: { koffi, library, memory, control, spinMs: SPIN_MS } });
  // Started before any product needs it: a helper that cannot load the library fails here, not
  // while this thread waits for it.
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`BLAS helper thread exited (${code}) before it was ready`)));
  });
  worker.removeAllListeners();
  worker.unref(); // it blocks in Atomics.wait for good: it must not keep the process alive
  return { state: new Int32Array(control, 0, 1), job: new Float64Array(control, 8) };
}

/**
 * A pool of `threads` (the caller included) for sgemm parts on `memory`. Helpers need the memory to
 * be shared (the threaded wasm build); otherwise, or with 1 thread, every part runs here, in order.
 */
export async function blasPool(library: string, sgemm: Sgemm, memory: WebAssembly.Memory, threads: number): Promise<BlasPool> {
  const { default: koffi } = await import('koffi');
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const helpers = shared ? await Promise.all(Array.from({ length: threads - 1 }, () => startHelper(library, memory))) : [];
  const n = helpers.length + 1;
  const round = n * PER_ROUND;
  return {
    threads: n,
    run(parts) {
      for (let r = 0; r < parts.length; r += round) {
        const batch = parts.slice(r, r + round);
        // Handed out first, so the helpers work while this thread does its own share.
        const busy = helpers.filter((h, k) => {
          const given = batch.filter((_, i) => i % n === k + 1);
          if (given.length === 0) return false;
          h.job[0] = given.length;
          given.forEach((p, i) => {
            h.job.set(encode(p), 1 + i * FIELDS);
          });
          Atomics.store(h.state, 0, 1);
          Atomics.notify(h.state, 0);
          return true;
        });
        let error: unknown;
        try {
          // Read per call: an unshared memory moves when it grows.
          const base = baseOf(koffi, memory);
          batch.forEach((p, i) => {
            if (i % n === 0) runPart(sgemm, base, encode(p), 0);
          });
        } catch (e) {
          error = e;
        }
        // Even after a failure here: a helper still writing must not get the next job.
        for (const h of busy) {
          const until = performance.now() + WAIT_SPIN_MS;
          while (Atomics.load(h.state, 0) === 1 && performance.now() < until);
          while (Atomics.load(h.state, 0) === 1) Atomics.wait(h.state, 0, 1);
          if (Atomics.load(h.state, 0) === 2) {
            error ??= new Error('a BLAS helper thread failed its sgemm');
            Atomics.store(h.state, 0, 0);
          }
        }
        if (error) throw error;
      }
    },
  };
}
