// The command line as a user meets it: the smoke experiment end to end, and bad input.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pipeline-cli-'));
});

function pipeline(...args: string[]) {
  const r = spawnSync('node', [cli, ...args, '--cache', join(dir, 'cache')], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.trim().split('\n') };
}

describe('pipeline run experiments/smoke.yaml', () => {
  it('runs every stage, prints plain lines when not a TTY, and names the run folder last', () => {
    const r = pipeline('run', join(root, 'experiments', 'smoke.yaml'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.lines[0]).toMatch(/^pipeline smoke: 7 stages, backend wasm/);
    for (const id of ['data', 'classifier', 'confident', 'inverse', 'reconstruct', 'generate', 'features']) {
      expect(r.stdout).toMatch(new RegExp(`✔ ${id} \\([a-z-]+\\)  done  [0-9.]+ m?s  [0-9a-f]{10}`));
    }
    expect(r.stdout).toMatch(/classifier: step \d+\/60 {2}loss [0-9.]+/);
    const runDir = /^run folder: (.+)$/.exec(r.lines.at(-1)!)![1];
    expect(runDir.startsWith(join(dir, 'runs', 'smoke'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8'));
    expect(Object.values(manifest.stages).map((s) => (s as { status: string }).status)).toEqual(Array(7).fill('miss'));
    for (const picture of ['reconstruct/reconstruct.png', 'generate/generate.png', 'features/features.png']) {
      const png = PNG.sync.read(readFileSync(join(runDir, picture)));
      expect(png.width).toBeGreaterThanOrEqual(56);
    }
    const again = pipeline('run', join(root, 'experiments', 'smoke.yaml'));
    expect(again.status).toBe(0);
    expect(again.stdout.match(/ cached {2}[0-9a-f]{10}/g)).toHaveLength(7);
  });

  it('plan explains a miss by the param that changed', () => {
    const r = pipeline('plan', join(root, 'experiments', 'smoke.yaml'), '--set', 'confident.threshold=0.45');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/data\s+hit/);
    expect(r.stdout).toMatch(/confident\s+miss\s+[0-9a-f]{10}\s+filter-confident.*\n\s+params\.threshold 0\.5 -> 0\.45\n/);
    expect(r.stdout).toMatch(/inverse\s+pending/);
  });
});

describe('bad input', () => {
  it('reports every problem as FILE:LINE:COL, exits 2 and leaves the cache alone', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      ['name: bad', 'stages:', '  data: { uses: load, with: { train: 0 } }', '  clf: { uses: train-classifier, inputs: { data: dta } }', ''].join('\n'),
    );
    const cacheBefore = existsSync(join(dir, 'cache')) ? readdirSync(join(dir, 'cache')).sort() : [];
    const r = pipeline('run', file);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^bad\.yaml:3:38: train must be >= 1, got 0$/),
        expect.stringMatching(/^bad\.yaml:4:50: input "data": unknown stage "dta"; did you mean "data"\?$/),
      ]),
    );
    expect(existsSync(join(dir, 'cache')) ? readdirSync(join(dir, 'cache')).sort() : []).toEqual(cacheBefore);
  });

  it('names an unknown --force stage', () => {
    const r = pipeline('run', join(root, 'experiments', 'smoke.yaml'), '--force', 'clasifier');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--force clasifier: no stage "clasifier"/);
  });
});
