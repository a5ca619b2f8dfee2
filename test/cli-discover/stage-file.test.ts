// `pipeline stages FILE` and `pipeline schema FILE` with a stage file: the types FILE brings are
// listed, and typed in the schema.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipeline } from './helpers.js';

const STAGE = `import { defineStage, tf } from 'mlpipe/sdk';

export default defineStage({
  type: 'count-train',
  version: 4,
  description: 'counts the training samples',
  params: { type: 'object', properties: { plus: { type: 'integer', minimum: 0, default: 0, description: 'added to the count' } } },
  inputs: { data: 'dataset' },
  outputs: { count: 'scalar' },
  kernels: false,
  async run(ctx) {
    const n = ctx.inputs.data.trainX.shape[0] + ctx.params.plus;
    return { outputs: { count: { n: tf.scalar(n) } } };
  },
});
`;

const PIPELINE = ['name: mine', 'stages:', '  data: { uses: load }', '  count: { uses: ./count.mjs, inputs: { data: data }, with: { plus: 2 } }', ''].join(
  '\n',
);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pipeline-stage-file-'));
  writeFileSync(join(dir, 'count.mjs'), STAGE);
  writeFileSync(join(dir, 'mine.yaml'), PIPELINE);
});

describe('a pipeline with a stage file', () => {
  it('stages FILE lists the built-ins and the file stage', () => {
    const r = pipeline(dir, 'stages', 'mine.yaml', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const stages = JSON.parse(r.stdout).stages as { type: string; uses: string; version: number; params: { name: string; default: unknown }[] }[];
    expect(stages).toHaveLength(8);
    const mine = stages.find((s) => s.type === 'count-train')!;
    expect(mine.version).toBe(4);
    expect(mine.params).toMatchObject([{ name: 'plus', type: 'integer', default: 0, minimum: 0, description: 'added to the count' }]);
    const text = pipeline(dir, 'stages', 'mine.yaml');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^count-train \(version 4, uses: .*count\.mjs\)$/m);
    expect(text.stdout).toMatch(/^ {4}plus +integer +0 +>= 0 +added to the count$/m);
    expect(text.stdout).toMatch(/8 stage types/);
  });

  it('schema FILE types the file stage params; the committed schema accepts the file', () => {
    const r = pipeline(dir, 'schema', 'mine.yaml');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('count-train: counts the training samples');
    const validate = new Ajv({ strict: false }).compile(JSON.parse(r.stdout));
    expect(validate(parse(PIPELINE)), JSON.stringify(validate.errors)).toBe(true);
    // Its params are typed: the registry knows it under the path `uses:` wrote.
    expect(validate(parse(PIPELINE.replace('plus: 2', 'plus: 2, colour: 1')))).toBe(false);
    expect(validate(parse(PIPELINE.replace('plus: 2', 'plus: -1')))).toBe(false);
    expect(validate(parse(PIPELINE.replace('{ uses: load }', '{ uses: load, with: { trian: 1 } }')))).toBe(false);
    // The committed schema (built-ins only) accepts the stage file but cannot know its params.
    const committed = new Ajv({ strict: false }).compile(JSON.parse(pipeline(dir, 'schema').stdout));
    expect(committed(parse(PIPELINE)), JSON.stringify(committed.errors)).toBe(true);
    expect(committed(parse(PIPELINE.replace('plus: 2', 'plus: 2, colour: 1')))).toBe(true);
  });
});
