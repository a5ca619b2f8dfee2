// Spawning the built CLI, as test/cli.test.ts does.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

export function pipeline(cwd: string, ...args: string[]) {
  const r = spawnSync('node', [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every YAML file shipped in pipelines/ and experiments/. */
export const SHIPPED_YAML = ['pipelines/inverting-mnist.yaml', 'experiments/base.yaml', 'experiments/smoke.yaml', 'experiments/sweep-threshold.yaml'];
