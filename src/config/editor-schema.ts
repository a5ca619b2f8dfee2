// The JSON Schema (draft-07) an editor checks a pipeline file against as written, before
// merging (yaml-language-server: `# yaml-language-server: $schema=../pipeline.schema.json`).
// Built from buildSchema(registry), the schema a merged config must satisfy, and widened only
// where a file as written legitimately differs from a merged config:
// - `extends:` (a file path) and `set:` (dotted path -> value) are allowed;
// - a file that extends another need not have `name` or `stages`, and its stage entries may
//   omit `uses` (they override a parent's stage, e.g. only its `with:`);
// - `uses:` may name a stage file by path (`./my-stage.ts`), whose params only a load can know.
//   A stage package (`uses: some-package`) is known only to a schema made from a registry that
//   has it (`pipeline schema FILE`); otherwise a bare unknown name is flagged, as a typo would be.
// Everything else stays as strict as the merged schema: unknown keys, and a known stage's wrong
// or misspelt params (selected by `uses` through if/then), are errors in the editor too.
import type { Registry } from '../sdk/stage.js';
import { isObject } from './json.js';
import { buildSchema } from './schema.js';

export const EDITOR_SCHEMA_DRAFT = 'http://json-schema.org/draft-07/schema#';
export const EDITOR_SCHEMA_TITLE = 'mlpipe pipeline file';
/** `uses:` values that name a stage file rather than a registered type. */
export const STAGE_FILE_PATTERN = '^(\\.{1,2}/|/)';

type Schema = Record<string, unknown>;

const DESCRIPTIONS: Record<string, string> = {
  name: 'pipeline name: the folder of its runs (runs/NAME/...) and the name recorded in cache entries',
  seed: 'seed of every stage random number generator (default 1)',
  backend: 'compute backend: auto (tfjs-node if it loads, else wasm), tensorflow, wasm or cpu',
  stages: 'stage id -> stage; ids are letters, digits, _ and -',
  sweep: 'STAGE.PARAM -> list of values: one variant per combination (a grid)',
  variants: 'list of variants, each a map of STAGE.PARAM -> value',
  extends: 'a pipeline file (relative to this one) this file is layered over',
  set: 'STAGE.PARAM (or any dotted path) -> value, applied after merging over `extends`',
};

const STAGE_DESCRIPTIONS: Record<string, string> = {
  uses: 'the stage type (`pipeline stages` lists them) or a stage file (./my-stage.ts); `pipeline schema FILE` also knows the stage files and packages FILE uses',
  with: 'the stage params (defaults fill in what is not written)',
  inputs: 'input name -> upstream stage id (or STAGE.OUTPUT)',
};

function described(props: Schema, text: Record<string, string>): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(props)) out[k] = text[k] && isObject(v) ? { description: text[k], ...v } : v;
  return out;
}

export function buildEditorSchema(registry: Registry): Schema {
  const merged = buildSchema(registry);
  const props = merged.properties as Record<string, Schema>;
  const stages = props.stages;
  const { required: _required, ...stage } = stages.additionalProperties as Schema;
  const types = Object.keys(registry);
  const stageProps = stage.properties as Schema;
  const uses = {
    type: 'string',
    anyOf: [
      ...types.map((t) => ({ const: t, description: registry[t].description })),
      { pattern: STAGE_FILE_PATTERN, description: 'a stage file, relative to this file' },
    ],
  };
  // Each known type's description on its `with:`, so an editor shows it when hovering there.
  const allOf = (stage.allOf as Schema[]).map((branch, i) => {
    const then = branch.then as Schema;
    const withSchema = (then.properties as Schema).with as Schema;
    const def = registry[types[i]];
    return {
      ...branch,
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a promise
      then: { ...then, properties: { with: { description: `${def.type}: ${def.description}`, ...withSchema } } },
    };
  });
  const editorStage = { ...stage, properties: described({ ...stageProps, uses }, STAGE_DESCRIPTIONS), allOf };
  return {
    $schema: EDITOR_SCHEMA_DRAFT,
    title: EDITOR_SCHEMA_TITLE,
    description: 'A pipeline file of mlpipe (`pipeline run FILE`): stages, or `extends:` another file and `set:` values over it.',
    type: 'object',
    properties: described(
      {
        extends: { type: 'string', minLength: 1 },
        ...props,
        stages: { ...stages, additionalProperties: editorStage },
        set: { type: ['object', 'null'], propertyNames: { minLength: 1 } },
      },
      DESCRIPTIONS,
    ),
    additionalProperties: false,
    // A file that extends nothing is a whole pipeline: what the merged schema demands of it.
    allOf: [
      {
        if: { not: { required: ['extends'] } },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a promise
        then: { required: merged.required, properties: { stages: { additionalProperties: { required: ['uses'] } } } },
      },
    ],
  };
}

/** The schema as text, laid out as biome formats JSON (lists of plain values on one line when
 * they fit), so the committed pipeline.schema.json passes `biome check` as generated. */
export function editorSchemaText(registry: Registry): string {
  return `${jsonText(buildEditorSchema(registry), '')}\n`;
}

const LINE_WIDTH = 160;

function jsonText(v: unknown, indent: string, prefix = ''): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every((x) => x === null || typeof x !== 'object')) {
      const inline = `[${v.map((x) => jsonText(x, indent)).join(', ')}]`;
      // The line: indent, `"key": `, the list and a possible trailing comma.
      if (indent.length + prefix.length + inline.length + 1 <= LINE_WIDTH) return inline;
    }
    const inner = `${indent}  `;
    return `[\n${v.map((x) => inner + jsonText(x, inner)).join(',\n')}\n${indent}]`;
  }
  if (isObject(v)) {
    const entries = Object.entries(v);
    if (entries.length === 0) return '{}';
    const inner = `${indent}  `;
    const lines = entries.map(([k, x]) => {
      const key = `${JSON.stringify(k)}: `;
      return inner + key + jsonText(x, inner, key);
    });
    return `{\n${lines.join(',\n')}\n${indent}}`;
  }
  // biome writes exponents without a plus sign (1e30, not 1e+30).
  return typeof v === 'number' ? JSON.stringify(v).replace('e+', 'e') : JSON.stringify(v);
}
