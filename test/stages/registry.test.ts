// The registry as the config loader and runner see it: metadata, params schemas under ajv strict
// mode, the pipeline YAML's wiring, and the smoke settings run end to end.
import * as fs from 'node:fs';
import { Ajv } from 'ajv';
import * as tf from '@tensorflow/tfjs-core';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Artifact } from '../../src/sdk/stage.js';
import { Rng } from '../../src/sdk/rng.js';
import { registry } from '../helpers/builtin.js';
import { disposeAll, paramsOf, readFiles, ready } from './_ctx.js';

const TYPES = ['load', 'train-classifier', 'filter-confident', 'train-inverse', 'reconstruct', 'generate', 'features'];
const KINDS = ['dataset', 'classifier', 'indices', 'inverse', 'images'];
const pipeline = parse(fs.readFileSync('pipelines/inverting-mnist.yaml', 'utf8'));

beforeAll(ready);

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
    expect(check('train-classifier', { hidden: [100] })).toBe(false);
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

  it('runs the smoke experiment\'s settings end to end in seconds', async () => {
    const set = parse(fs.readFileSync('experiments/smoke.yaml', 'utf8')).set as Record<string, unknown>;
    const before = tf.memory().numTensors;
    const outputs: Record<string, Artifact> = {};
    const metrics: Record<string, Record<string, unknown>> = {};
    for (const [id, st] of Object.entries(pipeline.stages as Record<string, { uses: string; with?: object; inputs?: Record<string, string> }>)) {
      const def = registry[st.uses];
      const over = Object.fromEntries(Object.entries(set).filter(([k]) => k.startsWith(id + '.')).map(([k, v]) => [k.slice(id.length + 1), v]));
      const params = paramsOf(def, { ...st.with, ...over });
      const inputs = Object.fromEntries(Object.entries(st.inputs ?? {}).map(([k, from]) => [k, outputs[from]]));
      const res = await def.run({ params, inputs, rng: new Rng(pipeline.seed), files: readFiles(def, params), progress: () => {} });
      outputs[id] = Object.values(res.outputs)[0];
      metrics[id] = res.metrics ?? {};
    }
    expect(outputs.data.trainX.shape).toEqual([600, 784]);
    expect(metrics.classifier.accuracy).toBeGreaterThan(0.5);
    expect(metrics.confident.kept).toBeGreaterThan(30);
    expect(outputs.reconstruct.reconstructions.shape).toEqual([16, 784]);
    expect(outputs.generate.images.shape).toEqual([9, 784]);
    expect(outputs.features.images.shape).toEqual([100, 784]);
    disposeAll(outputs);
    expect(tf.memory().numTensors).toBe(before);
  });
});
