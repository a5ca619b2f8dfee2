// The `variants:` form `{ name?, set: { PATH: value } }`: ids from names (and the grid point),
// and every problem of an item positioned at its key or value, before anything runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigErrors, formatError, loadConfig } from '../../src/config/index.js';
import { expandSweep } from '../../src/graph/sweep.js';
import { registry } from '../helpers/builtin.js';

const root = join(import.meta.dirname, '..', '..');
const smoke = join(root, 'experiments', 'smoke.yaml');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pipeline-variants-config-'));
});

let n = 0;
/** A sweep file over the smoke pipeline: `body` follows the `extends:` and `name:` lines (3 and 4). */
function write(body: string): string {
  const file = join(dir, `v${n++}.yaml`);
  writeFileSync(file, `# variants\n\nextends: ${smoke}\nname: vs\n${body}`);
  return file;
}

const load = (file: string) => loadConfig(file, { registry });

async function errorsOf(body: string): Promise<string[]> {
  const file = write(body);
  try {
    const loaded = await load(file);
    expandSweep(loaded, registry);
  } catch (err) {
    if (!(err instanceof ConfigErrors)) throw err;
    return err.errors.map((e) => formatError(e).replace(relative(process.cwd(), file), 'F').replace(file, 'F'));
  }
  throw new Error('loaded without errors');
}

describe('variants: ids', () => {
  it('names a variant by its name, an unnamed one v1, v2, ... by position', async () => {
    const loaded = await load(
      write(
        [
          'variants:',
          '  - { name: wide, set: { classifier.hidden: [40, 40] } }',
          '  - set:',
          '      classifier.hidden: [20]',
          '      inverse.steps: 5',
          '',
        ].join('\n'),
      ),
    );
    const variants = expandSweep(loaded, registry);
    expect(variants.map((v) => v.id)).toEqual(['wide', 'v2']);
    expect(variants.map((v) => v.values)).toEqual([{ 'classifier.hidden': [40, 40] }, { 'classifier.hidden': [20], 'inverse.steps': 5 }]);
    expect(variants[0].config.stages.classifier.with.hidden).toEqual([40, 40]);
    expect(variants[1].config.stages.inverse.with.steps).toBe(5);
    // The sweep keys themselves never reach a variant's config.
    expect(variants[0].config.variants).toBeUndefined();
  });

  it('combines a name with the grid point: wide-1, wide-2; unnamed ones stay v1, v2, ...', async () => {
    const loaded = await load(
      write(
        [
          'sweep:',
          '  inverse.steps: [5, 10]',
          'variants:',
          '  - { name: wide, set: { classifier.hidden: [40, 40] } }',
          '  - { set: { classifier.hidden: [20] } }',
          '',
        ].join('\n'),
      ),
    );
    expect(expandSweep(loaded, registry).map((v) => v.id)).toEqual(['wide-1', 'wide-2', 'v3', 'v4']);
    expect(expandSweep(loaded, registry, ['confident.threshold=0.4,0.6']).map((v) => v.id)).toEqual([
      'wide-1',
      'wide-2',
      'wide-3',
      'wide-4',
      'v5',
      'v6',
      'v7',
      'v8',
    ]);
  });

  it('keeps two named variants that set the same thing, and allows an empty set (the base)', async () => {
    const loaded = await load(
      write(['variants:', '  - { name: base, set: {} }', '  - { name: same, set: { seed: 1 } }', '  - { set: { seed: 1 } }', ''].join('\n')),
    );
    // The unnamed third is the base config again: one variant, as before; the named ones stay.
    expect(expandSweep(loaded, registry).map((v) => v.id)).toEqual(['base', 'same', 'v3']);
  });

  it('still reads the older bare form, a map of dotted paths', async () => {
    const loaded = await load(write(['variants:', '  - { classifier.hidden: [40] }', '  - { name: x, set: { classifier.hidden: [20] } }', ''].join('\n')));
    expect(expandSweep(loaded, registry).map((v) => [v.id, v.values])).toEqual([
      ['v1', { 'classifier.hidden': [40] }],
      ['x', { 'classifier.hidden': [20] }],
    ]);
  });
});

describe('variants: positioned errors', () => {
  it('rejects unsafe names, at the name', async () => {
    expect(
      await errorsOf(
        [
          'variants:',
          '  - { name: ../up, set: { seed: 2 } }',
          '  - { name: "a b", set: { seed: 3 } }',
          '  - { name: 7, set: { seed: 4 } }',
          '  - { name: v3, set: { seed: 5 } }',
          '  - { name: .hidden, set: { seed: 6 } }',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      'F:6:13: variants[0].name: "../up" is not a safe folder name: use letters, digits, ".", "_" and "-", starting with a letter, digit or "_" (at most 100 characters)',
      'F:7:13: variants[1].name: "a b" is not a safe folder name: use letters, digits, ".", "_" and "-", starting with a letter, digit or "_" (at most 100 characters)',
      'F:8:13: variants[2].name: expected a string, got number',
      'F:9:13: variants[3].name: "v3" is reserved (v1, v2, ... are the ids of unnamed variants; sweep.json and sweep.csv are files of the sweep folder)',
      'F:10:13: variants[4].name: ".hidden" is not a safe folder name: use letters, digits, ".", "_" and "-", starting with a letter, digit or "_" (at most 100 characters)',
    ]);
  });

  it('rejects a duplicate name (ignoring case), at the second', async () => {
    expect(await errorsOf(['variants:', '  - { name: wide, set: { seed: 2 } }', '  - { name: Wide, set: { seed: 3 } }', ''].join('\n'))).toEqual([
      'F:7:13: variants[1].name: "Wide" is already the name of variants[0]; names must be unique',
    ]);
  });

  it('keeps grid ids unique: with a grid every name gets its point, so a and a-1 cannot clash', async () => {
    const loaded = await load(write(['sweep:', '  seed: [2, 3]', 'variants:', '  - { name: a, set: {} }', '  - { name: a-1, set: {} }', ''].join('\n')));
    expect(expandSweep(loaded, registry).map((v) => v.id)).toEqual(['a-1', 'a-2', 'a-1-1', 'a-1-2']);
  });

  it('requires set:, and suggests it for paths written beside name:', async () => {
    expect(await errorsOf(['variants:', '  - { name: wide }', '  - { name: deep, classifier.hidden: [40] }', '  - { set: [1] }', ''].join('\n'))).toEqual([
      'F:6:5: variants[0]: missing required key "set" (a map of STAGE.PARAM -> value)',
      'F:7:5: variants[1]: missing required key "set" (a map of STAGE.PARAM -> value)',
      'F:7:19: variants[1]: unknown key "classifier.hidden"; a variant has `set:` and an optional `name:`; put the paths a variant sets under `set:`, e.g. { set: { classifier.hidden: ... } }',
      'F:8:12: variants[2].set: expected a map of STAGE.PARAM -> value, got array',
    ]);
  });

  it('positions an unknown param, a bad path and a bad value at their text inside set:', async () => {
    expect(
      await errorsOf(
        ['variants:', '  - name: wide', '    set:', '      classifier.hiden: [40]', '      clasifier.steps: 3', '  - set: { confident.threshold: 7 }', ''].join(
          '\n',
        ),
      ),
    ).toEqual([
      'F:8:7: unknown param "hiden" for stage "classifier" (train-classifier); did you mean "hidden"?',
      'F:9:7: unknown stage "clasifier" in set path "clasifier.steps"; did you mean "classifier"?',
    ]);
    // Values are checked per variant, once the paths are good: at the value.
    expect(
      await errorsOf(['variants:', '  - name: ok', '    set: { confident.threshold: 0.5 }', '  - set: { confident.threshold: 7 }', ''].join('\n')),
    ).toEqual(['F:8:33: threshold must be < 1, got 7']);
  });
});

describe('variants: from the command line', () => {
  it('pipeline plan prints the positioned error and exits 2', () => {
    const file = write(
      ['variants:', '  - { name: wide, set: { classifier.hidden: [40] } }', '  - { name: wide, set: { classifier.hidden: [20] } }', ''].join('\n'),
    );
    const r = spawnSync('node', [join(root, 'dist', 'src', 'cli', 'main.js'), 'plan', file, '--cache', join(dir, 'cache')], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(':7:13: variants[1].name: "wide" is already the name of variants[0]; names must be unique');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
