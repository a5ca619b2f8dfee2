// Validation of a merged config: one ajv pass over the whole schema (filling in defaults), then
// the override paths of sweep/variants, then the graph checks. Every problem is collected.
import type { ValidateFunction } from 'ajv';
import type { Registry } from '../sdk/stage.js';
import { ajvErrorsToConfigErrors } from './ajv-messages.js';
import { compileValidator } from './compiled-validator.js';
import type { ConfigError, Position } from './errors.js';
import { cloneJson, isObject } from './json.js';
import type { OriginMap, Path, Tracked } from './origins.js';
import { NAME_MAX_LENGTH, NAME_PATTERN, NAME_RULE } from './limits.js';
import { checkReferences } from './references.js';
import { buildSchema } from './schema.js';
import { resolveSetPath } from './set-paths.js';
import { didYouMean } from './suggest.js';
import type { PipelineConfig } from './types.js';

const validators = new WeakMap<Registry, ValidateFunction>();

/** Compiling is the slow part, and a sweep validates many variants against one registry; a
 * build keeps compiled validators for later processes (compiled-validator.ts). */
function validatorFor(registry: Registry): ValidateFunction {
  let v = validators.get(registry);
  if (!v) {
    // strictTypes would demand `type` next to every `properties` inside stage authors' schemas.
    v = compileValidator(buildSchema(registry), { allErrors: true, useDefaults: true, verbose: true, strict: true, strictTypes: false });
    validators.set(registry, v);
  }
  return v;
}

/** A sweep is one run: one backend loaded, one name for its folder and its cache entries. */
export function unsweepable(dotted: string): string | undefined {
  return dotted === 'backend' || dotted === 'name' ? `"${dotted}" cannot vary within a sweep; run each ${dotted} separately` : undefined;
}

/** Keys of `sweep:` and of a variant's `set:` are set paths; check them now, at their own text,
 * rather than later per variant (and a variant's `name`, at its value). Param names are checked when the stage lists its params. */
function checkOverridePaths(config: Record<string, unknown>, registry: Registry, origins: OriginMap): ConfigError[] {
  const errors: ConfigError[] = [];
  const check = (dotted: string, keyPath: Path): void => {
    const pos: Position | undefined = origins.keyPos(keyPath);
    const fixed = unsweepable(dotted);
    if (fixed) {
      errors.push({ ...(pos ?? { file: '<config>' }), message: fixed });
      return;
    }
    const r = resolveSetPath(dotted, config);
    if ('error' in r) {
      errors.push({ ...(pos ?? { file: '<config>' }), message: r.error });
      return;
    }
    if (r.stageId === undefined || r.param === undefined) return;
    const uses = (config.stages as Record<string, { uses?: unknown }>)[r.stageId]?.uses;
    const params = typeof uses === 'string' && Object.hasOwn(registry, uses) ? registry[uses].params : undefined;
    const props = isObject(params?.properties) ? Object.keys(params.properties) : undefined;
    if (props && params?.additionalProperties !== true && !props.includes(r.param)) {
      errors.push({
        ...(pos ?? { file: '<config>' }),
        message: `unknown param "${r.param}" for stage "${r.stageId}" (${uses})${didYouMean(r.param, props)}`,
      });
    }
  };
  if (isObject(config.sweep)) for (const key of Object.keys(config.sweep)) check(key, ['sweep', key]);
  if (Array.isArray(config.variants)) {
    const names = new Map<string, number>();
    config.variants.forEach((item, i) => {
      if (!isObject(item)) return; // the schema says "expected object"
      if (!isVariantBlock(item)) {
        // The older form, still read: the item itself is a map of dotted paths.
        for (const key of Object.keys(item)) check(key, ['variants', i, key]);
        return;
      }
      errors.push(...checkVariantBlock(item, i, origins, names));
      if (isObject(item.set)) for (const key of Object.keys(item.set)) check(key, ['variants', i, 'set', key]);
    });
  }
  return errors;
}

/** A `variants:` item in the documented form, `{ name?, set: {...} }`, rather than the older
 * bare map of dotted paths (whose keys are never `set` or `name`: neither is a settable path). */
export function isVariantBlock(item: Record<string, unknown>): boolean {
  return Object.hasOwn(item, 'set') || Object.hasOwn(item, 'name');
}

const VARIANT_KEYS = ['name', 'set'];
const NAME_RE = new RegExp(NAME_PATTERN);
/** Automatic ids of unnamed variants, and the files beside the variant folders of a sweep. */
const RESERVED_VARIANT_NAME = /^(v\d+|sweep\.json|sweep\.csv)$/i;

/** A variant name becomes a folder under the sweep's: one safe path segment, unique (ignoring
 * case, for case-insensitive file systems), and never one of the automatic ids v1, v2, ... */
export function variantNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `expected a string, got ${name === null ? 'null' : Array.isArray(name) ? 'array' : typeof name}`;
  if (!NAME_RE.test(name) || name.length > NAME_MAX_LENGTH) return `${JSON.stringify(name)} is not a safe folder name: ${NAME_RULE}`;
  if (RESERVED_VARIANT_NAME.test(name))
    return `${JSON.stringify(name)} is reserved (v1, v2, ... are the ids of unnamed variants; sweep.json and sweep.csv are files of the sweep folder)`;
  return undefined;
}

function checkVariantBlock(item: Record<string, unknown>, i: number, origins: OriginMap, names: Map<string, number>): ConfigError[] {
  const errors: ConfigError[] = [];
  const at = (path: Path, key = false): Position =>
    (key ? origins.keyPos(path) : origins.valuePos(path)) ?? origins.valuePos(['variants', i]) ?? { file: '<config>' };
  for (const key of Object.keys(item)) {
    if (VARIANT_KEYS.includes(key)) continue;
    const hint = key.includes('.') ? `; put the paths a variant sets under \`set:\`, e.g. { set: { ${key}: ... } }` : didYouMean(key, VARIANT_KEYS);
    errors.push({
      ...at(['variants', i, key], true),
      message: `variants[${i}]: unknown key "${key}"; a variant has \`set:\` and an optional \`name:\`${hint}`,
    });
  }
  if (!Object.hasOwn(item, 'set')) {
    errors.push({ ...at(['variants', i]), message: `variants[${i}]: missing required key "set" (a map of STAGE.PARAM -> value)` });
  } else if (!isObject(item.set)) {
    const got = item.set === null ? 'null' : Array.isArray(item.set) ? 'array' : typeof item.set;
    errors.push({ ...at(['variants', i, 'set']), message: `variants[${i}].set: expected a map of STAGE.PARAM -> value, got ${got}` });
  }
  if (Object.hasOwn(item, 'name')) {
    const problem = variantNameProblem(item.name);
    if (problem) errors.push({ ...at(['variants', i, 'name']), message: `variants[${i}].name: ${problem}` });
    else {
      const folded = (item.name as string).toLowerCase();
      const first = names.get(folded);
      if (first !== undefined)
        errors.push({
          ...at(['variants', i, 'name']),
          message: `variants[${i}].name: "${item.name}" is already the name of variants[${first}]; names must be unique`,
        });
      else names.set(folded, i);
    }
  }
  return errors;
}

/** Validates a merged config (not modified) and returns a copy with defaults applied, or every
 * problem found, each at the position recorded in `merged.origins`. `inPlace`: the caller owns
 * `merged.value` and gives it up: defaults are filled into it and it is returned, not a copy. */
export function validateMerged(
  merged: Tracked,
  registry: Registry,
  opts: { inPlace?: boolean } = {},
): { config: PipelineConfig; errors: [] } | { config?: undefined; errors: ConfigError[] } {
  const data = opts.inPlace ? merged.value : cloneJson(merged.value);
  const validate = validatorFor(registry);
  const errors = validate(data) ? [] : ajvErrorsToConfigErrors(validate.errors ?? [], merged.origins, data);
  errors.push(...checkOverridePaths(data, registry, merged.origins));
  errors.push(...checkReferences(data, registry, merged.origins));
  return errors.length === 0 ? { config: data as unknown as PipelineConfig, errors: [] } : { errors };
}
