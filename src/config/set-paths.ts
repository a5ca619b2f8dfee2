// Dotted override paths (`set:`, `--set`, and the keys of `sweep:`/`variants:`):
// `STAGE.PARAM[.DEEPER...]` addresses stages.STAGE.with.PARAM..., a single segment addresses a
// top-level scalar. One segment is never a stage id, so the two forms cannot be confused.
import { didYouMean } from './suggest.js';
import type { Path } from './origins.js';
import { isObject } from './json.js';

export const TOP_LEVEL_SET_KEYS = ['name', 'seed', 'backend'];

export type Resolved = { path: Path; stageId?: string; param?: string } | { error: string };

export function resolveSetPath(dotted: string, config: Record<string, unknown>): Resolved {
  const segs = dotted.split('.');
  if (segs.some((s) => s === '')) return { error: `bad set path "${dotted}": empty segment` };
  const stages = config.stages;
  const ids = stages && typeof stages === 'object' && !Array.isArray(stages) ? Object.keys(stages) : [];
  if (segs.length === 1) {
    const [key] = segs;
    if (TOP_LEVEL_SET_KEYS.includes(key)) return { path: [key] };
    if (ids.includes(key)) return { error: `"${key}" is a stage; set one of its params with ${key}.PARAM` };
    return {
      error: `"${key}" is neither a stage id nor a top-level key (${TOP_LEVEL_SET_KEYS.join(', ')})${didYouMean(key, [...TOP_LEVEL_SET_KEYS, ...ids])}`,
    };
  }
  const [stageId, ...rest] = segs;
  if (!ids.includes(stageId)) {
    const known = ids.length ? `; stages: ${ids.join(', ')}` : '';
    return { error: `unknown stage "${stageId}" in set path "${dotted}"${didYouMean(stageId, ids) || known}` };
  }
  return { path: ['stages', stageId, 'with', ...rest], stageId, param: rest[0] };
}

/** Writes `value` at `path` inside `root`, creating missing maps on the way. Returns the paths of
 * maps it had to create (they get the override's origin) and the path with list indices as
 * numbers, or an error message. */
export function setAtPath(root: Record<string, unknown>, path: Path, value: unknown): { created: Path[]; path: Path } | { error: string } {
  const created: Path[] = [];
  let cur: unknown = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i];
    const container = cur as Record<string | number, unknown>;
    let next = container[seg];
    if (next === undefined || next === null) {
      next = {};
      container[seg] = next;
      created.push(path.slice(0, i + 1));
    }
    if (Array.isArray(next)) {
      const idx = Number(path[i + 1]);
      if (!Number.isInteger(idx) || idx < 0 || idx >= next.length) {
        return { error: `cannot set "${path[i + 1]}": "${seg}" is a list of ${next.length} items` };
      }
      path = [...path.slice(0, i + 1), idx, ...path.slice(i + 2)];
    } else if (!isObject(next)) {
      return { error: `cannot set below "${seg}": it is not a map` };
    }
    cur = next;
  }
  (cur as Record<string | number, unknown>)[path[path.length - 1]] = value;
  return { created, path };
}
