// A user's own stages through the CLI alone: a stage file in TypeScript (with a helper and a
// dependency) and one in JavaScript, in a folder outside the repo with no mlpipe installed; a
// 2-worker sweep over a param of the user's stage; broken stage files are config errors.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { JS_STAGE, pipeline, userProject } from './fixture.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
let dir: string;
beforeAll(() => {
  dir = userProject();
});

function run(...args: string[]) {
  const r = spawnSync('node', [cli, 'run', ...args, '--cache', join(dir, 'cache'), '--runs', join(dir, 'runs')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const latestManifest = (name: string) => {
  const runs = join(dir, 'runs', name);
  const last = readdirSync(runs).sort().at(-1)!;
  return { path: join(runs, last), manifest: JSON.parse(readFileSync(join(runs, last, 'manifest.json'), 'utf8')) };
};

describe('uses: a stage file', () => {
  it('runs a TypeScript stage (types, a helper, the sdk, a dependency) with no build step', () => {
    const r = run(join(dir, 'ts.yaml'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { manifest } = latestManifest('user-stages');
    expect(manifest.stages.mean.type).toBe('mean-image');
    expect(manifest.stages.mean.status).toBe('miss');
    expect(manifest.stages.mean.metrics.meanPixel).toBeGreaterThan(0);
    // The bundle's temp file is gone.
    expect(readdirSync(join(dir, 'stages')).filter((f) => f.startsWith('.'))).toEqual([]);
    // Run again: a hit.
    expect(run(join(dir, 'ts.yaml')).status).toBe(0);
    expect(latestManifest('user-stages').manifest.stages.mean.status).toBe('hit');
  });

  it('runs a JavaScript (.mjs) stage', () => {
    const r = run(join(dir, 'js.yaml'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(latestManifest('user-stages').manifest.stages.count.metrics).toEqual({ count: 300 });
  });

  it('sweeps a param of the user stage over 2 workers', () => {
    const r = run(join(dir, 'ts.yaml'), '--sweep', 'mean.scale=2,3', '--jobs', '2');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const runs = join(dir, 'runs', 'user-stages');
    const folder = join(runs, readdirSync(runs).sort().at(-1)!);
    const sweep = JSON.parse(readFileSync(join(folder, 'sweep.json'), 'utf8'));
    expect(sweep.variants).toHaveLength(2);
    const means = readdirSync(folder, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => JSON.parse(readFileSync(join(folder, e.name, 'manifest.json'), 'utf8')).stages.mean)
      .map((m) => ({ status: m.status, pixel: m.metrics.meanPixel }));
    expect(means.map((m) => m.status)).toEqual(['miss', 'miss']);
    // scale 3 vs scale 2: the workers ran the user's code with the given params.
    expect(Math.max(...means.map((m) => m.pixel)) / Math.min(...means.map((m) => m.pixel))).toBeCloseTo(1.5, 4);
  });
});

describe('uses: an installed package', () => {
  it('loads a stage published on npm from the project node_modules', () => {
    const pkg = join(dir, 'node_modules', 'my-stages');
    mkdirSync(join(pkg, 'lib'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'my-stages', version: '3.1.4', type: 'module', exports: { '.': './lib/index.mjs' } }));
    writeFileSync(join(pkg, 'lib', 'index.mjs'), JS_STAGE.replace("'count-train'", "'pkg-count'"));
    writeFileSync(join(dir, 'pkg.yaml'), pipeline('my-stages', 'count'));
    const r = run(join(dir, 'pkg.yaml'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(latestManifest('user-stages').manifest.stages.count).toMatchObject({ type: 'pkg-count', metrics: { count: 300 } });
    expect(readdirSync(join(pkg, 'lib'))).toEqual(['index.mjs']);
  });
});

describe('a broken stage file is a config error at its uses: line (exit 2)', () => {
  const cases: [string, string, RegExp][] = [
    ['syntax.ts', 'export default defineStage({ type: "x", \n  run( {\n', /syntax\.ts:\d+:\d+: /],
    ['nodefault.ts', 'export const stage = 1;\n', /not a stage definition/],
    ['notastage.mjs', 'export default { hello: 1 };\n', /not a stage definition/],
    ['badimport.mjs', "import { nope } from './missing.mjs';\nexport default nope;\n", /Could not resolve/],
  ];
  for (const [file, text, message] of cases) {
    it(file, () => {
      writeFileSync(join(dir, 'stages', file), text);
      writeFileSync(join(dir, `bad-${file}.yaml`), pipeline(`./stages/${file}`, 'bad'));
      const r = run(join(dir, `bad-${file}.yaml`));
      expect(r.status).toBe(2);
      // `uses:` of stage "bad" is line 7, its value at column 11.
      expect(r.stderr).toContain(`bad-${file}.yaml:7:11: uses: cannot load stage ./stages/${file}: `);
      expect(r.stderr).toMatch(message);
    });
  }

  it('a missing file', () => {
    writeFileSync(join(dir, 'missing.yaml'), pipeline('./stages/nothing-here.ts', 'bad'));
    const r = run(join(dir, 'missing.yaml'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing\.yaml:7:11: uses: cannot load stage file \.\/stages\/nothing-here\.ts: .* does not exist/);
  });

  it('an unknown short name keeps its message', () => {
    writeFileSync(join(dir, 'typo.yaml'), pipeline('laod', 'bad'));
    const r = run(join(dir, 'typo.yaml'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/typo\.yaml:7:11: unknown stage type "laod"/);
  });
});
