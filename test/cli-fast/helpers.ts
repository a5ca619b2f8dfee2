// Running the built CLI with the backend probe (backend-probe.mjs) loaded, to see what it did
// with tfjs: imported it, imported a backend's module, started a backend.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const root = join(import.meta.dirname, '..', '..');
export const cliPath = join(root, 'dist', 'src', 'cli', 'main.js');
const probe = pathToFileURL(join(import.meta.dirname, 'backend-probe.mjs')).href;

export interface Probe {
  probe: true;
  tfjsImported: boolean;
  /** Backends whose module was imported (registered with tfjs-core). */
  factories: string[];
  /** Backends started (initialised). */
  started: string[];
  selected: string | null;
  /** Packages loaded through the CommonJS loader (tfjs-core among them once imported). */
  packages: string[];
}

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  probe: Probe;
}

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'pipeline-cli-fast-'));

/** `pipeline ARGS` in `cwd`, with the probe; `startFirst`: the backend started before the CLI runs. */
export function pipeline(cwd: string, args: string[], opts: { startFirst?: string } = {}): Ran {
  const out = join(cwd, `probe-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    PIPELINE_PROBE_OUT: out,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${probe}`,
  };
  if (opts.startFirst) env.PIPELINE_PROBE_START = opts.startFirst;
  else delete env.PIPELINE_PROBE_START;
  const r = spawnSync('node', [cliPath, ...args], { cwd, encoding: 'utf8', env });
  // No probe report means the probe did not run: the test cannot tell anything, so it fails.
  if (!existsSync(out)) throw new Error(`the probe wrote nothing for pipeline ${args.join(' ')} (status ${r.status}): ${r.stderr}`);
  const probeReport = JSON.parse(readFileSync(out, 'utf8')) as Probe;
  rmSync(out);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, probe: probeReport };
}
