// Shared set-up for the cache command tests: a temp cache built by running the engine fixture
// pipeline, and the commands run in-process through commander, output captured.
import { usageExit } from '../../src/cli/common.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { vi } from 'vitest';
import { registerCacheCommands } from '../../src/cli/cache-commands.js';
import { runPipeline, type RunOptions } from '../../src/runner/run.js';
import { RunCache } from '../../src/store/run-cache.js';
import type { DirBlobStore } from '../../src/store/dir-blobs.js';
import { registry as realStages } from '../helpers/builtin.js';
import { engineStages } from '../fixtures/engine-stages.js';

export const registry = { ...realStages, ...engineStages };
export const engineFile = join(import.meta.dirname, '..', 'fixtures', 'engine', 'base.yaml');
export const slowFile = join(import.meta.dirname, 'fixtures', 'slow.yaml');

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pipeline-cache-cmd-'));
}

export function runIn(dir: string, extra: Partial<RunOptions> = {}) {
  return runPipeline({
    file: engineFile,
    registry,
    cacheRoot: join(dir, 'cache'),
    runsRoot: join(dir, 'runs'),
    ...extra,
  });
}

/** Open the cache, use it, close it. */
export async function withCache<T>(dir: string, fn: (c: RunCache<DirBlobStore>) => Promise<T> | T): Promise<T> {
  const cache = RunCache.local(join(dir, 'cache'));
  try {
    return await fn(cache);
  } finally {
    await cache.close();
  }
}

/** `pipeline ARGS...` in-process: stdout, stderr and the exit status it would have. */
export async function cli(args: string[]): Promise<{ out: string; err: string; status: number }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const exit = vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
    throw new ExitCalled(code ?? 0);
  }) as never);
  const writeErr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    err.push(String(chunk));
    return true;
  });
  const before = process.exitCode;
  process.exitCode = undefined;
  let status = 0;
  try {
    const program = new Command().name('pipeline').exitOverride(usageExit); // as src/cli.ts sets it up
    registerCacheCommands(program, async () => registry);
    await program.parseAsync(['node', 'pipeline', ...args]);
    status = Number(process.exitCode ?? 0);
  } catch (e) {
    if (!(e instanceof ExitCalled)) throw e;
    status = e.code;
  } finally {
    process.exitCode = before;
    log.mockRestore();
    error.mockRestore();
    exit.mockRestore();
    writeErr.mockRestore();
  }
  return { out: out.join('\n'), err: err.join('\n'), status };
}

class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
