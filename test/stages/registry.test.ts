// The registry as the config loader and runner see it: metadata, params schemas under ajv strict
// mode, the pipeline YAML's wiring, what a user's file (extends + set: + --set) resolves to through
// the config loader, and the smoke experiment, loaded as the CLI loads it, run end to end.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Ajv } from 'ajv';
import * as tf from '@tensorflow/tfjs-core';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { buildGraph } from '../../src/graph/graph.js';
import type { Artifact } from '../../src/sdk/stage.js';
import { Rng } from '../../src/sdk/rng.js';
import { registry } from '../helpers/builtin.js';
import { disposeAll, paramsOf, readFiles, ready } from './_ctx.js';

const TYPES = ['load', 'train-classifier', 'filter-confident', 'train-inverse', 'reconstruct', 'generate', 'features'];
const KINDS = ['dataset', 'classifier', 'indices', 'inverse', 'images'];
const pipeline = parse(fs.readFileSync('pipelines/inverting-mnist.yaml', 'utf8'));

beforeAll(ready);

const tmp = fs.mkdtempSync(path.join(tmpdir(), 'registry-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('registry', () => {
  it('has the seven stage types, each keyed by its own type', () => {
    expect(Object.keys(registry).sort()).toEqual([...TYPES].sort());
    for (const [k, s] of Object.entries(registry)) {
      expect(s.type).toBe(k);
      expect(s.version).toBe(1);
      expect(s.source).toMatch(/^file:.*\/stages\/[a-z-]+\.ts$/);
      expect(s.description.length).toBeGreaterThan(10);
      for (const kind of [...Object.values(s.inputs), ...Object.values(s.outputs)]) expect(KINDS).toContain(kind);
    }
  });

  it('params schemas compile in ajv strict mode, are closed, and default every property', () => {
    for (const s of Object.values(registry)) {
      const schema = s.params as { type: string; additionalProperties: boolean; properties: Record<string, Record<string, unknown>> };
      expect(schema.type).toBe('object');
      expect(schema.additionalProperties).toBe(false);
      const validate = new Ajv({ strict: true, useDefaults: true }).compile(schema);
      const filled: Record<string, unknown> = {};
      expect(validate(filled), `${s.type}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(Object.keys(filled).sort()).toEqual(Object.keys(schema.properties).sort());
      for (const [name, p] of Object.entries(schema.properties)) expect(p.description, `${s.type}.${name}`).toBeTruthy();
      expect(validate({ noSuchParam: 1 })).toBe(false);
    }
  });

  it('rejects out-of-range params', () => {
    const check = (type: string, params: object) => new Ajv({ strict: true, useDefaults: true }).compile(registry[type].params)(params);
    expect(check('filter-confident', { threshold: 1 })).toBe(false);
    expect(check('filter-confident', { threshold: 0 })).toBe(false);
    expect(check('train-classifier', { hidden: [] })).toBe(false);
    expect(check('train-classifier', { hidden: Array(17).fill(8) })).toBe(false);
    expect(check('train-classifier', { hidden: [100, 0] })).toBe(false);
    expect(check('train-classifier', { hidden: [4097] })).toBe(false);
    expect(check('train-classifier', { hidden: [100] })).toBe(true);
    expect(check('train-classifier', { hidden: Array(16).fill(8) })).toBe(true);
    expect(check('train-classifier', { steps: 0 })).toBe(false);
    expect(check('generate', { classes: [10] })).toBe(false);
  });

  it('the pipeline wires every declared input of every stage, from a stage of the right kind', () => {
    const stages = pipeline.stages as Record<string, { uses: string; inputs?: Record<string, string> }>;
    expect(Object.keys(stages)).toEqual(['data', 'classifier', 'confident', 'inverse', 'reconstruct', 'generate', 'features']);
    for (const [id, st] of Object.entries(stages)) {
      const def = registry[st.uses];
      expect(Object.keys(st.inputs ?? {}).sort(), id).toEqual(Object.keys(def.inputs).sort());
      for (const [name, from] of Object.entries(st.inputs ?? {})) {
        expect(Object.values(registry[stages[from].uses].outputs)[0], `${id}.${name}`).toBe(def.inputs[name]);
      }
    }
  });

  it('a user file extending the pipeline resolves through the config loader: set: over with:, --set over set:, defaults for the rest', async () => {
    const file = path.join(tmp, 'mine.yaml');
    fs.writeFileSync(
      file,
      [
        `extends: ${JSON.stringify(path.resolve('pipelines/inverting-mnist.yaml'))}`,
        'name: mine',
        'set:',
        '  data.train: 300',
        '  classifier.hidden: [20, 10]',
        '  confident.threshold: 0.6',
        '  inverse.steps: 5',
        '',
      ].join('\n'),
    );
    const { config, files, origin } = await loadConfig(file, { registry, set: ['inverse.steps=7', 'seed=4'] });
    expect(files).toEqual([file, path.resolve('pipelines/inverting-mnist.yaml')]);
    expect(config.name).toBe('mine');
    expect(config.seed).toBe(4); // --set over the pipeline's seed: 1
    // the pipeline's stages and wiring, unchanged
    expect(Object.keys(config.stages)).toEqual(Object.keys(pipeline.stages));
    for (const [id, st] of Object.entries(config.stages)) {
      expect(st.uses, id).toBe(pipeline.stages[id].uses);
      expect(st.inputs, id).toEqual(pipeline.stages[id].inputs ?? {});
    }
    const w = (id: string) => config.stages[id].with;
    // set: wins over the pipeline's defaults and over its `with:` (confident: { threshold: 0.8 })
    expect(w('data')).toEqual(paramsOf(registry.load, { train: 300 }));
    expect(w('classifier')).toEqual(paramsOf(registry['train-classifier'], { hidden: [20, 10] }));
    expect(w('confident')).toEqual(paramsOf(registry['filter-confident'], { threshold: 0.6 }));
    // --set wins over set:
    expect(w('inverse')).toEqual(paramsOf(registry['train-inverse'], { steps: 7 }));
    // untouched stages: every param at its schema default
    for (const id of ['reconstruct', 'generate', 'features']) expect(w(id), id).toEqual(paramsOf(registry[config.stages[id].uses]));
    expect(origin(['stages', 'data', 'with', 'train'])).toEqual({ file, line: 4, col: 15 });
    expect(origin(['stages', 'inverse', 'with', 'steps'])).toEqual({ file: '--set inverse.steps=7' });
  });

  it('runs the smoke experiment, as the config loader resolves it, end to end in seconds', async () => {
    // experiments/smoke.yaml extends the pipeline and shrinks it with a set: block; what runs is
    // what loadConfig makes of it (defaults applied), wired as the runner wires it.
    const { config } = await loadConfig('experiments/smoke.yaml', { registry });
    expect(config.name).toBe('smoke');
    expect(config.stages.data.with).toEqual(paramsOf(registry.load, { train: 600, test: 200 }));
    expect(config.stages.confident.with.threshold).toBe(0.5); // set: over the pipeline's with:
    const graph = buildGraph(config, registry);
    const before = tf.memory().numTensors;
    const outputs: Record<string, Record<string, Artifact>> = {};
    const metrics: Record<string, Record<string, unknown>> = {};
    for (const id of graph.order) {
      const { def, params, inputs: refs, seed } = graph.nodes.get(id)!;
      const inputs = Object.fromEntries(Object.entries(refs).map(([k, ref]) => [k, outputs[ref.stage][ref.output]]));
      const res = await def.run({ params, inputs, rng: new Rng(seed), files: readFiles(def, params), progress: () => {} });
      outputs[id] = res.outputs;
      metrics[id] = res.metrics ?? {};
    }
    const out = (id: string) => Object.values(outputs[id])[0];
    expect(out('data').trainX.shape).toEqual([600, 784]);
    expect(out('data').testX.shape).toEqual([200, 784]);
    expect(metrics.classifier.accuracy).toBeGreaterThan(0.5);
    expect(metrics.confident.kept).toBeGreaterThan(30);
    expect(out('reconstruct').reconstructions.shape).toEqual([16, 784]);
    expect(out('generate').images.shape).toEqual([9, 784]);
    expect(out('features').images.shape).toEqual([100, 784]);
    for (const o of Object.values(outputs)) disposeAll(o);
    expect(tf.memory().numTensors).toBe(before);
  });
});
