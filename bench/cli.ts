// `npm run bench:cli [-- --cache DIR] [EXPERIMENT]`: how fast the CLI answers when it computes
// nothing, against the floor (`node -e 0`) and a peer (Snakemake's no-op). Each figure is the
// minimum of 5 runs after a warm-up (hyperfine when installed, with its JSON export; else timed
// here the same way): `pipeline --help` and `--version`, `plan` and `cache ls`, and a re-run of
// EXPERIMENT (default experiments/base.yaml) whose stages are all cached. The cache is DIR when
// given (it must hold the experiment's results: a run first fills it), else a fresh one filled by
// one cold run first. Snakemake's figure is its no-op on a workflow of the pipeline's 7 rules
// (load -> train-classifier -> filter-confident -> train-inverse -> reconstruct, generate,
// features, each rule touching its output), written to a temp folder and run once to make the
// outputs. Figures are printed, not asserted; bench/bench.ts prints them too, at its end.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const RUNS = 5;

const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

interface Figure {
  min: number;
  median: number;
  how: string;
}

/** Min and median wall time of `argv` over RUNS runs after one warm-up, in `cwd`. */
function measure(argv: string[], cwd = root): Figure {
  const check = spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`${argv.join(' ')} failed (${check.status}):\n${check.stdout}\n${check.stderr}`);
  if (onPath('hyperfine')) {
    const out = join(mkdtempSync(join(tmpdir(), 'pipeline-bench-cli-')), 'hyperfine.json');
    const r = spawnSync('hyperfine', ['-N', '-w', '1', '-r', String(RUNS), '--export-json', out, argv.map(quote).join(' ')], { cwd, encoding: 'utf8' });
    if (r.status === 0) {
      const { results } = JSON.parse(readFileSync(out, 'utf8')) as { results: { min: number; median: number }[] };
      rmSync(dirname(out), { recursive: true, force: true });
      return { min: results[0].min, median: results[0].median, how: 'hyperfine' };
    }
  }
  const times: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    spawnSync(argv[0], argv.slice(1), { cwd, stdio: 'ignore' });
    if (i > 0) times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return { min: times[0], median: times[Math.floor(times.length / 2)], how: 'spawnSync' };
}

/** A Snakemake workflow of the pipeline's 7 rules, each touching its output: the folder. */
function snakemakeWorkflow(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-bench-snakemake-'));
  const rule = (name: string, inputs: string[]) =>
    [
      `rule ${name.replaceAll('-', '_')}:`,
      ...(inputs.length ? [`    input: ${inputs.map((i) => `"${i}.out"`).join(', ')}`] : []),
      `    output: "${name}.out"`,
      '    shell: "touch {output}"',
      '',
    ].join('\n');
  const text = [
    'rule all:',
    '    input: "reconstruct.out", "generate.out", "features.out"',
    '',
    rule('data', []),
    rule('classifier', ['data']),
    rule('confident', ['data', 'classifier']),
    rule('inverse', ['data', 'confident', 'classifier']),
    rule('reconstruct', ['data', 'classifier', 'inverse']),
    rule('generate', ['classifier', 'inverse']),
    rule('features', ['classifier', 'inverse']),
  ].join('\n');
  writeFileSync(join(dir, 'Snakefile'), text);
  const r = spawnSync('snakemake', ['-c1', '-q'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`snakemake failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return dir;
}

const fmt = (f: Figure): string => `min ${f.min.toFixed(3)} s, median ${f.median.toFixed(3)} s (${RUNS} runs, ${f.how})`;

/** The figures, one line each, for `pipeline run EXPERIMENT --cache CACHE` already all hits. */
export function cliFigures(experiment: string, cache: string): string[] {
  const runs = mkdtempSync(join(tmpdir(), 'pipeline-bench-cli-runs-'));
  const lines: string[] = [];
  const line = (what: string, f: Figure) => {
    lines.push(`${what.padEnd(44)} ${fmt(f)}`);
    console.error(lines.at(-1)); // progress, while the rest is measured
  };
  try {
    const node = process.execPath;
    line('node -e 0', measure([node, '-e', '0']));
    line('pipeline --help', measure([node, cli, '--help']));
    line('pipeline --version', measure([node, cli, '--version']));
    line(`pipeline plan ${basename(experiment)}`, measure([node, cli, 'plan', experiment, '--cache', cache]));
    line('pipeline cache ls', measure([node, cli, 'cache', 'ls', '--cache', cache]));
    const run = [node, cli, 'run', experiment, '--cache', cache, '--runs', runs];
    // A cache that misses a stage is filled first: the figure is of a run with nothing to compute.
    const check = spawnSync(node, [...run.slice(1), '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
    const computed = check.status === 0 ? (JSON.parse(check.stdout) as { computed: number }).computed : undefined;
    if (computed !== 0) console.error(`(the cache was not complete: ${computed ?? 'the run failed'} stage(s) computed first)`);
    line(`pipeline run ${basename(experiment)} (all hits)`, measure(run));
    if (onPath('snakemake')) {
      const dir = snakemakeWorkflow();
      try {
        line('snakemake -c1 no-op (7 rules, all done)', measure(['snakemake', '-c1'], dir));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else lines.push('snakemake no-op: not run (snakemake is not on PATH)');
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
  return lines;
}

function main(): void {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--cache');
  const given = at >= 0 ? argv.splice(at, 2)[1] : undefined;
  const experiment = argv[0] ?? join(root, 'experiments', 'base.yaml');
  const work = mkdtempSync(join(tmpdir(), 'pipeline-bench-cli-'));
  try {
    const cache = given ?? join(work, 'cache');
    if (!given || !existsSync(given)) {
      mkdirSync(cache, { recursive: true });
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [cli, 'run', experiment, '--cache', cache, '--runs', join(work, 'runs')], { cwd: root, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`the cold run failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
      console.log(`cold run to fill the cache: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    console.log(`bench:cli: ${experiment}, cache ${cache}`);
    for (const l of cliFigures(experiment, cache)) console.log(l);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
