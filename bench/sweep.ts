// `npm run bench:sweep`: experiments/sweep-threshold.yaml (threshold x 3, inverse.steps x 2) on full
// MNIST with a fresh cache, through the CLI. Prints how often load and train-classifier ran, the
// wall time against the ideal for N workers (load + train-classifier + the sum of the distinct
// downstream stage instances' times / N), and the time of an all-hits re-run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const experiment = process.argv[2] ?? join(root, 'experiments', 'sweep-threshold.yaml');
const jobs = cpus().length;

function run(args: string[]): { wallS: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync('node', [cli, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0) throw new Error(`pipeline ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { wallS: (performance.now() - t0) / 1000, stdout: r.stdout };
}

interface Manifest {
  stages: Record<string, { type: string; status: string; key?: string; computeMs?: number }>;
}

const work = mkdtempSync(join(tmpdir(), 'pipeline-sweep-bench-'));
try {
  const args = ['run', experiment, '--cache', join(work, 'cache'), '--runs', join(work, 'runs'), '--jobs', String(jobs)];
  console.log(`bench: ${experiment}, ${jobs} workers`);
  const cold = run(args);
  const folder = /^sweep folder: (.+)$/m.exec(cold.stdout)![1].trim();
  const sweep = JSON.parse(readFileSync(join(folder, 'sweep.json'), 'utf8')) as {
    instances: Record<string, string>;
    variants: Array<{ variant: string; runDir: string }>;
  };
  const computed: Record<string, number> = {};
  for (const [id, status] of Object.entries(sweep.instances)) if (status === 'miss') computed[id.split('@')[0]] = (computed[id.split('@')[0]] ?? 0) + 1;
  console.log(
    `stage instances computed: ${Object.entries(computed)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  const manifests = sweep.variants.map((v) => JSON.parse(readFileSync(join(v.runDir, 'manifest.json'), 'utf8')) as Manifest);
  const upstream = new Set(['data', 'classifier']);
  const seconds = (ms = 0) => ms / 1000;
  const shared = [...upstream].reduce((s, id) => s + seconds(manifests[0].stages[id].computeMs), 0);
  // Each distinct stage instance once: a confident stage shared by two variants ran once.
  const instances = new Map<string, number>();
  for (const m of manifests) for (const [id, st] of Object.entries(m.stages)) if (!upstream.has(id)) instances.set(st.key!, seconds(st.computeMs));
  const downstream = [...instances.values()].reduce((a, b) => a + b, 0);
  const ideal = shared + downstream / jobs;
  console.log(
    `load + train-classifier ${shared.toFixed(1)} s; the ${instances.size} downstream stage instances of ${manifests.length} variants ${downstream.toFixed(1)} s in all`,
  );
  console.log(
    `cold sweep wall ${cold.wallS.toFixed(1)} s; ideal on ${jobs} workers ${ideal.toFixed(1)} s; ratio ${(cold.wallS / ideal).toFixed(2)} (target <= 1.1)`,
  );
  const warm = run(args);
  console.log(`re-run (all cache hits, process start included) ${warm.wallS.toFixed(2)} s (target < 3 s)`);
  console.log(
    cold.stdout
      .split('\n')
      .filter((l) => /^v\d|^variant/.test(l))
      .join('\n'),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
