// Overrides: a file's `set:` block, a parent's `set:`, and command-line `--set` arguments.
import { describe, expect, it } from 'vitest';
import { applyOverrides, ConfigErrors, overrideFrom, parseSetArg } from '../../src/config/index.js';
import type { SetEntry } from '../../src/config/index.js';
import { registry } from '../fixtures/registry.js';
import { errorsOf, F, fixture, load } from './helpers.js';

describe('set: blocks', () => {
  it('applies STAGE.PARAM and top-level keys', async () => {
    const { config, origin } = await load('child-keeps-parent-set.yaml');
    expect(config.stages.confident.with.threshold).toBe(0.9); // from the parent's set:
    expect(config.stages.data.with.train).toBe(20); // the child's set: fixes the parent's bad value
    expect(config.name).toBe('with-set');
    expect(origin(['stages', 'data', 'with', 'train'])).toEqual({ file: fixture('child-keeps-parent-set.yaml'), line: 3, col: 15 });
    expect(origin(['stages', 'confident', 'with', 'threshold'])).toEqual({ file: fixture('base/with-set.yaml'), line: 4, col: 24 });
  });

  it('lets a child override what a parent set (parent set applies before the child merges)', async () => {
    const { config } = await load('child-overrides-parent-set.yaml');
    expect(config.stages.confident.with.threshold).toBe(0.6);
    expect(config.stages.data.with.train).toBe(50);
  });

  it('reports paths that match nothing at the entry, unknown params with a suggestion', async () => {
    expect(await errorsOf('set-errors.yaml')).toEqual([
      `${F}set-errors.yaml:3:3: unknown stage "confidnt" in set path "confidnt.threshold"; did you mean "confident"?`,
      `${F}set-errors.yaml:4:3: "sed" is neither a stage id nor a top-level key (name, seed, backend); did you mean "seed"?`,
      `${F}set-errors.yaml:5:3: unknown param "treshold" for stage "confident" (filter-confident); did you mean "threshold"?`,
      // a list value keeps the positions of its items
      `${F}set-errors.yaml:6:27: hidden.1 must be >= 1, got -1`,
    ]);
  });
});

describe('--set', () => {
  it('reads values as YAML', () => {
    const value = (arg: string): unknown => (parseSetArg(arg) as SetEntry).value;
    expect(value('confident.threshold=0.9')).toBe(0.9);
    expect(value('x.flag=true')).toBe(true);
    expect(value('classifier.hidden=[10, 20]')).toEqual([10, 20]);
    expect(value('data.source=mnist')).toBe('mnist');
    expect(value('name="007"')).toBe('007');
    expect(value('name=a=b')).toBe('a=b');
    expect((parseSetArg('seed=3') as SetEntry).path).toBe('seed');
  });

  it('applies last, over every file', async () => {
    const { config, origin } = await load('child-keeps-parent-set.yaml', ['data.train=7', 'confident.threshold=0.25', 'seed=9', 'classifier.hidden=[3]']);
    expect(config.stages.data.with.train).toBe(7);
    expect(config.stages.confident.with.threshold).toBe(0.25);
    expect(config.seed).toBe(9);
    expect(config.stages.classifier.with.hidden).toEqual([3]);
    expect(origin(['stages', 'data', 'with', 'train'])).toEqual({ file: '--set data.train=7' });
    expect(origin(['stages', 'classifier', 'with', 'hidden', 0])).toEqual({ file: '--set classifier.hidden=[3]' });
  });

  it('reports each bad argument as --set ARG', async () => {
    expect(
      await errorsOf('ok.yaml', ['confident.treshold=0.9', 'confidnt.threshold=1', 'seed=abc', 'nokey', 'backend=[', 'classifier.hidden=[5, -1]']),
    ).toEqual([
      '--set confident.treshold=0.9: unknown param "treshold" for stage "confident" (filter-confident); did you mean "threshold"?',
      '--set confidnt.threshold=1: unknown stage "confidnt" in set path "confidnt.threshold"; did you mean "confident"?',
      '--set seed=abc: seed: expected integer, got string "abc"',
      '--set nokey: expected PATH=VALUE, e.g. confident.threshold=0.9',
      '--set backend=[: cannot read the value as YAML: Flow sequence must end with a ]',
      '--set classifier.hidden=[5, -1]: hidden.1 must be >= 1, got -1',
    ]);
  });
});

describe('applyOverrides (for sweep expansion)', () => {
  it('validates a variant and reports a bad value at its position in the sweep', async () => {
    const loaded = await load('sweep.yaml');
    const entry = (i: number): SetEntry => overrideFrom(loaded, 'confident.threshold', ['sweep', 'confident.threshold', i]);
    const good = applyOverrides(loaded, [entry(0)], registry);
    expect(good.config.stages.confident.with.threshold).toBe(0.5);
    expect(loaded.config.stages.confident.with.threshold).toBe(0.8); // the original is untouched
    expect(() => applyOverrides(loaded, [entry(1)], registry)).toThrow(`${F}sweep.yaml:3:30: threshold must be < 1, got 1.5`);
  });

  it('keeps item positions of a list value from variants', async () => {
    const loaded = await load('sweep.yaml');
    const entries = Object.keys(loaded.config.variants![0]).map((key) => overrideFrom(loaded, key, ['variants', 0, key]));
    expect(entries.map((e) => e.value)).toEqual([[10, 0], 4]);
    expect(() => applyOverrides(loaded, entries, registry)).toThrow(
      new ConfigErrors([{ file: fixture('sweep.yaml'), line: 5, col: 31, message: 'hidden.1 must be >= 1, got 0' }]).message,
    );
  });
});
