// The one JSON schema a merged pipeline config must satisfy: the pipeline's own keys plus, per
// stage type, its params schema (selected by `uses` through if/then).
import type { Registry } from '../sdk/stage.js';
import { BACKEND_CHOICES } from '../backend/name.js';
import { isObject } from './json.js';
import { MAX_STAGES, NAME_MAX_LENGTH, NAME_PATTERN } from './limits.js';

/** Keys a file may have that are consumed while loading and never reach the schema. */
export const DIRECTIVE_KEYS = ['extends', 'set'];
/** Stage ids appear in dotted set paths and `stage.output` references: no dots. */
export const STAGE_ID_PATTERN = '^[A-Za-z0-9_-]+$';

/** A typo in `with:` must never be silently ignored, so a params schema that lists its
 * properties is closed unless its author explicitly said otherwise. */
export function closedParams(params: Record<string, unknown>): Record<string, unknown> {
  if (isObject(params.properties) && params.additionalProperties === undefined) {
    return { ...params, additionalProperties: false };
  }
  return params;
}

export function buildSchema(registry: Registry): Record<string, unknown> {
  const types = Object.keys(registry);
  const stage = {
    type: 'object',
    required: ['uses'],
    properties: {
      // ajv rejects an empty enum; with no stage types every `uses` is unknown anyway.
      uses: types.length > 0 ? { type: 'string', enum: types } : { type: 'string', not: {} },
      with: { type: 'object', default: {} },
      inputs: { type: 'object', default: {}, additionalProperties: { type: 'string' } },
    },
    additionalProperties: false,
    allOf: types.map((t) => ({
      if: { type: 'object', properties: { uses: { const: t } }, required: ['uses'] },
      // `with` defaults here too: ajv evaluates allOf before the sibling `properties`, and the
      // params' own defaults can only be filled into a `with` that exists.
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a promise
      then: { type: 'object', properties: { with: { default: {}, ...closedParams(registry[t].params) } } },
    })),
  };
  const dottedMap = { type: 'object', propertyNames: { minLength: 1 } };
  return {
    type: 'object',
    required: ['name', 'stages'],
    properties: {
      // The name is a folder of runs/: one safe path segment (limits.ts).
      name: { type: 'string', pattern: NAME_PATTERN, maxLength: NAME_MAX_LENGTH },
      seed: { type: 'integer', default: 1 },
      backend: { type: 'string', enum: [...BACKEND_CHOICES], default: 'auto' },
      stages: {
        type: 'object',
        minProperties: 1,
        maxProperties: MAX_STAGES,
        propertyNames: { pattern: STAGE_ID_PATTERN },
        additionalProperties: stage,
      },
      sweep: { ...dottedMap, additionalProperties: { type: 'array', minItems: 1 } },
      // Each item `{ name?, set: {...} }` (or the older bare map of paths): its shape, names and
      // paths are checked in validate.ts (checkOverridePaths), at their own text.
      variants: { type: 'array', minItems: 1, items: dottedMap },
    },
    additionalProperties: false,
  };
}
