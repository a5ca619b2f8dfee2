// `node dist/bench/big-sweep.js [--variants 10000] [--repeat 3] [--jobs 2] [--sweep 100]`: big
// sweeps of the smoke pipeline through the CLI, each with a fresh cache.
//
// 1. plan of a generated sweep of --variants variants (a square grid of confident.threshold x
//    inverse.steps: 10,000 = 100 x 100, 40,102 stage instances), `plan --json` to /dev/null:
//    wall time and peak RSS (/usr/bin/time), the best of --repeat.
// 2. smoke run warm (every stage cached): with the data files' hashes from the index's stamps,
//    and with --rehash (all four MNIST files read and hashed), the best of --repeat.
// 3. a --sweep-variant smoke sweep (100 = 10 x 10: 412 stage instances) computed on --jobs
//    workers: per-instance overhead = (wall - sum of the instances' compute times / workers) /
//    instances: what scheduling, IPC, index writes, run records and process start cost each.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string, fallback: number): number => Number(arg(name) ?? fallback);

/** --root DIR: the project whose built CLI is measured (e.g. a checkout of an older commit). */
const root = arg('root') ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const smoke = join(root, 'experiments', 'smoke.yaml');
const variants = flag('variants', 10_000);
const repeat = flag('repeat', 3);
const jobs = flag('jobs', 2);
const sweepVariants = flag('sweep', 100);

const TIME = '/usr/bin/time';
const haveTime = existsSync(TIME);

interface Timed {
  wallS: number;
  /** Peak resident set size of the child, in MB (when /usr/bin/time is there). */
  rssMB?: number;
  stdout: string;
}

function pipeline(args: string[], opts: { stdout?: 'ignore' } = {}): Timed {
  const argv = haveTime ? [TIME, '-f', 'RSS_KB=%M', 'node', cli, ...args] : ['node', cli, ...args];
  const t0 = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    stdio: ['ignore', opts.stdout ?? 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', PIPELINE_MAX_VARIANTS: String(Math.max(variants, 10_000)) },
  });
  const wallS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`pipeline ${args.join(' ')} failed (${r.status}):\n${r.stdout ?? ''}\n${r.stderr}`);
  const kb = /RSS_KB=(\d+)/.exec(r.stderr ?? '');
  return { wallS, rssMB: kb ? Number(kb[1]) / 1024 : undefined, stdout: r.stdout ?? '' };
}

/** A grid over the smoke pipeline: a x b variants, every threshold and step count distinct. */
function gridFile(dir: string, a: number, b: number): string {
  const thresholds = Array.from({ length: a }, (_, i) => Number((0.3 + (0.3 * i) / a).toFixed(4)));
  const steps = Array.from({ length: b }, (_, i) => i + 1);
  const file = join(dir, `smoke-${a}x${b}.yaml`);
  writeFileSync(
    file,
    `extends: ${smoke}\nname: big-sweep\nsweep:\n  confident.threshold: [${thresholds.join(', ')}]\n  inverse.steps: [${steps.join(', ')}]\n`,
  );
  return file;
}

/** The most nearly square a x b = n. */
function square(n: number): [number, number] {
  let a = Math.floor(Math.sqrt(n));
  while (n % a !== 0) a--;
  return [n / a, a];
}

const best = (runs: Timed[]) => runs.reduce((m, r) => (r.wallS < m.wallS ? r : m));
const mb = (r: Timed) => (r.rssMB === undefined ? '' : `, peak RSS ${r.rssMB.toFixed(0)} MB`);

const work = mkdtempSync(join(tmpdir(), 'pipeline-big-sweep-bench-'));
try {
  console.log(`bench: big sweeps of ${smoke}${haveTime ? '' : ' (no /usr/bin/time: no RSS figures)'}`);

  // 1. plan
  const [pa, pb] = square(variants);
  const big = gridFile(work, pa, pb);
  const plans: Timed[] = [];
  for (let i = 0; i < repeat; i++) plans.push(pipeline(['plan', big, '--json', '--cache', join(work, `plan-cache-${i}`)], { stdout: 'ignore' }));
  const plan = best(plans);
  console.log(
    `plan of ${variants} variants (${pa} x ${pb}): ${plan.wallS.toFixed(2)} s${mb(plan)} (best of ${repeat}: ${plans.map((p) => p.wallS.toFixed(2)).join(', ')} s)`,
  );

  // 2. warm smoke run, with and without reading the data files
  const cache = join(work, 'smoke-cache');
  const runs = join(work, 'runs');
  pipeline(['run', smoke, '--cache', cache, '--runs', runs]);
  const warm = best(Array.from({ length: repeat }, () => pipeline(['run', smoke, '--cache', cache, '--runs', runs])));
  if (pipeline(['run', '--help']).stdout.includes('--rehash')) {
    const rehash = best(Array.from({ length: repeat }, () => pipeline(['run', smoke, '--cache', cache, '--runs', runs, '--rehash'])));
    console.log(
      `smoke run, all cached: ${warm.wallS.toFixed(2)} s${mb(warm)} with stamped data hashes; ${rehash.wallS.toFixed(2)} s${mb(rehash)} reading the data files (--rehash)`,
    );
  } else console.log(`smoke run, all cached: ${warm.wallS.toFixed(2)} s${mb(warm)} (this CLI has no --rehash: it reads the data files every run)`);

  // 3. the per-instance overhead of a sweep
  const [sa, sb] = square(sweepVariants);
  const file = gridFile(work, sa, sb);
  const cold = pipeline(['sweep', file, '--cache', join(work, 'sweep-cache'), '--runs', runs, '--jobs', String(jobs)]);
  const folder = /^sweep folder: (.+)$/m.exec(cold.stdout)![1].trim();
  const record = JSON.parse(readFileSync(join(folder, 'sweep.json'), 'utf8')) as { variants: Array<{ runDir: string }> };
  const computeMs = new Map<string, number>();
  for (const v of record.variants) {
    const m = JSON.parse(readFileSync(join(v.runDir, 'manifest.json'), 'utf8')) as {
      stages: Record<string, { key?: string; status: string; computeMs?: number }>;
    };
    for (const st of Object.values(m.stages)) if (st.key && st.status === 'miss') computeMs.set(st.key, st.computeMs ?? 0);
  }
  const instances = computeMs.size;
  const computeS = [...computeMs.values()].reduce((a, b) => a + b, 0) / 1000;
  const overheadMs = ((cold.wallS - computeS / jobs) / instances) * 1000;
  console.log(
    `sweep of ${record.variants.length} variants (${sa} x ${sb}), ${instances} stage instances on ${jobs} workers: wall ${cold.wallS.toFixed(1)} s${mb(cold)}, ` +
      `compute ${computeS.toFixed(1)} s in all (${(computeS / jobs).toFixed(1)} s per worker); overhead ${overheadMs.toFixed(1)} ms per instance`,
  );
  const again = pipeline(['sweep', file, '--cache', join(work, 'sweep-cache'), '--runs', runs, '--jobs', String(jobs)]);
  console.log(`the same sweep again, all cached: ${again.wallS.toFixed(2)} s${mb(again)}`);

  // The same sweep in this process, fresh cache: until every instance has settled, then the run
  // records (a run folder per variant, pictures as PNG, report.html and sweep.html).
  const api = (await import(pathToFileURL(join(root, 'dist', 'src', 'index.js')).href)) as typeof import('../src/index.js');
  const t0 = performance.now();
  let settled = t0;
  await api.runPipeline({
    file,
    cacheRoot: join(work, 'sweep-cache-2'),
    runsRoot: runs,
    jobs,
    display: async (view, _events, outcome) => {
      await Promise.all(view.graph.order.map((id) => outcome(id)));
      settled = performance.now();
    },
  });
  const end = performance.now();
  const computePhaseS = (settled - t0) / 1000;
  console.log(
    `in-process: config to every instance settled ${computePhaseS.toFixed(1)} s (overhead ${(((computePhaseS - computeS / jobs) / instances) * 1000).toFixed(1)} ms per instance), ` +
      `then run records and reports ${((end - settled) / 1000).toFixed(1)} s (${((end - settled) / instances).toFixed(1)} ms per instance)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
