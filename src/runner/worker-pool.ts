// Worker processes for stage instances. Each worker's wasm backend is single-threaded, so N
// processes use N cores. Jobs go to the first idle worker; workers are started lazily and stopped
// with the pool.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CacheEntry } from '../store/run-cache.js';
import type { OnProgress } from './compute.js';
import type { ParentMessage, StageJob, WorkerMessage } from './job.js';

/** The compiled worker script: next to this file in dist/, or dist/ of the project from source. */
function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const script = import.meta.url.endsWith('.js') ? join(here, 'worker.js') : join(here, '..', '..', 'dist', 'src', 'runner', 'worker.js');
  if (!existsSync(script)) throw new Error(`worker script ${script} not found; run \`npm run build\``);
  return script;
}

export class JobFailed extends Error {
  constructor(
    message: string,
    readonly corruptBlob?: string,
    interrupted = false,
  ) {
    super(message);
    // isInterruption (compute.ts) goes by name: an interrupted job is not a failed stage.
    if (interrupted) this.name = 'Interrupted';
  }
}

interface Slot {
  child: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
  jobs: Set<number>;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Array<() => void> = [];
  private readonly pending = new Map<number, { resolve: (e: CacheEntry) => void; reject: (e: Error) => void; progress: OnProgress }>();
  private nextJob = 0;

  constructor(
    private readonly size: number,
    private readonly cacheRoot: string,
    private readonly backend: string,
  ) {}

  private start(): Slot {
    // One process per core: each computes single-threaded. A worker's stdout is our stderr: the
    // CLI's stdout carries only its own output (the --json document, the tables), whatever a
    // stage plugin prints from a worker.
    const child = fork(workerScript(), [this.cacheRoot, this.backend], {
      stdio: ['ignore', 2, 'inherit', 'ipc'],
      env: { ...process.env, PIPELINE_WASM_THREADS: '1' },
    });
    let ready!: () => void;
    let failed!: (e: Error) => void;
    const slot: Slot = {
      child,
      busy: false,
      jobs: new Set(),
      ready: new Promise<void>((res, rej) => {
        ready = res;
        failed = rej;
      }),
    };
    child.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') {
        if (m.backend !== this.backend) failed(new Error(`worker loaded backend ${m.backend}, expected ${this.backend}`));
        else ready();
        return;
      }
      const p = this.pending.get(m.job);
      if (!p) return;
      if (m.type === 'progress') p.progress(m.step, m.total, m.loss);
      else {
        this.pending.delete(m.job);
        if (m.type === 'done') p.resolve(m.entry);
        else p.reject(new JobFailed(m.message, m.corrupt, m.interrupted));
      }
    });
    const lost = (err: Error): void => {
      failed(err);
      if (this.slots.includes(slot)) this.slots.splice(this.slots.indexOf(slot), 1);
      for (const id of slot.jobs) this.pending.get(id)?.reject(err);
    };
    child.on('exit', (code, signal) => lost(new Error(`worker process exited (${signal ?? `code ${code}`})`)));
    // A failed send to a dying worker: its jobs fail, the run goes on with the other workers.
    child.on('error', (err) => lost(new Error(`worker process failed: ${err.message}`)));
    this.slots.push(slot);
    return slot;
  }

  private async acquire(): Promise<Slot> {
    // The first job starts every worker: the others load their backend while it computes (in a
    // sweep, while the shared upstream stages run) instead of when their first job is waiting.
    if (this.slots.length === 0) for (let i = 0; i < this.size; i++) this.start();
    for (;;) {
      const idle = this.slots.find((s) => !s.busy);
      if (idle) return idle;
      if (this.slots.length < this.size) return this.start();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  async run(job: StageJob, progress: OnProgress): Promise<CacheEntry> {
    const slot = await this.acquire();
    slot.busy = true;
    try {
      await slot.ready;
      const id = this.nextJob++;
      slot.jobs.add(id);
      try {
        return await new Promise<CacheEntry>((resolve, reject) => {
          this.pending.set(id, { resolve, reject, progress });
          const message: ParentMessage = { type: 'job', job: id, spec: job };
          slot.child.send(message, (err) => err && reject(new Error(`cannot reach worker process: ${err.message}`)));
        });
      } finally {
        slot.jobs.delete(id);
      }
    } finally {
      slot.busy = false;
      this.waiting.shift()?.();
    }
  }

  /** Stop every running job at its next progress report (the jobs reject as interrupted). */
  abort(): void {
    const message: ParentMessage = { type: 'abort' };
    for (const s of this.slots) if (s.child.connected) s.child.send(message, () => undefined);
  }

  close(): void {
    for (const s of [...this.slots]) {
      s.child.removeAllListeners('exit');
      s.child.kill();
    }
    this.slots.length = 0;
  }
}
