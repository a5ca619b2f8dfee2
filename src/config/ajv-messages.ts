// Turns ajv's error objects into messages a person can act on, each at the source node that
// caused it: an unknown key at the key, a missing key at the map, anything else at the value.
import type { ErrorObject } from 'ajv';
import type { ConfigError, Position } from './errors.js';
import type { OriginMap } from './origins.js';
import { MAX_STAGES, NAME_RULE } from './limits.js';
import { DIRECTIVE_KEYS } from './schema.js';
import { didYouMean, listNames } from './suggest.js';

export function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A short name for the value at `path`, as the user would write it. */
function label(path: string[]): string {
  const [top, id, sub, ...rest] = path;
  if (path.length === 0) return 'config';
  if (top === 'stages' && path.length === 2) return `stage "${id}"`;
  if (top === 'stages' && sub === 'with' && rest.length > 0) return rest.join('.');
  if (top === 'stages' && path.length >= 3) return `${path.slice(2).join('.')} of stage "${id}"`;
  if (top === 'sweep' && id !== undefined) return `sweep "${path.slice(1).join('.')}"`;
  if (top === 'variants' && id !== undefined)
    return `variants[${id}]${path
      .slice(2)
      .map((s) => `."${s}"`)
      .join('')}`;
  return path.join('.');
}

function show(v: unknown): string {
  // A megabyte of text is not worth repeating in a message.
  if (typeof v === 'string' && v.length > 100) return `${JSON.stringify(v.slice(0, 80))}... (${v.length} characters)`;
  return typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}

/** `string "abc"`, `number 1.5`, `array`, ... : the type as the schema names it, then the value. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'number' && !Number.isFinite(v)) return `${v} (not a finite number)`;
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return `${typeof v} ${show(v)}`;
}

const propertyNames = (schema: unknown): string[] => Object.keys((schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});

interface Ctx {
  origins: OriginMap;
  data: unknown;
}

function stageType(ctx: Ctx, id: string): string | undefined {
  const stages = (ctx.data as { stages?: Record<string, { uses?: unknown }> }).stages;
  const uses = stages?.[id]?.uses;
  return typeof uses === 'string' ? uses : undefined;
}

function unknownKey(e: ErrorObject, path: string[], ctx: Ctx): ConfigError {
  const prop = String(e.params.additionalProperty);
  const pos = ctx.origins.keyPos([...path, prop]);
  const known = propertyNames(e.parentSchema);
  let message: string;
  if (path.length === 0) {
    const allowed = [...known, ...DIRECTIVE_KEYS];
    message = `unknown top-level key "${prop}"; allowed: ${allowed.join(', ')}${didYouMean(prop, allowed)}`;
  } else if (path[0] === 'stages' && path.length === 2) {
    message = `unknown key "${prop}" in stage "${path[1]}"; allowed: ${known.join(', ')}${didYouMean(prop, known)}`;
  } else if (path[0] === 'stages' && path.length === 3 && path[2] === 'with') {
    const hint = didYouMean(prop, known) || (known.length ? `; params: ${listNames(known)}` : '; it takes no params');
    message = `unknown param "${prop}" for stage "${path[1]}" (${stageType(ctx, path[1])})${hint}`;
  } else {
    message = `unknown key "${prop}" in ${label(path)}${didYouMean(prop, known)}`;
  }
  return at(pos, message);
}

function missingKey(e: ErrorObject, path: string[], ctx: Ctx): ConfigError {
  const missing = String(e.params.missingProperty);
  const pos = ctx.origins.valuePos(path);
  if (path[0] === 'stages' && path.length === 3 && path[2] === 'with') {
    return at(pos, `missing required param "${missing}" for stage "${path[1]}" (${stageType(ctx, path[1])})`);
  }
  const where = path.length === 0 ? '' : ` in ${label(path)}`;
  return at(pos, `missing required key "${missing}"${where}`);
}

function at(pos: Position | undefined, message: string): ConfigError {
  return { ...(pos ?? { file: '<config>' }), message };
}

function toConfigError(e: ErrorObject, ctx: Ctx): ConfigError | undefined {
  const path = decodePointer(e.instancePath);
  const valuePos = ctx.origins.valuePos(path);
  const name = label(path);
  switch (e.keyword) {
    case 'if':
      return undefined; // "must match then schema": the `then` errors say what is wrong
    case 'additionalProperties':
      return unknownKey(e, path, ctx);
    case 'required':
      return missingKey(e, path, ctx);
    case 'type':
      return at(valuePos, `${name}: expected ${e.params.type}, got ${describe(e.data)}`);
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map(String);
      const hint = typeof e.data === 'string' ? didYouMean(e.data, allowed) : '';
      if (path[0] === 'stages' && path.length === 3 && path[2] === 'uses') {
        return at(valuePos, `unknown stage type ${show(e.data)}; known: ${allowed.join(', ')}${hint}`);
      }
      return at(valuePos, `${name} must be one of ${allowed.join(', ')}, got ${show(e.data)}${hint}`);
    }
    case 'not':
      if (path[0] === 'stages' && path[2] === 'uses') return at(valuePos, `unknown stage type ${show(e.data)}; no stage types are registered`);
      break;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return at(valuePos, `${name} must be ${e.params.comparison} ${e.params.limit}, got ${show(e.data)}`);
    case 'propertyNames': {
      const key = String(e.params.propertyName);
      const pos = ctx.origins.keyPos([...path, key]);
      if (path.length === 1 && path[0] === 'stages') {
        return at(pos, `invalid stage id "${key}": use letters, digits, "_" and "-" only`);
      }
      return at(pos, `invalid key "${key}" in ${name}`);
    }
    case 'minProperties':
      if (path.length === 1 && path[0] === 'stages') return at(valuePos, 'stages: a pipeline needs at least one stage');
      break;
    case 'maxProperties':
      if (path.length === 1 && path[0] === 'stages')
        return at(valuePos, `stages: a pipeline may have at most ${MAX_STAGES} stages, got ${Object.keys(e.data as object).length}`);
      break;
    case 'pattern':
    case 'maxLength':
      if (path.length === 1 && path[0] === 'name') return at(valuePos, `name ${show(e.data)} cannot be a folder name: ${NAME_RULE}`);
      break;
  }
  const got = e.data !== null && typeof e.data === 'object' ? '' : `, got ${show(e.data)}`;
  return at(valuePos, `${name} ${e.message ?? `fails ${e.keyword}`}${got}`);
}

export function ajvErrorsToConfigErrors(errors: ErrorObject[], origins: OriginMap, data: unknown): ConfigError[] {
  // A value of the wrong type fails other keywords too (enum, ranges): its type is the news.
  const badType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const ctx: Ctx = { origins, data };
  const out: ConfigError[] = [];
  for (const e of errors) {
    if (e.propertyName !== undefined) continue; // reported once by its `propertyNames` error
    if (e.keyword !== 'type' && badType.has(e.instancePath)) continue;
    const ce = toConfigError(e, ctx);
    if (ce) out.push(ce);
  }
  return out;
}
