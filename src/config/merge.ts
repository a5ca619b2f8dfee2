// Layering: a child file deep-merges over the file it extends, then dotted overrides apply.
// Origins follow the values: whatever a layer writes is shown at that layer's text.
import type { ConfigError } from './errors.js';
import type { NodeOrigin, OriginMap, Path, Tracked } from './origins.js';
import { resolveSetPath, setAtPath } from './set-paths.js';
import { cloneJson, isObject, setOwn } from './json.js';

/** Maps merge key by key; anything else in `over` (scalars, lists, null) replaces. A merged map
 * is shown where the child wrote it: that is the text the user is editing. */
export function mergeTracked(base: Tracked, over: Tracked): Tracked {
  const origins = base.origins.clone();
  const value = mergeValue(base.value, over.value, [], origins, over.origins) as Record<string, unknown>;
  return { value, origins };
}

function mergeValue(base: unknown, over: unknown, path: Path, origins: OriginMap, overOrigins: OriginMap): unknown {
  if (isObject(base) && isObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      const inBase = Object.hasOwn(base, k);
      setOwn(out, k, inBase ? mergeValue(base[k], v, [...path, k], origins, overOrigins) : cloneJson(v));
      if (!inBase) origins.copyUnder(overOrigins, [...path, k]);
    }
    const own = overOrigins.getExact(path);
    if (own) origins.set(path, own);
    return out;
  }
  origins.deleteUnder(path);
  origins.copyUnder(overOrigins, path);
  return cloneJson(over);
}

/** One dotted override with where it was written: a `set:` entry, a `--set` argument, or (for
 * the sweep expansion) one value of a `sweep:` axis or a `variants:` item. */
export interface SetEntry {
  /** Dotted path, e.g. `confident.threshold` or `seed`. */
  path: string;
  value: unknown;
  origin: NodeOrigin;
  /** Positions of the parts of a map/list value, relative to the value itself. */
  valueOrigins?: OriginMap;
}

/** Applies overrides in order, in place. Paths that match nothing are reported at the entry's
 * key; those entries are skipped so the remaining problems can still be found. Unknown param
 * names are left to schema validation, which then reports them at the entry. */
export function applySetEntries(target: Tracked, entries: SetEntry[]): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const entry of entries) {
    const at = entry.origin.key ?? entry.origin.value;
    const resolved = resolveSetPath(entry.path, target.value);
    if ('error' in resolved) {
      errors.push({ ...at, message: resolved.error });
      continue;
    }
    const done = setAtPath(target.value, resolved.path, cloneJson(entry.value));
    if ('error' in done) {
      errors.push({ ...at, message: `${entry.path}: ${done.error}` });
      continue;
    }
    for (const p of done.created) target.origins.set(p, entry.origin);
    target.origins.deleteUnder(done.path);
    if (entry.valueOrigins) target.origins.graft(done.path, entry.valueOrigins);
    target.origins.set(done.path, entry.origin);
  }
  return errors;
}
