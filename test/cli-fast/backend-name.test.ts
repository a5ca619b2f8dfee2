// backendName(choice) (src/backend/name.ts) names the backend without starting it, and must be
// exactly what initBackend(choice) then returns: the name is in every key, so a run of hits keys
// its stages by it. Each choice is asked in a fresh process (initBackend keeps the first backend
// it loads), running the build, with PIPELINE_BLAS as given.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../../src/backend/index.js';
import { BACKEND_CHOICES } from '../../src/backend/name.js';
import { root } from './helpers.js';

const url = (file: string) => pathToFileURL(join(root, 'dist', 'src', 'backend', file)).href;

/** In a fresh process: backendName(choice), then initBackend(choice), each a name or an error. */
function both(choice: string, env: Record<string, string | undefined> = {}): { predicted: string; started: string; startedTf: string | null } {
  const script = `
    const { backendName } = await import(${JSON.stringify(url('name.js'))});
    const { initBackend } = await import(${JSON.stringify(url('index.js'))});
    const tf = await import('@tensorflow/tfjs-core');
    const name = (p) => p.then((n) => n, (e) => 'error: ' + e.message);
    const predicted = await name(backendName(${JSON.stringify(choice)}));
    const untouched = Object.keys(globalThis._tfengine.registry).length === 0;
    const started = await name(initBackend(${JSON.stringify(choice)}));
    console.log(JSON.stringify({ predicted, untouched, started, startedTf: tf.getBackend() ?? null }));`;
  const r = spawnSync('node', ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { predicted: string; untouched: boolean; started: string; startedTf: string | null };
  // Naming started nothing.
  expect(out.untouched).toBe(true);
  return out;
}

describe('backendName', () => {
  it('offers the choices initBackend takes', () => {
    expect([...BACKEND_CHOICES]).toEqual([...BACKENDS]);
  });

  for (const [choice, env] of [
    ['auto', {}],
    ['wasm', {}],
    ['cpu', {}],
    ['auto', { PIPELINE_BLAS: 'off' }],
    ['wasm', { PIPELINE_BLAS: 'off' }],
    ['wasm', { PIPELINE_BLAS: 'auto' }],
    ['tensorflow', {}],
  ] as const) {
    it(`is what initBackend returns for ${choice}${Object.keys(env).length ? ` with ${JSON.stringify(env)}` : ''}`, () => {
      const { predicted, started } = both(choice, env);
      expect(predicted).toBe(started);
    });
  }

  it('is what initBackend returns for a full name, and refuses one this process would not run as initBackend does', () => {
    const auto = both('auto').started;
    if (auto.includes('+')) expect(both(auto).predicted).toBe(auto);
    const off = both('wasm+openblas', { PIPELINE_BLAS: 'off' });
    expect(off.predicted).toMatch(/^error: backend "wasm\+openblas" was asked for but this process would run "wasm"/);
    expect(off.started).toMatch(/^error: backend "wasm\+openblas" was asked for but this process runs "wasm"/);
  });

  it('names tensorflow only when @tensorflow/tfjs-node loads (an error otherwise, as initBackend)', () => {
    const r = both('tensorflow');
    if (r.started === 'tensorflow') expect(r.predicted).toBe('tensorflow');
    else {
      expect(r.started).toMatch(/^error: backend "tensorflow" was asked for but @tensorflow\/tfjs-node did not load/);
      expect(r.predicted).toBe(r.started);
    }
  });
});

// The name is kept in dist/.cache/backend-name.json (src/backend/name-cache.ts) so that a run of
// hits need not load koffi and the BLAS; kept only while what decides it is unchanged.
describe('the kept backend name', () => {
  const file = join(root, 'dist', '.cache', 'backend-name.json');
  /** backendName('wasm') in a fresh process, and whether that process mapped a BLAS library. */
  function probe(env: Record<string, string | undefined> = {}): { name: string; mapped: boolean } {
    const script = `
      const { backendName } = await import(${JSON.stringify(url('name.js'))});
      const name = await backendName('wasm');
      const { readFileSync } = await import('node:fs');
      const mapped = /lib(open|c)?blas/.test(readFileSync('/proc/self/maps', 'utf8'));
      console.log(JSON.stringify({ name, mapped }));`;
    const r = spawnSync('node', ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  }
  const linuxBlas = process.platform === 'linux' && both('wasm').started.includes('+');

  it.runIf(linuxBlas)('is reused without loading the BLAS, and found again when its files, the CPU setting or the file change', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const first = probe();
    const again = probe();
    expect(again).toEqual({ name: first.name, mapped: false });
    expect(again.name).toBe(both('wasm').started);

    // A stamp that no longer matches its library: probed again, and right.
    const kept = JSON.parse(readFileSync(file, 'utf8')) as { entries: Record<string, { files: Record<string, string> }> };
    for (const entry of Object.values(kept.entries)) for (const path of Object.keys(entry.files)) entry.files[path] = '1:2:3';
    writeFileSync(file, JSON.stringify(kept));
    expect(probe()).toEqual({ name: first.name, mapped: true });
    expect(probe().mapped).toBe(false);

    // Another core asked for: another name, each kept beside the other.
    const haswell = probe({ OPENBLAS_CORETYPE: 'Haswell' });
    expect(haswell).toEqual({ name: 'wasm+openblas-haswell', mapped: true });
    expect(probe({ OPENBLAS_CORETYPE: 'Haswell' })).toEqual({ name: 'wasm+openblas-haswell', mapped: false });
    expect(probe()).toEqual({ name: first.name, mapped: false });

    // The BLAS switched off, or a corrupt file: never the kept name.
    expect(probe({ PIPELINE_BLAS: 'off' }).name).toBe('wasm');
    writeFileSync(file, '{"version":2,"entries":');
    expect(probe()).toEqual({ name: first.name, mapped: true });
    expect(probe().mapped).toBe(false);
  });
});

describe('a kept backend name that went stale', () => {
  it.runIf(process.platform === 'linux')('stops the run that would compute under it, and is forgotten so the next run is right', async () => {
    const { mkdtempSync, readFileSync, writeFileSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = join(root, 'dist', '.cache', 'backend-name.json');
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-stale-name-'));
    const cli = (args: string[]) =>
      spawnSync('node', [join(root, 'dist', 'src', 'cli', 'main.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const run = ['run', 'experiments/smoke.yaml', '--cache', join(dir, 'cache'), '--runs', join(dir, 'runs'), '--backend', 'wasm'];
    // plan names the backend (and keeps it) without computing anything
    expect(cli(['plan', ...run.slice(1, 4)]).status).toBe(0);
    const kept = JSON.parse(readFileSync(file, 'utf8')) as { entries: Record<string, { name: string; files: Record<string, string> }> };
    const real = both('wasm').started;
    const mine = Object.values(kept.entries).filter((e) => e.name === real);
    expect(mine.length).toBeGreaterThan(0);
    for (const e of mine) e.name = 'wasm+stale-blas';
    writeFileSync(file, JSON.stringify(kept));
    const stale = cli(run);
    expect(stale.status).not.toBe(0);
    expect(stale.stderr + stale.stdout).toMatch(/started as "wasm[^"]*", but this run's keys name "wasm\+stale-blas"; run again/);
    expect(existsSync(file)).toBe(false);
    const again = cli(run);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain(real);
  });
});
