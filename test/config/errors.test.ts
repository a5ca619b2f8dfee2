// Every kind of problem is reported at the exact FILE:LINE:COL of the node that causes it.
import { describe, expect, it } from 'vitest';
import { formatError } from '../../src/config/index.js';
import { errorsOf, F } from './helpers.js';

describe('schema errors', () => {
  it('reports all problems of a file at once, each at its node', async () => {
    expect(await errorsOf('errors.yaml')).toEqual([
      `${F}errors.yaml:2:1: unknown top-level key "sed"; allowed: name, seed, backend, stages, sweep, variants, extends, set; did you mean "seed"?`,
      `${F}errors.yaml:3:10: backend must be one of auto, tensorflow, wasm, cpu, got "gpu"; did you mean "cpu"?`,
      `${F}errors.yaml:5:38: train: expected integer, got string "abc"`,
      `${F}errors.yaml:5:43: unknown param "sorce" for stage "data" (load); did you mean "source"?`,
      `${F}errors.yaml:6:23: unknown stage type "trian-classifier"; known: src, double, load, train-classifier, filter-confident, split; did you mean "train-classifier"?`,
      `${F}errors.yaml:10:24: threshold must be < 1, got 1.5`,
      // `with:` is absent, so the missing param is shown at the stage's map.
      `${F}errors.yaml:11:10: missing required param "fraction" for stage "parts" (split)`,
    ]);
  });

  it("points at the file that wrote the value: the extended file, or the child's set: entry", async () => {
    // The requested file's problems come first, then those of the files it extends.
    expect(await errorsOf('child.yaml')).toEqual([
      `${F}child.yaml:7:24: threshold must be < 1, got 1.5`,
      `${F}base/pipeline.yaml:8:20: steps must be >= 1, got 0`,
    ]);
  });

  it("reports a bad value in a parent's set: block in the parent", async () => {
    expect(await errorsOf('base/with-set.yaml')).toEqual([`${F}base/with-set.yaml:5:15: train must be >= 1, got 0`]);
  });

  it('checks stage ids, stage keys and stage shapes', async () => {
    expect(await errorsOf('bad-ids.yaml')).toEqual([
      `${F}bad-ids.yaml:3:3: invalid stage id "data.v2": use letters, digits, "_" and "-" only`,
      `${F}bad-ids.yaml:4:12: missing required key "uses" in stage "numbers"`,
      `${F}bad-ids.yaml:4:14: unknown key "use" in stage "numbers"; allowed: uses, with, inputs; did you mean "uses"?`,
      `${F}bad-ids.yaml:5:10: stage "other": expected object, got number 3`,
    ]);
  });

  it('reports missing required top-level keys of an empty file at its start', async () => {
    expect(await errorsOf('empty.yaml')).toEqual([`${F}empty.yaml:1:1: missing required key "name"`, `${F}empty.yaml:1:1: missing required key "stages"`]);
  });

  it('rejects a file that is not a map', async () => {
    expect(await errorsOf('list.yaml')).toEqual([`${F}list.yaml:1:1: a pipeline file must be a map of keys (name, stages, ...)`]);
  });

  it('shape-checks sweep and variants, including their paths', async () => {
    expect(await errorsOf('sweep-errors.yaml')).toEqual([
      `${F}sweep-errors.yaml:4:21: sweep "classifier.steps": expected array, got number 3`,
      `${F}sweep-errors.yaml:5:3: unknown stage "clasifier" in set path "clasifier.steps"; did you mean "classifier"?`,
      `${F}sweep-errors.yaml:6:3: unknown param "treshold" for stage "confident" (filter-confident); did you mean "threshold"?`,
      `${F}sweep-errors.yaml:7:15: sweep "data.train" must NOT have fewer than 1 items`,
      `${F}sweep-errors.yaml:10:5: variants[1]: expected object, got number 5`,
    ]);
  });
});

describe('file errors', () => {
  it('reports every YAML syntax error and nothing else', async () => {
    expect(await errorsOf('syntax.yaml')).toEqual([
      `${F}syntax.yaml:4:3: YAML: Flow map in block collection must be sufficiently indented and end with a }`,
      `${F}syntax.yaml:5:1: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
      `${F}syntax.yaml:6:1: YAML: Map keys must be unique`,
    ]);
  });

  it('reports an unreadable top-level file without a position', async () => {
    expect(await errorsOf('does-not-exist.yaml')).toEqual([`${F}does-not-exist.yaml: cannot read`]);
  });

  it('reports a missing extends file at the extends value', async () => {
    expect(await errorsOf('missing-extends.yaml')).toEqual([`${F}missing-extends.yaml:2:10: extends: cannot read ../nope.yaml`]);
  });

  it('reports cyclic extends at the value that closes the cycle', async () => {
    expect(await errorsOf('cycle-a.yaml')).toEqual([`${F}cycle-b.yaml:2:10: extends: cycle cycle-a.yaml -> cycle-b.yaml -> cycle-a.yaml`]);
  });
});

describe('formatError', () => {
  it('prints files outside the working directory as given, and --set without a position', () => {
    expect(formatError({ file: '/elsewhere/p.yaml', line: 3, col: 7, message: 'bad' })).toBe('/elsewhere/p.yaml:3:7: bad');
    expect(formatError({ file: `${process.cwd()}/x/p.yaml`, line: 1, col: 2, message: 'bad' })).toBe('x/p.yaml:1:2: bad');
    expect(formatError({ file: '--set a.b=1', message: 'bad' })).toBe('--set a.b=1: bad');
  });
});
