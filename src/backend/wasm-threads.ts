// Opt-in multi-threaded wasm backend for Node.
//
// tfjs-backend-wasm ships a threaded SIMD build but never uses it in Node: its flag
// WASM_HAS_MULTITHREAD_SUPPORT is hard-wired false there (tensorflow/tfjs#3830), and its loader
// hands Emscripten a Blob URL for the pthread worker script, which Node's worker_threads cannot
// load. This module re-registers the `wasm` backend factory with a loader of its own: the worker
// script is written to a real file and the threaded module is instantiated with file paths.
// The kernels (and so installFastMatMul) are untouched: they are registered per backend name.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);
const PKG = '@tensorflow/tfjs-backend-wasm';
const BUILD = 'tfjs-backend-wasm-threaded-simd';

type Cwrap = (name: string, ret: string | null, args: string[]) => (...a: unknown[]) => unknown;
interface EmscriptenModule {
  cwrap: Cwrap;
  tfjs?: Record<string, unknown>;
  PThread?: { runningWorkers: Array<{ unref(): void }>; unusedWorkers: Array<{ unref(): void }> };
}
type Factory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

/** The pthread worker script as a file: Node workers need a path, not a Blob URL. */
function workerScript(): string {
  const { wasmWorkerContents } = require(`${PKG}/wasm-out/${BUILD}.worker.js`) as { wasmWorkerContents: string };
  // The exported template literal turned the script's "\\n" escapes into newlines inside string
  // literals; tfjs's loader undoes that the same way before making its Blob.
  const script = wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(script).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'pipeline-tfjs-wasm');
  const file = join(dir, `${BUILD}-${hash}.worker.cjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}`;
    writeFileSync(tmp, script);
    renameSync(tmp, file); // atomic: concurrent processes never see a half-written script
  }
  return file;
}

async function instantiate(threads: number): Promise<EmscriptenModule> {
  const mainScript = require.resolve(`${PKG}/wasm-out/${BUILD}.js`);
  const factory = require(mainScript) as Factory;
  const worker = workerScript();
  const binary = readFileSync(join(dirname(mainScript), `${BUILD}.wasm`));
  // Emscripten's instantiateWasm hook has no failure channel: race the factory against ours.
  let fail: (e: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const mod = await Promise.race([
    failed,
    factory({
      locateFile: (path: string) => (path.endsWith('.worker.js') ? worker : join(dirname(mainScript), path)),
      // Each pthread evaluates this script itself (importScripts reads it from disk in Node).
      mainScriptUrlOrBlob: mainScript,
      // The backend caps its pool at emscripten_num_logical_cores() / 2 (it assumes two hardware
      // threads per core), which is 1 on a 2-vCPU machine: report enough cores for `threads`.
      instantiateWasm: (info: { env: Record<string, unknown> }, receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) => {
        info.env.emscripten_num_logical_cores = () => 2 * threads;
        WebAssembly.instantiate(binary, info as WebAssembly.Imports).then((r) => receive(r.instance, r.module), fail);
        return {};
      },
    }),
  ]);
  // The same bridge tfjs's own loader sets up (backend_wasm.ts, init()).
  mod.tfjs = {
    init: mod.cwrap('init', null, []),
    initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
    registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: mod.cwrap('dispose_data', null, ['number']),
    dispose: mod.cwrap('dispose', null, []),
  };
  return mod;
}

/**
 * Make the `wasm` backend use the threaded SIMD build with `threads` threads. Call after importing
 * @tensorflow/tfjs-backend-wasm and before tf.setBackend('wasm'). The pool is capped at 8 threads
 * by the backend; its workers do not keep the process alive.
 */
export function enableWasmThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
  if (tf.engine().registry.wasm != null) throw new Error('enableWasmThreads must run before the wasm backend initialises');
  setThreadsCount(threads);
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const mod = await instantiate(threads);
      const backend = new BackendWasm(mod as never); // creates the thread pool
      // Pool threads block in their workers for good; Emscripten refs a worker while it runs a
      // thread, which would keep Node from exiting.
      for (const w of [...(mod.PThread?.runningWorkers ?? []), ...(mod.PThread?.unusedWorkers ?? [])]) w.unref();
      return backend;
    },
    2,
  );
}
