// The code part of a user stage's key: the transpiled code of every local file it bundles, and
// name@version of each package it imports; a worker refuses a job whose code is not what it loaded.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stageCode } from '../../src/keys/recipe.js';
import { checkJobCode, loadStageModule, moduleRefOf } from '../../src/runner/stage-modules.js';
import { prepare } from '../../src/runner/run.js';
import { HELPER, TS_STAGE, fakeDep, userProject } from './fixture.js';

/** Each project is a fresh folder: modules load once per process. */
async function codeOf(opts: Parameters<typeof userProject>[0] = {}) {
  const dir = userProject(opts);
  const def = await loadStageModule({ file: join(dir, 'stages', 'mean-image.ts'), base: dir });
  return { dir, def: def!, code: stageCode(def!) };
}

const changed = (a: Record<string, string>, b: Record<string, string>) =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();

describe('the code of a stage file', () => {
  it('names its own files relative to the YAML folder, its packages, the sdk and the backend', async () => {
    const { code, def } = await codeOf();
    expect(Object.keys(code)).toEqual(
      expect.arrayContaining(['./stages/mean-image.ts', './stages/helper.ts', 'package:fake-dep@1.0.0', 'src/sdk/index.ts', 'src/backend/index.ts']),
    );
    expect(def.source).toMatch(/^file:.*\/stages\/mean-image\.ts$/);
  });

  it('keeps its key over comment and whitespace edits, changes it when a helper changes', async () => {
    const base = await codeOf();
    const commented = await codeOf({
      helper: `// a new comment\n\n${HELPER.replace('return', '  /* here */  return')}`,
      stage: TS_STAGE.replace('// A user', '/** A user */ // A user'),
    });
    expect(changed(base.code, commented.code)).toEqual([]);
    const edited = await codeOf({ helper: HELPER.replace('1e6', '1e5') });
    expect(changed(base.code, edited.code)).toEqual(['./stages/helper.ts']);
  });

  it('changes its key when a dependency version changes, naming the package', async () => {
    const base = await codeOf();
    const bumped = await codeOf({ version: '1.0.1' });
    expect(changed(base.code, bumped.code)).toEqual(['package:fake-dep@1.0.0', 'package:fake-dep@1.0.1']);
  });

  it('is the same code map through prepare (as the CLI and its workers compute it)', async () => {
    const dir = userProject();
    const p = await prepare({ file: join(dir, 'ts.yaml'), cacheRoot: join(dir, 'cache') });
    const node = [...p.graph.nodes.values()].find((n) => n.stageId === 'mean')!;
    expect(p.loaded.config.stages.mean.uses).toBe('./stages/mean-image.ts');
    expect(moduleRefOf(node.def)).toEqual({ file: join(dir, 'stages', 'mean-image.ts'), base: dir });
    const again = await loadStageModule(moduleRefOf(node.def)!);
    expect(stageCode(again!)).toEqual(stageCode(node.def));
  });
});

describe('a worker with different code refuses the job', () => {
  it('accepts the code it loaded, refuses another, naming the files', async () => {
    const { dir, def, code } = await codeOf();
    expect(() => checkJobCode(def, { stage: 'mean-image', code }, 'mean-image.ts')).not.toThrow();
    // The parent hashed an older helper.
    const older = { ...code, './stages/helper.ts': '0'.repeat(64) };
    expect(() => checkJobCode(def, { stage: 'mean-image', code: older }, 'mean-image.ts')).toThrow(
      /differs from the code the run's key was computed from \(\.\/stages\/helper\.ts\)/,
    );
    expect(() => checkJobCode(def, { stage: 'other', code }, 'mean-image.ts')).toThrow(/stage type "mean-image", the job is for "other"/);
    // A file edited after the parent loaded it: a new process (a worker) loads different code.
    writeFileSync(join(dir, 'stages', 'helper.ts'), readFileSync(join(dir, 'stages', 'helper.ts'), 'utf8').replace('1e6', '1e3'));
    fakeDep(dir, '2.0.0');
    const { code: now } = await codeOf({ helper: HELPER.replace('1e6', '1e3'), version: '2.0.0' });
    expect(() => checkJobCode(def, { stage: 'mean-image', code: now }, 'mean-image.ts')).toThrow(
      /\.\/stages\/helper\.ts, package:fake-dep@1\.0\.0, package:fake-dep@2\.0\.0/,
    );
  });
});
