// The machine's BLAS, through koffi, for the wasm backend's matMuls (blas-matmul.ts).
//
// On the seed's 1000x784x100 products XNNPACK's wasm GEMM (with our transposes) reaches ~50
// GFLOP/s on 2 threads of a 2-core AVX-512 Xeon, OpenBLAS's sgemm ~160, on the same float32 data:
// cblas_sgemm reads and writes the wasm heap in place, given addresses in the wasm memory (koffi
// takes a number or a TypedArray for a pointer parameter and passes the memory itself, also the
// threaded build's SharedArrayBuffer; test/backend/blas.test.ts checks the address). No copies.
//
// PIPELINE_BLAS chooses:
//   unset, '' or 'auto'  the first library that loads (LINUX; on macOS Accelerate, then OPENBLAS),
//                        else none: today's wasm kernels
//   'off'                none: the wasm GEMM (backend name `wasm`)
//   'openblas'           OpenBLAS, or an error when it does not load
//   'accelerate'         macOS Accelerate, or an error when it does not load
//   a path               that library (any CBLAS with cblas_sgemm), or an error
// PIPELINE_BLAS_THREADS sets the threads that run GEMMs (default: as many as the wasm backend's);
// they are ours (blas-pool.ts), OpenBLAS itself runs single-threaded.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** A loaded CBLAS. `name` goes into the backend name (`wasm+<name>`), so into every key. */
export interface Blas {
  name: string;
  /** The file koffi loaded (helper threads load it too). */
  library: string;
  /** cblas_sgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) through koffi;
   * pointer arguments take TypedArrays (their own memory, no copy) or addresses. */
  cblasSgemm: (...args: unknown[]) => void;
  /**
   * Row-major C[M,N] = op(A)·op(B); op transposes when its flag is set. a, b and c are Float32Array
   * views whose first element is the matrix's first; lda/ldb/ldc are row strides in elements.
   */
  sgemm(
    tA: boolean,
    tB: boolean,
    M: number,
    N: number,
    K: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    c: Float32Array,
    ldc: number,
  ): void;
}

const ACCELERATE = '/System/Library/Frameworks/Accelerate.framework/Accelerate';
/** Debian/Ubuntu's OpenBLAS (libopenblas0-pthread / -openmp / -serial all provide .so.0), a
 * development symlink, and the generic CBLAS alternative (which may be OpenBLAS or the reference). */
const LINUX = ['libopenblas.so.0', 'libopenblas.so', 'libcblas.so.3'];
const OPENBLAS = ['libopenblas.so.0', 'libopenblas.so', 'libopenblas.dylib', '/opt/homebrew/opt/openblas/lib/libopenblas.dylib'];

const CblasRowMajor = 101;
const CblasNoTrans = 111;
const CblasTrans = 112;

type Koffi = typeof import('koffi')['default'];
type Lib = ReturnType<Koffi['load']>;

/** OpenBLAS 0.3.21 (Debian 12) can fail to recognise a newer CPU and fall back to its SSE3
 * "Prescott" kernels (3x slower sgemm here, 10x where it was first seen) unless told the core
 * before it loads; name it from the CPU's flags. Unset, this 2-core Xeon was taken for
 * Cooperlake: as fast as SkylakeX, but not the same bits; naming the core from the flags gives
 * every AVX-512 machine the same kernels, so the same results under the same key. */
export function openblasCoreType(cpuinfo: string): string | undefined {
  const flags = new Set(/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1].trim().split(/\s+/) ?? []);
  if (['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => flags.has(f))) return 'SkylakeX';
  if (flags.has('avx2') && flags.has('fma')) return 'Haswell';
  return undefined;
}

function setCoreType(): void {
  if (process.env.OPENBLAS_CORETYPE || process.platform !== 'linux' || process.arch !== 'x64') return;
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return;
  }
  const core = openblasCoreType(cpuinfo);
  // process.env writes through to the C environment, where OpenBLAS's constructor reads it.
  if (core) process.env.OPENBLAS_CORETYPE = core;
}

/** Threads for GEMMs: PIPELINE_BLAS_THREADS, else the wasm backend's `wasmThreads` (index.ts then
 * keeps XNNPACK's own pool at one thread). A GEMM and a wasm kernel never run at once (each is a
 * synchronous call), so the cores the backend was given go to whichever runs; sweep workers and
 * tests (1 wasm thread each) get 1. */
export function blasThreads(wasmThreads: number): number {
  const env = process.env.PIPELINE_BLAS_THREADS;
  const n = env === undefined || env === '' ? wasmThreads : Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`PIPELINE_BLAS_THREADS must be a whole number >= 1, got "${env}"`);
  return n;
}

function tryLoad(koffi: Koffi, file: string): Lib | undefined {
  // A bare name goes to the dynamic loader's search; a path must exist (a clearer failure).
  if (file.includes('/') && !existsSync(file)) return undefined;
  try {
    const lib = koffi.load(file);
    lib.func('void cblas_sgemm(int, int, int, int, int, int, float, float *, int, float *, int, float, float *, int)');
    return lib;
  } catch {
    return undefined;
  }
}

function has(lib: Lib, decl: string): ((...a: unknown[]) => unknown) | undefined {
  try {
    return lib.func(decl) as (...a: unknown[]) => unknown;
  } catch {
    return undefined;
  }
}

/** Which libraries PIPELINE_BLAS asks for; `forced` when one of them must load. */
export function blasRequest(env = process.env.PIPELINE_BLAS): { files: string[]; forced: boolean } {
  const v = (env ?? '').trim();
  if (v === '' || v === 'auto') return { files: process.platform === 'darwin' ? [ACCELERATE, ...OPENBLAS] : LINUX, forced: false };
  if (v === 'off') return { files: [], forced: false };
  if (v === 'openblas') return { files: OPENBLAS, forced: true };
  if (v === 'accelerate') return { files: [ACCELERATE], forced: true };
  if (v.includes('/') || /\.(so|dylib|dll)(\.|$)/.test(v)) return { files: [v], forced: true };
  throw new Error(`PIPELINE_BLAS must be off, auto, openblas, accelerate or a library's path, got "${v}"`);
}

/**
 * Load the BLAS that PIPELINE_BLAS asks for; undefined when none is asked for or (unforced) none
 * loads. A forced library that does not load is an error.
 */
export async function loadBlas(): Promise<Blas | undefined> {
  const { files, forced } = blasRequest();
  if (files.length === 0) return undefined;
  let koffi: Koffi;
  try {
    koffi = (await import('koffi')).default;
  } catch (e) {
    if (forced) throw new Error(`PIPELINE_BLAS=${process.env.PIPELINE_BLAS}: koffi (the FFI that calls the BLAS) did not load: ${(e as Error).message}`);
    return undefined;
  }
  setCoreType();
  // Read by OpenBLAS when it loads: no threads of its own (blas-pool.ts says why).
  process.env.OPENBLAS_NUM_THREADS = '1';
  process.env.VECLIB_MAXIMUM_THREADS = '1'; // Accelerate's equivalent
  for (const file of files) {
    const lib = tryLoad(koffi, file);
    if (!lib) continue;
    has(lib, 'void openblas_set_num_threads(int)')?.(1);
    const openblas = has(lib, 'const char *openblas_get_config()') !== undefined;
    // OpenBLAS's kernels differ per core in their last bits (SkylakeX and Haswell do), and a shared
    // cache may have workers on both: the core it runs goes into the name, so into the key.
    const core = openblas ? (has(lib, 'const char *openblas_get_corename()')?.() as string | undefined) : undefined;
    const base = openblas ? 'openblas' : file === ACCELERATE ? 'accelerate' : basename(file).replace(/^lib|\..*$/g, '');
    const name = core ? `${base}-${core.toLowerCase().replace(/[^a-z0-9]/g, '')}` : base;
    const raw = lib.func('void cblas_sgemm(int, int, int, int, int, int, float, float *, int, float *, int, float, float *, int)') as (...a: unknown[]) => void;
    return {
      name,
      library: file,
      cblasSgemm: raw,
      sgemm: (tA, tB, M, N, K, a, lda, b, ldb, c, ldc) =>
        raw(CblasRowMajor, tA ? CblasTrans : CblasNoTrans, tB ? CblasTrans : CblasNoTrans, M, N, K, 1, a, lda, b, ldb, 0, c, ldc),
    };
  }
  if (forced) throw new Error(`PIPELINE_BLAS=${process.env.PIPELINE_BLAS}: no BLAS with cblas_sgemm loaded from ${files.join(', ')}`);
  return undefined;
}
