// A user's own stages: `uses: ./stages/mean-image.ts` (a file, relative to the YAML that wrote it)
// or `uses: some-package` / `some-package/name` (a stage published on npm, installed in the
// user's project). TypeScript runs without a build step: the module is bundled with esbuild (as
// Vite loads vite.config.ts) into a hidden temp file next to it, imported, and the temp file
// deleted. Local files are bundled; every bare import stays external (so it resolves from the
// user's node_modules), except this package's own sdk (`mlpipe/sdk`, `mlpipe/sdk/*`), which is
// pointed at the very sdk modules the runner loaded: one tf instance, the runner's kernels.
//
// The code part of such a stage's key (registered with keys/code.ts): every local file in the
// bundle, hashed as transpiled code (comments and formatting do not count), named relative to
// the folder of the YAML that wrote `uses:`; `package:NAME@VERSION` for each package it imports
// (and for a package stage itself, whose own files are not hashed); plus the sdk files it imports.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { StageModuleRequest, StageModuleResult } from '../config/index.js';
import { type CodeFiles, moduleFiles, registerModuleFiles } from '../keys/code.js';
import { sha256 } from '../keys/hash.js';
import { codeDigest, stageCode, type KeyParts } from '../keys/recipe.js';
import type { StageDef } from '../sdk/stage.js';
import { packageInfo } from './package-info.js';
import { stagesOf } from './stage-plugins.js';

/** What a job names so a worker loads the same module: a stage file or an installed package;
 * `base` is the folder of the YAML that wrote `uses:` (code paths are relative to it). */
export type StageModuleRef = { file: string; base: string } | { package: string; base: string };

/** Raised for a module that cannot be loaded or exports no stage: a config error at `uses:`. */
export class StageModuleError extends Error {}

export const isFileSpec = (uses: string): boolean => uses.startsWith('./') || uses.startsWith('../') || isAbsolute(uses);

/** Package names as npm allows them, with an optional subpath: `pkg`, `@scope/pkg`, `pkg/name`. */
const PACKAGE_SPEC = /^(?:@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*(?:\/[\w.~/-]+)?$/i;
const STAGE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

/** `@scope/pkg/sub` -> `@scope/pkg`; `pkg/sub` -> `pkg`. */
const packageName = (spec: string): string =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

/** The package.json Node would find for `name` from `dir`: the nearest node_modules/NAME above it. */
function packageJsonFrom(dir: string, name: string): { file: string; version: string } | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const file = join(d, 'node_modules', name, 'package.json');
    if (existsSync(file)) {
      const version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '0.0.0';
      return { file, version };
    }
    if (dirname(d) === d) return undefined;
  }
}

/** The runner's own sdk module for `mlpipe/sdk[/sub]`: src/sdk/*.ts under vitest (by path, the
 * id vite's module runner and the tests' aliases use), dist/src/sdk/*.js when compiled (by URL). */
function sdkModule(sub: string): { file: string; specifier: string } {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(`../sdk/${sub || 'index'}.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  return { file, specifier: fromSource ? file : pathToFileURL(file).href };
}

const toPosix = (p: string): string => p.split(sep).join('/');
/** A code entry relative to the YAML's folder, always starting with `./` or `../` (so it never
 * looks like one of this package's own sources, which build-manifest.ts checks). */
function codeName(base: string, file: string): string {
  const rel = toPosix(relative(base, file));
  return rel.startsWith('../') || isAbsolute(rel) ? rel : `./${rel}`;
}

const LOADERS: Record<string, 'ts' | 'tsx' | 'js' | 'jsx' | 'json'> = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.jsx': 'jsx',
  '.json': 'json',
};

type Esbuild = typeof import('esbuild');
let esbuildModule: Promise<Esbuild> | undefined;
const esbuild = (): Promise<Esbuild> => (esbuildModule ??= import('esbuild'));

/** The transpiled code of one input: comments, types and formatting do not change it. */
async function transpiledHash(file: string): Promise<string> {
  const dot = file.lastIndexOf('.');
  const loader = LOADERS[file.slice(dot)] ?? 'js';
  const text = readFileSync(file, 'utf8');
  const { transform } = await esbuild();
  const out = await transform(text, { loader, legalComments: 'none', sourcefile: file });
  return sha256(out.code);
}

interface Bundle {
  code: string;
  /** Where the temp file goes: beside the stage file, or the package's entry. */
  dir: string;
  files: CodeFiles;
  source: string;
}

async function bundle(ref: StageModuleRef): Promise<Bundle> {
  const { build } = await esbuild();
  const sdkName = packageInfo.name;
  const packages = new Set<string>();
  const sdkUrls = new Set<string>();
  const entry = 'file' in ref ? resolve(ref.file) : undefined;
  const resolveDir = entry ? dirname(entry) : ref.base;
  let result: Awaited<ReturnType<Esbuild['build']>>;
  try {
    result = await build({
      ...(entry
        ? { entryPoints: [entry] }
        : { stdin: { contents: `export { default } from ${JSON.stringify((ref as { package: string }).package)};`, resolveDir, loader: 'js' } }),
      absWorkingDir: resolveDir,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      metafile: true,
      write: false,
      outdir: resolveDir,
      logLevel: 'silent',
      plugins: [
        {
          name: 'mlpipe-stage',
          setup(b) {
            b.onResolve({ filter: /.*/ }, (args) => {
              const spec = args.path;
              if (args.kind === 'entry-point' || args.importer === '<stdin>') return undefined;
              if (spec.startsWith('.') || isAbsolute(spec)) return undefined;
              if (spec.startsWith('node:') || isBuiltin(spec)) return { path: spec, external: true };
              if (spec === `${sdkName}/sdk` || spec.startsWith(`${sdkName}/sdk/`)) {
                const sdk = sdkModule(spec.slice(`${sdkName}/sdk/`.length));
                if (!existsSync(sdk.file)) return { errors: [{ text: `${spec}: no such module in ${sdkName}'s sdk` }] };
                sdkUrls.add(pathToFileURL(sdk.file).href);
                return { path: sdk.specifier, external: true };
              }
              packages.add(packageName(spec));
              return { path: spec, external: true };
            });
          },
        },
      ],
    });
  } catch (err) {
    const errors = (err as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }).errors;
    if (!errors?.length) throw err;
    const first = errors[0];
    if (!entry && first.location?.file === '<stdin>' && first.text.startsWith('Could not resolve')) throw new NotFound();
    const where = first.location ? `${resolve(resolveDir, first.location.file)}:${first.location.line}:${first.location.column + 1}: ` : '';
    throw new StageModuleError(`${where}${first.text}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`);
  }
  const files: CodeFiles = {};
  let packageEntry: string | undefined;
  const inputs = Object.keys(result.metafile!.inputs).filter((k) => k !== '<stdin>');
  for (const input of inputs) {
    const abs = resolve(resolveDir, input);
    // A package's own files count by its name@version (below), not file by file.
    if (abs.split(sep).includes('node_modules')) {
      packageEntry ??= result.metafile!.inputs['<stdin>']?.imports.some((i) => resolve(resolveDir, i.path) === abs) ? abs : undefined;
      continue;
    }
    files[codeName(ref.base, abs)] = await transpiledHash(abs);
  }
  if (!entry) {
    const name = packageName((ref as { package: string }).package);
    packageEntry ??= inputs.map((i) => resolve(resolveDir, i))[0];
    packages.add(name);
  }
  for (const name of packages) {
    const pkg = packageJsonFrom(entry ? dirname(entry) : ref.base, name);
    const id = `package:${name}@${pkg?.version ?? 'unknown'}`;
    files[id] = sha256(id);
  }
  for (const url of sdkUrls) Object.assign(files, moduleFiles(url));
  const sorted: CodeFiles = {};
  for (const k of Object.keys(files).sort()) sorted[k] = files[k];
  const out = result.outputFiles!.find((f) => f.path.endsWith('.js')) ?? result.outputFiles![0];
  const dir = entry ? dirname(entry) : dirname(packageEntry ?? join(ref.base, 'node_modules'));
  const source = pathToFileURL(entry ?? packageEntry ?? join(ref.base, (ref as { package: string }).package)).href;
  return { code: out.text, dir, files: sorted, source };
}

class NotFound extends Error {}

const moduleRefs = new WeakMap<StageDef, StageModuleRef>();
/** The module a stage came from, for a job (undefined for the built-ins). */
export const moduleRefOf = (def: StageDef): StageModuleRef | undefined => moduleRefs.get(def);

const loaded = new Map<string, Promise<StageDef | undefined>>();

async function load(ref: StageModuleRef): Promise<StageDef | undefined> {
  let b: Bundle;
  try {
    b = await bundle(ref);
  } catch (err) {
    if (err instanceof NotFound) return undefined;
    throw err;
  }
  const label = 'file' in ref ? basename(ref.file) : ref.package.replace(/[^\w.-]/g, '_');
  const tag = `${process.pid}-${createHash('sha256').update(b.code).digest('hex').slice(0, 12)}-${randomBytes(3).toString('hex')}`;
  const temp = join(b.dir, `.${label}.${tag}.mjs`);
  let mod: { default?: unknown };
  try {
    writeFileSync(temp, b.code);
    mod = (await import(/* @vite-ignore */ import.meta.url.endsWith('.ts') ? temp : pathToFileURL(temp).href)) as { default?: unknown };
  } catch (err) {
    throw new StageModuleError(`cannot load: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    rmSync(temp, { force: true });
  }
  const what = 'file' in ref ? ref.file : ref.package;
  let defs: StageDef[];
  try {
    defs = stagesOf(mod, what);
  } catch (err) {
    throw new StageModuleError((err as Error).message);
  }
  if (defs.length !== 1) throw new StageModuleError(`${what}: a stage module used by \`uses:\` must export exactly one stage, not ${defs.length}`);
  // The loader knows the file: `source` is the stage file (or the package's entry), not the bundle.
  const def: StageDef = { ...defs[0], source: b.source };
  registerModuleFiles(b.source, b.files);
  moduleRefs.set(def, ref);
  return def;
}

/** Bundle and import a stage module, once per process. Undefined: no such package installed. */
export function loadStageModule(ref: StageModuleRef): Promise<StageDef | undefined> {
  const id = JSON.stringify(ref);
  let p = loaded.get(id);
  if (!p) {
    p = load(ref);
    loaded.set(id, p);
  }
  return p;
}

const realFile = (spec: string, dir: string): string => resolve(dir, spec);

/** The config layer's hook (loadConfig's `stageModules`): `uses:` values that are not built-in
 * short names. The registry key of a file stage is its path relative to the requested YAML's
 * folder (`./stages/mean-image.ts`); of a package stage, its specifier. */
export async function resolveStageModule(req: StageModuleRequest): Promise<StageModuleResult> {
  let ref: StageModuleRef;
  let key: string;
  if (isFileSpec(req.uses)) {
    const file = realFile(req.uses, req.dir);
    if (!STAGE_EXTENSIONS.some((e) => file.endsWith(e))) return { error: `a stage file must end in ${STAGE_EXTENSIONS.join(', ')}: ${req.uses}` };
    if (!existsSync(file)) return { error: `cannot load stage file ${req.uses}: ${file} does not exist` };
    ref = { file, base: req.dir };
    key = codeName(req.topDir, file);
  } else if (PACKAGE_SPEC.test(req.uses)) {
    ref = { package: req.uses, base: req.dir };
    key = req.uses;
  } else return undefined;
  try {
    const def = await loadStageModule(ref);
    return def && { key, def };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { error: `cannot load stage ${req.uses}: ${message}` };
  }
}

/** A worker refuses a job whose code (as the parent hashed it) is not the code it loaded. */
export function checkJobCode(def: StageDef, parts: Pick<KeyParts, 'stage' | 'code'>, what: string): void {
  if (def.type !== parts.stage) throw new Error(`${what}: this worker loaded stage type "${def.type}", the job is for "${parts.stage}"`);
  const mine = stageCode(def);
  if (codeDigest(mine) === codeDigest(parts.code)) return;
  const differ = [...new Set([...Object.keys(mine), ...Object.keys(parts.code)])].filter((f) => mine[f] !== parts.code[f]).sort();
  throw new Error(
    `${what}: the code this worker loaded differs from the code the run's key was computed from (${differ.join(', ')}); it changed since the run started: run again`,
  );
}
