// Where stage definitions come from: plugin modules, each with a default export of one stage
// definition or a list of them. The built-in stages are the first plugin and load through this
// same entry point, by package name (`<this package>/stages`), never by a path into stages/.
import type { Registry, StageDef } from '../sdk/stage.js';
import { packageInfo } from './package-info.js';

export const BUILTIN_STAGES = `${packageInfo.name}/stages`;

const isStageDef = (v: unknown): v is StageDef =>
  typeof v === 'object' && v !== null && typeof (v as StageDef).type === 'string' && typeof (v as StageDef).run === 'function';

/** The stage definitions a plugin module exports by default. */
export function stagesOf(mod: { default?: unknown }, specifier: string): StageDef[] {
  const d = mod.default;
  const list = Array.isArray(d) ? d : [d];
  if (list.length === 0 || !list.every(isStageDef)) {
    throw new Error(`${specifier}: the default export is not a stage definition (defineStage({...})) or a list of them`);
  }
  return list;
}

const loaded = new Map<string, Promise<StageDef[]>>();

/** Import plugin modules (once per process) and index their stages by type. */
export async function loadRegistry(specifiers: string[] = [BUILTIN_STAGES]): Promise<Registry> {
  const registry: Registry = {};
  for (const spec of specifiers) {
    let p = loaded.get(spec);
    if (!p) {
      p = import(spec).then((m: { default?: unknown }) => stagesOf(m, spec));
      loaded.set(spec, p);
    }
    for (const def of await p) {
      if (Object.hasOwn(registry, def.type)) throw new Error(`${spec}: stage type "${def.type}" is defined twice`);
      registry[def.type] = def;
    }
  }
  return registry;
}
