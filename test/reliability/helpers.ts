// Real `pipeline` processes for the reliability tests: spawned with pipes (so they can be
// signalled and raced), their output collected as it comes, and every one of them (and every
// worker pid a test recorded) killed when the test ends.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..', '..');
export const cliOf = (projectRoot: string): string => join(projectRoot, 'dist', 'src', 'cli', 'main.js');
export const smoke = join(root, 'experiments', 'smoke.yaml');
export const sweepSmoke = join(root, 'test', 'fixtures', 'sweep-smoke.yaml');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() when the process ended. */
  at: number;
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Set once the process has ended. */
  exit?: Exit;
  /** Resolves when the process ends ('exit': a sweep's workers may still hold its pipes). */
  exited: Promise<Exit>;
  /** Resolves when its stdout and stderr are closed too (every writer, workers included, gone). */
  closed: Promise<void>;
}

const live = new Set<Proc>();
const extraPids = new Set<number>();
const dirs: string[] = [];

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `pipeline-rel-${prefix}-`));
  dirs.push(d);
  return d;
}

/** Spawn `node <cli> ...args` with pipes. */
export function spawnCli(args: string[], opts: { cwd?: string; cli?: string } = {}): Proc {
  const child = spawn(process.execPath, [opts.cli ?? cliOf(root), ...args], {
    cwd: opts.cwd ?? tmpdir(),
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    err += s;
  });
  const p: Proc = {
    child,
    pid: child.pid!,
    get stdout() {
      return out;
    },
    get stderr() {
      return err;
    },
    exited: new Promise<Exit>((resolve) => {
      child.on('exit', (code, signal) => {
        p.exit = { code, signal, at: performance.now() };
        live.delete(p);
        resolve(p.exit);
      });
    }),
    closed: new Promise<void>((resolve) => child.on('close', () => resolve())),
  };
  live.add(p);
  return p;
}

export interface RunOpts {
  cwd?: string;
  cli?: string;
  /** false: no retry on a transient build failure. */
  retry?: boolean;
}

/** What a CLI run prints when dist/ is being rebuilt under it by someone else: worth a retry. */
const TRANSIENT = /Cannot find module|the build is older than its sources/;

/** Spawn a run and wait until it is under way (it printed its `pipeline NAME:` line); one that
 * failed only because dist/ was being rebuilt meanwhile is started again. */
export async function startRun(args: string[], opts: RunOpts = {}): Promise<Proc> {
  for (let attempt = 1; ; attempt++) {
    const p = spawnCli(args, opts);
    await waitFor(() => /^pipeline \S+:/m.test(p.stdout) || p.exit !== undefined, 20_000, `run ${args.join(' ')} to start`);
    if (p.exit === undefined || !TRANSIENT.test(p.stderr) || opts.retry === false || attempt === 3) return p;
    await sleep(1500);
  }
}

/** Run to the end (retrying the transient build failures as startRun does). */
export async function runToEnd(args: string[], opts: RunOpts = {}): Promise<Proc & { exit: Exit }> {
  const p = await startRun(args, opts);
  await p.exited;
  await p.closed;
  return p as Proc & { exit: Exit };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Poll `cond` every `every` ms until true; throws naming `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string, every = 20): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (cond()) return;
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(every);
  }
}

/** Whether `pid` is a running process: a zombie (ended, not yet reaped by its parent; orphans
 * in a container may stay zombies) counts as gone. */
export function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** The child processes of `pid` (`pgrep -P`). */
export function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

/** Kill these pids too at cleanup (worker processes a test found). */
export function track(pids: number[]): void {
  for (const pid of pids) extraPids.add(pid);
}

/** For afterEach: SIGKILL every process still running, remove the temp folders. */
export async function cleanup(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const p of [...live]) {
    if (p.exit === undefined) {
      p.child.kill('SIGKILL');
      waits.push(p.exited);
    }
  }
  for (const pid of extraPids) {
    if (isAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  extraPids.clear();
  await Promise.all(waits);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface LockFile {
  file: string;
  pid?: number;
}

/** The lease files in CACHE/locks (with the pid each names, when readable). */
export function locks(cache: string): LockFile[] {
  const dir = join(cache, 'locks');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((name) => {
    const file = join(dir, name);
    try {
      return { file, pid: (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid };
    } catch {
      return { file }; // being written or moved
    }
  });
}

export interface Manifest {
  pipeline: string;
  status: 'ok' | 'failed' | 'interrupted';
  stages: Record<string, { status: string; key?: string }>;
}

/** The manifest of the only run folder under RUNS (runs/<pipeline>/<run-id>/manifest.json). */
export function onlyManifest(runs: string): Manifest {
  const found: string[] = [];
  for (const pipeline of readdirSync(runs)) for (const id of readdirSync(join(runs, pipeline))) found.push(join(runs, pipeline, id, 'manifest.json'));
  if (found.length !== 1) throw new Error(`expected one run folder under ${runs}, found ${found.length}`);
  return JSON.parse(readFileSync(found[0], 'utf8')) as Manifest;
}

/** Lines that look like a stack trace. */
export const stackLines = (text: string): string[] => text.split('\n').filter((l) => /^\s+at /.test(l));
