// `pipeline stages [FILE]`: every stage type a pipeline can use, with its description, inputs,
// outputs and params (type, default, range, description). With FILE, the registry is the one
// loading FILE gives (loadConfig), so the stage types FILE brings are listed too.
//
// `--json` prints exactly one JSON document, this stable shape (every key always present; null
// where the params schema says nothing):
//   { "stages": [ { "type": string, "uses": string, "version": number, "description": string,
//                   "inputs": { NAME: KIND }, "outputs": { NAME: KIND },
//                   "params": [ { "name", "type", "default", "minimum", "maximum",
//                                 "exclusiveMinimum", "exclusiveMaximum", "enum",
//                                 "items", "minItems", "maxItems", "required", "description" } ] } ] }
// `uses` is the registry name (the `uses:` value of a built-in or package stage; for a stage file,
// its path relative to FILE's folder). A param's `type` is the JSON Schema type (a string, or a list of them); `items` describes a list's
// elements ({ type, minimum, maximum, exclusiveMinimum, exclusiveMaximum, enum }).
//
// Registering the command imports nothing heavy: loading FILE (yaml, ajv, the stage loader) and
// the error report are imported when the command runs.
import type { Command } from '#commander';
import { isObject } from '../config/json.js';
import type { Registry, StageDef } from '../sdk/stage.js';
import { count, num, table, value } from './format.js';

export interface ValueRange {
  type: string | string[] | null;
  minimum: number | null;
  maximum: number | null;
  exclusiveMinimum: number | null;
  exclusiveMaximum: number | null;
  enum: unknown[] | null;
}

export interface ParamInfo extends ValueRange {
  name: string;
  default: unknown;
  items: ValueRange | null;
  minItems: number | null;
  maxItems: number | null;
  required: boolean;
  description: string | null;
}

export interface StageInfo {
  type: string;
  /** The registry name: what `uses:` names for a built-in or a package stage; for a stage file,
   * its path relative to FILE's folder. */
  uses: string;
  version: number;
  description: string;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  params: ParamInfo[];
}

const numberOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : null);

function rangeOf(s: Record<string, unknown>): ValueRange {
  const type = typeof s.type === 'string' || Array.isArray(s.type) ? (s.type as string | string[]) : null;
  return {
    type,
    minimum: numberOrNull(s.minimum),
    maximum: numberOrNull(s.maximum),
    exclusiveMinimum: numberOrNull(s.exclusiveMinimum),
    exclusiveMaximum: numberOrNull(s.exclusiveMaximum),
    enum: Array.isArray(s.enum) ? s.enum : null,
  };
}

export function stageInfo(def: StageDef, uses = def.type): StageInfo {
  const props = isObject(def.params?.properties) ? def.params.properties : {};
  const required = Array.isArray(def.params?.required) ? (def.params.required as string[]) : [];
  const params = Object.entries(props).map(([name, raw]): ParamInfo => {
    const s = isObject(raw) ? raw : {};
    return {
      name,
      ...rangeOf(s),
      default: Object.hasOwn(s, 'default') ? s.default : null,
      items: isObject(s.items) ? rangeOf(s.items) : null,
      minItems: numberOrNull(s.minItems),
      maxItems: numberOrNull(s.maxItems),
      required: required.includes(name),
      description: typeof s.description === 'string' ? s.description : null,
    };
  });
  return { type: def.type, uses, version: def.version, description: def.description, inputs: { ...def.inputs }, outputs: { ...def.outputs }, params };
}

export const stagesInfo = (registry: Registry): StageInfo[] => Object.entries(registry).map(([uses, def]) => stageInfo(def, uses));

const typeText = (r: ValueRange): string => (r.type === null ? 'any' : Array.isArray(r.type) ? r.type.join('|') : r.type);

/** `[1, 100]`, `(0, 10]`, `>= 0`, `one of a, b`; empty when unbounded. */
export function rangeText(r: ValueRange): string {
  if (r.enum) return `one of ${r.enum.map((v) => value(v)).join(', ')}`;
  const lo = r.exclusiveMinimum ?? r.minimum;
  const hi = r.exclusiveMaximum ?? r.maximum;
  const loIncl = r.exclusiveMinimum === null;
  const hiIncl = r.exclusiveMaximum === null;
  if (lo !== null && hi !== null) return `${loIncl ? '[' : '('}${num(lo)}, ${num(hi)}${hiIncl ? ']' : ')'}`;
  if (lo !== null) return `${loIncl ? '>=' : '>'} ${num(lo)}`;
  if (hi !== null) return `${hiIncl ? '<=' : '<'} ${num(hi)}`;
  return '';
}

function paramRow(p: ParamInfo): string[] {
  const type = p.items ? `${typeText(p.items)}[]` : typeText(p);
  const parts = [rangeText(p.items ?? p)];
  if (p.minItems !== null || p.maxItems !== null) {
    const n = p.minItems === p.maxItems ? `${p.minItems}` : `${p.minItems ?? 0}-${p.maxItems ?? 'any'}`;
    parts.push(`${n} items`);
  }
  if (p.items) parts.unshift(rangeText(p));
  const def = p.default !== null ? defaultText(p.default) : p.required ? '(required)' : '-';
  return [p.name, type, def, parts.filter(Boolean).join(', ') || '-', p.description ?? ''];
}

/** A default in full (a list of up to 20 values too), so it can be copied into `with:`. */
const defaultText = (v: unknown): string => (Array.isArray(v) && v.length <= 20 ? `[${v.map((x) => value(x)).join(', ')}]` : value(v));

const pairs = (m: Record<string, string>): string =>
  Object.entries(m)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ') || '-';

/** One block per stage type: the header, its description, inputs and outputs, a params table. */
export function formatStages(stages: StageInfo[]): string {
  const blocks = stages.map((s) => {
    const lines = [
      `${s.type} (version ${s.version}${s.uses === s.type ? '' : `, uses: ${s.uses}`})`,
      `  ${s.description}`,
      `  inputs:  ${pairs(s.inputs)}`,
      `  outputs: ${pairs(s.outputs)}`,
    ];
    if (s.params.length === 0) lines.push('  params:  none');
    else {
      lines.push('  params:');
      const rows = s.params.map(paramRow);
      lines.push(
        ...table(['name', 'type', 'default', 'range', 'description'], rows)
          .split('\n')
          .map((l) => `    ${l}`),
      );
    }
    return lines.join('\n');
  });
  return [...blocks, `${count(stages.length, 'stage type')}; use one with \`uses: TYPE\` and set its params under \`with:\`.`].join('\n\n');
}

/** The built-in registry, or with FILE the registry loading FILE gives (its own stage types too).
 * Throws ConfigErrors when FILE is bad. */
export async function registryFor(file: string | undefined, stages: () => Promise<Registry>): Promise<Registry> {
  const registry = await stages();
  if (file === undefined) return registry;
  // As `run` loads it: the stage files and packages its `uses:` values name join the registry.
  const [{ loadConfig }, { resolveStageModule }] = await Promise.all([import('../config/index.js'), import('../runner/stage-modules.js')]);
  return (await loadConfig(file, { registry, stageModules: resolveStageModule })).registry;
}

export function registerStagesCommand(program: Command, stages: () => Promise<Registry>): void {
  program
    .command('stages [file]')
    .description('list the stage types a pipeline can use: description, inputs, outputs, params with defaults and ranges (with FILE: also the types FILE uses)')
    .option(
      '--json',
      'print JSON for scripts: { stages: [{ type, uses, version, description, inputs, outputs, params: [{ name, type, default, minimum, ... }] }] }',
    )
    .action(async (file: string | undefined, flags: { json?: boolean }) => {
      try {
        const info = stagesInfo(await registryFor(file, stages));
        console.log(flags.json ? JSON.stringify({ stages: info }, null, 2) : formatStages(info));
      } catch (err) {
        process.exitCode = (await import('./common.js')).reportError(err);
      }
    });
}
