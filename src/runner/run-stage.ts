// One stage, called directly: what a stage author's own unit tests use (`import { runStage } from
// 'mlpipe'`). Params are validated and defaulted as the config does it, the context is built as
// compute.ts builds it; nothing is looked up in or written to the cache, nothing is written at all.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { BackendChoice } from '../backend/index.js';
import { decodePointer } from '../config/ajv-messages.js';
import { closedParams } from '../config/schema.js';
import { didYouMean } from '../config/suggest.js';
import { readStageFiles } from '../keys/source-files.js';
import { Rng } from '../sdk/rng.js';
import type { Artifact, GreyImage, Metrics, ProgressInfo, StageDef, StageFile } from '../sdk/stage.js';

export interface RunStageOptions<P> {
  /** The `with:` block: validated against the stage's schema, defaults filled in. Default `{}`. */
  params?: Partial<P>;
  /** Input name -> artifact, for every input the stage declares. Read, never disposed. */
  inputs?: Record<string, Artifact>;
  /** The pipeline seed the stage's `rng` starts from. Default 1 (the config's default). */
  seed?: number;
  /** The stage's source-data files by name. When omitted, the files the stage declares
   * (`StageDef.files`) are read, read-only, exactly as the runner reads them. */
  files?: Record<string, StageFile>;
  /** Called for each progress report of the stage. Default: nothing. */
  onProgress?: (step: number, total: number, info?: ProgressInfo) => void;
  /** The backend to initialise when none is yet (`initBackend`); default 'auto'. */
  backend?: BackendChoice;
}

/** What the stage returned, with `metrics` and `pictures` filled in as empty when it gave none.
 * The caller owns the output tensors (dispose them when done). */
export interface RunStageResult<P = Record<string, unknown>> {
  outputs: Record<string, Artifact>;
  metrics: Metrics;
  pictures: Record<string, GreyImage>;
  /** The params the stage ran with: yours, validated, defaults filled in. */
  params: P;
}

/** A params problem; `message` names the param. */
export class StageParamsError extends Error {
  override name = 'StageParamsError';
}

const validators = new WeakMap<StageDef, ValidateFunction>();

/** As the config validates `with:` (config/validate.ts, config/schema.ts): ajv in strict mode,
 * defaults filled in, and a schema that lists properties closed unless it says otherwise. */
function validatorFor(def: StageDef): ValidateFunction {
  let v = validators.get(def);
  if (!v) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictTypes: false });
    v = ajv.compile(closedParams(def.params));
    validators.set(def, v);
  }
  return v;
}

function paramMessage(def: StageDef, e: ErrorObject): string {
  const at = decodePointer(e.instancePath).join('.');
  if (e.keyword === 'additionalProperties') {
    const name = (e.params as { additionalProperty: string }).additionalProperty;
    const known = Object.keys((def.params.properties as Record<string, unknown> | undefined) ?? {});
    return `unknown param "${at ? `${at}.` : ''}${name}"${didYouMean(name, known)}`;
  }
  if (e.keyword === 'required') return `missing param "${(e.params as { missingProperty: string }).missingProperty}"`;
  return at ? `param "${at}" ${e.message}` : `params ${e.message}`;
}

/** Validate `params` against the stage's schema and fill in its defaults (a copy; `params` is
 * not modified). Throws a StageParamsError naming every bad param. */
export function resolveParams<P>(def: StageDef<P>, params: Partial<P> = {}): P {
  const data = structuredClone(params) as Record<string, unknown>;
  const validate = validatorFor(def);
  if (!validate(data)) {
    const problems = [...new Set((validate.errors ?? []).map((e) => paramMessage(def, e)))];
    throw new StageParamsError(`stage ${def.type}: ${problems.join('; ')}`);
  }
  return data as P;
}

/**
 * Run one stage as the runner would, without the runner: validate `params` (defaults filled in),
 * initialise the backend if none is yet, build the context (`new Rng(seed)`, the files, a progress
 * callback) and call `def.run`. Touches neither the cache nor any run folder; the only file access
 * is reading the stage's declared source-data files when `files` is not given.
 *
 * ```ts
 * const { outputs, metrics } = await runStage(myStage, { params: { axis: 1 }, inputs: { data } });
 * ```
 */
export async function runStage<P>(def: StageDef<P>, opts: RunStageOptions<P> = {}): Promise<RunStageResult<P>> {
  const params = resolveParams(def, opts.params);
  const inputs = opts.inputs ?? {};
  const missing = Object.keys(def.inputs).filter((name) => !inputs[name]);
  if (missing.length) throw new Error(`stage ${def.type}: missing input(s) ${missing.join(', ')} (it takes ${Object.keys(def.inputs).join(', ')})`);
  let files = opts.files;
  if (!files) files = readStageFiles(def, params).files;
  else {
    const absent = Object.keys(def.files?.(params) ?? {}).filter((name) => !files?.[name]);
    if (absent.length) throw new Error(`stage ${def.type}: missing file(s) ${absent.join(', ')} in the files option`);
  }
  // Imported here, not at the top: `import 'mlpipe'` loads no backend code until a stage runs.
  const { initBackend } = await import('../backend/index.js');
  await initBackend(opts.backend ?? 'auto');
  const onProgress = opts.onProgress;
  const result = await def.run({
    params,
    inputs,
    rng: new Rng(opts.seed ?? 1),
    files,
    progress: onProgress ? (step, total, info) => onProgress(step, total, info) : () => {},
  });
  const absentOutputs = Object.keys(def.outputs).filter((o) => !result.outputs?.[o]);
  if (absentOutputs.length) {
    for (const artifact of Object.values(result.outputs ?? {})) for (const t of Object.values(artifact)) t.dispose();
    throw new Error(`stage ${def.type} did not return output(s) ${absentOutputs.join(', ')}`);
  }
  return { outputs: result.outputs, metrics: result.metrics ?? {}, pictures: result.pictures ?? {}, params };
}
