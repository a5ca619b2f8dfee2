// `pipeline schema`: the JSON Schema editors check pipeline files with (yaml-language-server), and
// the copy of it committed as pipeline.schema.json that every shipped YAML file points to.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { buildEditorSchema, editorSchemaText } from '../../src/config/editor-schema.js';
import { buildGraph } from '../../src/graph/graph.js';
import { instanceIdentity } from '../../src/keys/recipe.js';
import { registry } from '../helpers/builtin.js';
import { pipeline, root, SHIPPED_YAML } from './helpers.js';

const SCHEMA_LINE = '# yaml-language-server: $schema=../pipeline.schema.json';

let dir: string;
let printed: string;
let validate: ValidateFunction;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pipeline-schema-'));
  const r = pipeline(dir, 'schema');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  printed = r.stdout;
  validate = new Ajv({ strict: false }).compile(JSON.parse(printed));
});

const valid = (yamlText: string): boolean => validate(parse(yamlText));
const errorsOf = (yamlText: string): string => (valid(yamlText) ? '' : JSON.stringify(validate.errors));

const PIPELINE = [
  'name: p',
  'stages:',
  '  data: { uses: load }',
  '  classifier: { uses: train-classifier, inputs: { data: data } }',
  '  confident: { uses: filter-confident, inputs: { data: data, model: classifier }, with: { threshold: 0.8 } }',
  '',
].join('\n');

describe('pipeline schema', () => {
  it('prints a draft-07 schema with a title, the one committed as pipeline.schema.json', () => {
    const schema = JSON.parse(printed);
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toMatch(/pipeline/);
    expect(printed).toBe(editorSchemaText(registry));
    expect(readFileSync(join(root, 'pipeline.schema.json'), 'utf8')).toBe(printed);
  });

  it('--output writes the same text to a file', () => {
    const r = pipeline(dir, 'schema', '--output', 'out.schema.json');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(join(dir, 'out.schema.json'), 'utf8')).toBe(printed);
  });

  it('with a bad FILE exits 2 with FILE:LINE:COL problems', () => {
    writeFileSync(join(dir, 'bad.yaml'), ['name: bad', 'stages:', '  data: { uses: lod }', ''].join('\n'));
    const r = pipeline(dir, 'schema', 'bad.yaml');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^bad\.yaml:3:\d+: /m);
  });

  it('with a good FILE prints the schema of its registry', () => {
    const r = pipeline(dir, 'schema', join(root, 'pipelines', 'inverting-mnist.yaml'));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(printed);
  });

  it('types each stage params, with descriptions and defaults, selected by `uses`', () => {
    const schema = buildEditorSchema(registry);
    const stage = (
      schema.properties as Record<string, { additionalProperties: { allOf: { if: unknown; then: { properties: { with: Record<string, unknown> } } }[] } }>
    ).stages.additionalProperties;
    const branch = stage.allOf.find((b) => JSON.stringify(b.if).includes('"train-classifier"'))!;
    const withSchema = branch.then.properties.with as {
      description: string;
      additionalProperties: boolean;
      properties: Record<string, Record<string, unknown>>;
    };
    expect(withSchema.description).toContain(registry['train-classifier'].description);
    expect(withSchema.additionalProperties).toBe(false);
    expect(withSchema.properties.steps).toMatchObject({ type: 'integer', default: 2000, description: 'training steps (mini-batches)' });
  });
});

describe('the schema against pipeline files as written', () => {
  it.each(SHIPPED_YAML)('accepts %s', (file) => {
    expect(errorsOf(readFileSync(join(root, file), 'utf8'))).toBe('');
  });

  it('accepts a whole pipeline, a stage file in `uses`, and a child overriding `with:` without `uses`', () => {
    expect(errorsOf(PIPELINE)).toBe('');
    expect(errorsOf(`${PIPELINE}  mine: { uses: ./my-stage.ts, with: { anything: 1 } }\n`)).toBe('');
    expect(errorsOf(['extends: base.yaml', 'stages:', '  classifier: { with: { steps: 10 } }', ''].join('\n'))).toBe('');
    expect(errorsOf(['extends: base.yaml', 'set: { classifier.steps: 10 }', 'sweep: { confident.threshold: [0.5, 0.9] }', ''].join('\n'))).toBe('');
    expect(errorsOf(['extends: base.yaml', 'variants: [{ classifier.steps: 10 }]', ''].join('\n'))).toBe('');
  });

  it('rejects wrong and misspelt params', () => {
    expect(valid(PIPELINE.replace('threshold: 0.8', 'threshold: 7'))).toBe(false);
    expect(valid(PIPELINE.replace('inputs: { data: data } }', 'inputs: { data: data }, with: { stepz: 1 } }'))).toBe(false);
    expect(valid(PIPELINE.replace('inputs: { data: data } }', 'inputs: { data: data }, with: { steps: 1.5 } }'))).toBe(false);
    // In a child too, when it names the stage type.
    expect(valid(['extends: base.yaml', 'stages:', '  confident: { uses: filter-confident, with: { threshold: 7 } }', ''].join('\n'))).toBe(false);
    expect(valid(['extends: base.yaml', 'stages:', '  classifier: { uses: train-classifier, with: { stepz: 1 } }', ''].join('\n'))).toBe(false);
  });

  it('rejects unknown keys and types, and an incomplete file that extends nothing', () => {
    expect(valid(`${PIPELINE}colour: blue\n`)).toBe(false);
    expect(valid(['extends: base.yaml', 'colour: blue', ''].join('\n'))).toBe(false);
    expect(valid(PIPELINE.replace('{ uses: load }', '{ uses: load, colour: blue }'))).toBe(false);
    expect(valid(PIPELINE.replace('{ uses: load }', '{ uses: lod }'))).toBe(false);
    expect(valid(PIPELINE.replace('{ uses: load }', '{ with: { train: 10 } }'))).toBe(false);
    expect(valid(['name: p', ''].join('\n'))).toBe(false);
    expect(valid(['extends: 7', ''].join('\n'))).toBe(false);
    expect(valid(`${PIPELINE}backend: gpu\n`)).toBe(false);
  });
});

describe('the shipped YAML files', () => {
  it.each(SHIPPED_YAML)('%s points editors at the schema on its first line', (file) => {
    expect(readFileSync(join(root, file), 'utf8').split('\n')[0]).toBe(SCHEMA_LINE);
    // The path is relative to the file's folder.
    expect(readFileSync(join(root, dirname(file), '../pipeline.schema.json'), 'utf8')).toBe(printed);
  });

  it('still load, and the comment line changes no config and no key', async () => {
    // The same files without their first line, in the same layout (extends paths are relative).
    const copy = mkdtempSync(join(tmpdir(), 'pipeline-schema-copy-'));
    for (const file of SHIPPED_YAML) {
      mkdirSync(join(copy, dirname(file)), { recursive: true });
      writeFileSync(join(copy, file), readFileSync(join(root, file), 'utf8').split('\n').slice(1).join('\n'));
    }
    for (const file of SHIPPED_YAML) {
      const withLine = await loadConfig(join(root, file), { registry });
      const without = await loadConfig(join(copy, file), { registry });
      expect(withLine.config).toEqual(without.config);
      expect(identities(withLine.config)).toEqual(identities(without.config));
    }
  });
});

/** Each stage's key stand-in (`instanceIdentity`: everything in the key but upstream content). */
function identities(config: Parameters<typeof buildGraph>[0]): Record<string, string> {
  const graph = buildGraph(config, registry);
  const ids: Record<string, string> = {};
  for (const id of graph.order) {
    const node = graph.nodes.get(id)!;
    ids[id] = instanceIdentity(node, Object.fromEntries(Object.values(node.inputs).map((r) => [r.stage, ids[r.stage]])));
  }
  return ids;
}
