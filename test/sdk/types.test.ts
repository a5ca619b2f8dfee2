// defineStage checks a stage's params schema against its params type at compile time: this file
// is type-checked by `npm run typecheck` (tsc covers test/), where each `@ts-expect-error` must
// meet an error; vitest runs the runtime half.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineStage, type ParamsSchema, type StageContext, type StageDef } from 'mlpipe/sdk';

interface MeanParams {
  axis: number;
  keepDims: boolean;
  label: string;
  sizes: number[];
}

const base = {
  type: 'mean',
  version: 1,
  source: import.meta.url,
  description: 'mean of a tensor',
  inputs: { data: 'tensor' },
  outputs: { mean: 'tensor' },
  run: async () => ({ outputs: { mean: {} } }),
};

const defaulted = {
  type: 'object',
  properties: {
    axis: { type: 'integer', minimum: 0, default: 0, description: 'axis to average over' },
    keepDims: { type: 'boolean', default: false },
    label: { type: 'string', default: 'mean', enum: ['mean', 'avg'] },
    sizes: { type: 'array', items: { type: 'integer', exclusiveMinimum: 0 }, default: [1] },
  },
} satisfies ParamsSchema<MeanParams>;

describe('defineStage types', () => {
  it('accepts a schema with a typed default on every property', () => {
    const def = defineStage<MeanParams>({ ...base, params: defaulted });
    expectTypeOf(def).toEqualTypeOf<StageDef<MeanParams>>();
    expectTypeOf<Parameters<typeof def.run>[0]>().toEqualTypeOf<StageContext<MeanParams>>();
    expect(def.params).toBe(defaulted);
  });

  it("accepts ajv's JSONSchemaType form: no defaults, every property required", () => {
    defineStage<{ n: number; name?: string }>({
      ...base,
      params: {
        type: 'object',
        properties: { n: { type: 'number' }, name: { type: 'string', nullable: true } },
        required: ['n'],
        additionalProperties: false,
      },
    });
  });

  it('rejects a schema that does not match the type', () => {
    defineStage<MeanParams>({
      ...base,
      params: {
        type: 'object',
        properties: {
          // @ts-expect-error axis is a number, not a string
          axis: { type: 'string', default: '0' },
          keepDims: { type: 'boolean', default: false },
          label: { type: 'string', default: 'mean' },
          sizes: { type: 'array', items: { type: 'integer' }, default: [1] },
        },
      },
    });
    defineStage<MeanParams>({
      ...base,
      params: {
        type: 'object',
        // @ts-expect-error sizes is missing from the schema
        properties: {
          axis: { type: 'integer', default: 0 },
          keepDims: { type: 'boolean', default: false },
          label: { type: 'string', default: 'mean' },
        },
      },
    });
    defineStage<MeanParams>({
      ...base,
      params: {
        type: 'object',
        properties: {
          axis: { type: 'integer', default: 0 },
          keepDims: { type: 'boolean', default: false },
          label: { type: 'string', default: 'mean' },
          sizes: { type: 'array', items: { type: 'integer' }, default: [1] },
          // @ts-expect-error extra is not a param of MeanParams
          extra: { type: 'integer', default: 1 },
        },
      },
    });
    defineStage<MeanParams>({
      ...base,
      params: {
        type: 'object',
        properties: {
          axis: { type: 'integer', default: 0 },
          // @ts-expect-error the default of a boolean param must be a boolean
          keepDims: { type: 'boolean', default: 'no' },
          label: { type: 'string', default: 'mean' },
          sizes: { type: 'array', items: { type: 'integer' }, default: [1] },
        },
      },
    });
    defineStage<{ n: number }>({
      ...base,
      // @ts-expect-error no default for n and no `required: ['n']`: n could be missing at run time
      params: { type: 'object', properties: { n: { type: 'number' } } },
    });
    defineStage<{ sizes: number[] }>({
      ...base,
      params: {
        type: 'object',
        properties: {
          // @ts-expect-error the items of a number[] are numbers
          sizes: { type: 'array', items: { type: 'string' }, default: [] },
        },
      },
    });
  });

  it('ParamsSchema is the type of the schema', () => {
    expectTypeOf(defaulted).toExtend<ParamsSchema<MeanParams>>();
    const wrong = { type: 'object', properties: { axis: { type: 'string', default: '' } } } as const;
    expectTypeOf(wrong).not.toExtend<ParamsSchema<{ axis: number }>>();
  });
});
