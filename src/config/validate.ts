// Validation of a merged config: one ajv pass over the whole schema (filling in defaults), then
// the override paths of sweep/variants, then the graph checks. Every problem is collected.
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import type { Registry } from '../sdk/stage.js';
import { ajvErrorsToConfigErrors } from './ajv-messages.js';
import type { ConfigError, Position } from './errors.js';
import { cloneJson, isObject } from './json.js';
import type { OriginMap, Path, Tracked } from './origins.js';
import { checkReferences } from './references.js';
import { buildSchema } from './schema.js';
import { resolveSetPath } from './set-paths.js';
import { didYouMean } from './suggest.js';
import type { PipelineConfig } from './types.js';

const validators = new WeakMap<Registry, ValidateFunction>();

/** Compiling is the slow part, and a sweep validates many variants against one registry. */
function validatorFor(registry: Registry): ValidateFunction {
  let v = validators.get(registry);
  if (!v) {
    // strictTypes would demand `type` next to every `properties` inside stage authors' schemas.
    const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true, strictTypes: false });
    v = ajv.compile(buildSchema(registry));
    validators.set(registry, v);
  }
  return v;
}

/** A sweep is one run: one backend loaded, one name for its folder and its cache entries. */
export function unsweepable(dotted: string): string | undefined {
  return dotted === 'backend' || dotted === 'name' ? `"${dotted}" cannot vary within a sweep; run each ${dotted} separately` : undefined;
}

/** Keys of `sweep:` and `variants:` items are set paths; check them now, at their own text,
 * rather than later per variant. Param names are checked when the stage lists its params. */
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
    config.variants.forEach((item, i) => {
      if (isObject(item)) for (const key of Object.keys(item)) check(key, ['variants', i, key]);
    });
  }
  return errors;
}

/** Validates a merged config (not modified) and returns a copy with defaults applied, or every
 * problem found, each at the position recorded in `merged.origins`. */
export function validateMerged(merged: Tracked, registry: Registry): { config: PipelineConfig; errors: [] } | { config?: undefined; errors: ConfigError[] } {
  const data = cloneJson(merged.value);
  const validate = validatorFor(registry);
  const errors = validate(data) ? [] : ajvErrorsToConfigErrors(validate.errors ?? [], merged.origins, data);
  errors.push(...checkOverridePaths(data, registry, merged.origins));
  errors.push(...checkReferences(data, registry, merged.origins));
  return errors.length === 0 ? { config: data as unknown as PipelineConfig, errors: [] } : { errors };
}
