// `pipeline stages [FILE]`: every stage type with its inputs, outputs and params, as text and JSON.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatStages, rangeText, stagesInfo } from '../../src/cli/stages-command.js';
import { registry } from '../helpers/builtin.js';
import { pipeline, root } from './helpers.js';

const BUILTIN = ['load', 'train-classifier', 'filter-confident', 'train-inverse', 'reconstruct', 'generate', 'features'];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pipeline-stages-'));
});

/** The text block of one stage type. */
const block = (text: string, type: string): string => text.split('\n\n').find((b) => b.startsWith(`${type} (version `)) ?? '';

describe('pipeline stages', () => {
  it('lists the seven built-in types with description, inputs, outputs and params with defaults and ranges', () => {
    const r = pipeline(dir, 'stages');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const type of BUILTIN) {
      const b = block(r.stdout, type);
      expect(b, type).not.toBe('');
      expect(b).toContain(registry[type].description);
      for (const name of Object.keys(registry[type].params.properties as object)) expect(b).toMatch(new RegExp(`^ {4}${name} `, 'm'));
    }
    const clf = block(r.stdout, 'train-classifier');
    expect(clf).toMatch(/^ {2}inputs: {2}data: dataset$/m);
    expect(clf).toMatch(/^ {2}outputs: model: classifier$/m);
    expect(clf).toMatch(/^ {4}name +type +default +range +description$/m);
    expect(clf).toMatch(/^ {4}steps +integer +2000 +\[1, 1000000\] +training steps \(mini-batches\)$/m);
    expect(clf).toMatch(/^ {4}learningRate +number +0\.01 +\(0, 100\] +Adagrad learning rate$/m);
    expect(clf).toMatch(/^ {4}hidden +integer\[\] +\[100, 100\] +\[1, 4096\], 1-16 items /m);
    expect(block(r.stdout, 'filter-confident')).toMatch(/^ {4}threshold +number +0\.8 +\(0, 1\) /m);
    expect(block(r.stdout, 'load')).toMatch(/^ {4}path +string +"" /m);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^7 stage types/);
  });

  it('--json prints only the documented shape', () => {
    const r = pipeline(dir, 'stages', '--json');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['stages']);
    expect(out.stages.map((s: { type: string }) => s.type)).toEqual(BUILTIN);
    for (const s of out.stages) {
      expect(Object.keys(s)).toEqual(['type', 'uses', 'version', 'description', 'inputs', 'outputs', 'params']);
      expect(typeof s.version).toBe('number');
      expect(typeof s.description).toBe('string');
      for (const p of s.params) {
        expect(Object.keys(p).sort()).toEqual(
          [
            'name',
            'type',
            'default',
            'minimum',
            'maximum',
            'exclusiveMinimum',
            'exclusiveMaximum',
            'enum',
            'items',
            'minItems',
            'maxItems',
            'required',
            'description',
          ].sort(),
        );
      }
    }
    const clf = out.stages.find((s: { type: string }) => s.type === 'train-classifier');
    expect(clf.inputs).toEqual({ data: 'dataset' });
    expect(clf.outputs).toEqual({ model: 'classifier' });
    expect(clf.params.find((p: { name: string }) => p.name === 'steps')).toEqual({
      name: 'steps',
      type: 'integer',
      minimum: 1,
      maximum: 1000000,
      exclusiveMinimum: null,
      exclusiveMaximum: null,
      enum: null,
      default: 2000,
      items: null,
      minItems: null,
      maxItems: null,
      required: false,
      description: 'training steps (mini-batches)',
    });
    const hidden = clf.params.find((p: { name: string }) => p.name === 'hidden');
    expect(hidden).toMatchObject({ type: 'array', default: [100, 100], minItems: 1, items: { type: 'integer', minimum: 1, maximum: 4096 } });
    const lr = clf.params.find((p: { name: string }) => p.name === 'learningRate');
    expect(lr).toMatchObject({ exclusiveMinimum: 0, maximum: 100, minimum: null });
  });

  it('with FILE lists the registry the file loads with', () => {
    const r = pipeline(dir, 'stages', join(root, 'experiments', 'smoke.yaml'), '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).stages.map((s: { type: string }) => s.type)).toEqual(BUILTIN);
  });

  it('exits 2 with FILE:LINE:COL problems when FILE is bad, and nothing on stdout', () => {
    writeFileSync(join(dir, 'bad.yaml'), ['name: bad', 'stages:', '  clf: { uses: train-classifier, with: { stepz: 1 } }', ''].join('\n'));
    for (const args of [['bad.yaml'], ['bad.yaml', '--json']]) {
      const r = pipeline(dir, 'stages', ...args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^bad\.yaml:3:\d+: .*stepz/m);
      expect(r.stderr).toMatch(/problem.* found/);
    }
    const missing = pipeline(dir, 'stages', 'missing.yaml');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/missing\.yaml/);
  });
});

describe('formatting', () => {
  it('writes ranges in interval notation', () => {
    const r = { type: 'number', minimum: null, maximum: null, exclusiveMinimum: null, exclusiveMaximum: null, enum: null };
    expect(rangeText({ ...r, minimum: 1, maximum: 5 })).toBe('[1, 5]');
    expect(rangeText({ ...r, exclusiveMinimum: 0, exclusiveMaximum: 1 })).toBe('(0, 1)');
    expect(rangeText({ ...r, minimum: 0 })).toBe('>= 0');
    expect(rangeText({ ...r, exclusiveMaximum: 3 })).toBe('< 3');
    expect(rangeText({ ...r, enum: ['a', 'b'] })).toBe('one of "a", "b"');
    expect(rangeText(r)).toBe('');
  });

  it('shows a stage without params or inputs', () => {
    const text = formatStages(
      stagesInfo({
        empty: {
          type: 'empty',
          version: 3,
          source: '',
          description: 'nothing',
          params: {},
          inputs: {},
          outputs: { x: 'thing' },
          run: async () => ({ outputs: {} }),
        },
      }),
    );
    expect(text).toContain('empty (version 3)\n  nothing\n  inputs:  -\n  outputs: x: thing\n  params:  none');
    expect(text).toMatch(/1 stage type;/);
  });
});
