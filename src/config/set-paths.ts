// Dotted override paths (`set:`, `--set`, and the keys of `sweep:`/`variants:`):
// `STAGE.PARAM[.DEEPER...]` addresses stages.STAGE.with.PARAM..., a single segment addresses a
// top-level scalar. One segment is never a stage id, so the two forms cannot be confused.
import { didYouMean, listNames } from './suggest.js';
import type { Path } from './origins.js';
import { isObject, setOwn } from './json.js';
import { reservedMessage, reservedSegment } from './limits.js';

export const TOP_LEVEL_SET_KEYS = ['name', 'seed', 'backend'];

// Stage ids are listed only in messages, and a lookup must not cost a pass over them: with many
// stages and many bad paths that would be quadratic. Loading never adds a stage to a config.
const idCache = new WeakMap<object, string[]>();
function idsOf(stages: Record<string, unknown>): string[] {
  let ids = idCache.get(stages);
  if (!ids) {
    ids = Object.keys(stages);
    idCache.set(stages, ids);
  }
  return ids;
}

export type Resolved = { path: Path; stageId?: string; param?: string } | { error: string };

export function resolveSetPath(dotted: string, config: Record<string, unknown>): Resolved {
  const segs = dotted.split('.');
  if (segs.some((s) => s === '')) return { error: `bad set path "${dotted}": empty segment` };
  const reserved = reservedSegment(dotted);
  if (reserved !== undefined) return { error: reservedMessage(dotted, reserved) };
  const stages = isObject(config.stages) ? config.stages : {};
  const ids = (): string[] => idsOf(stages);
  if (segs.length === 1) {
    const [key] = segs;
    if (TOP_LEVEL_SET_KEYS.includes(key)) return { path: [key] };
    if (Object.hasOwn(stages, key)) return { error: `"${key}" is a stage; set one of its params with ${key}.PARAM` };
    return {
      error: `"${key}" is neither a stage id nor a top-level key (${TOP_LEVEL_SET_KEYS.join(', ')})${didYouMean(key, TOP_LEVEL_SET_KEYS) || didYouMean(key, ids())}`,
    };
  }
  const [stageId, ...rest] = segs;
  if (!Object.hasOwn(stages, stageId)) {
    const known = ids().length ? `; stages: ${listNames(ids())}` : '';
    return { error: `unknown stage "${stageId}" in set path "${dotted}"${didYouMean(stageId, ids()) || known}` };
  }
  return { path: ['stages', stageId, 'with', ...rest], stageId, param: rest[0] };
}

/** Writes `value` at `path` inside `root`, creating missing maps on the way. Returns the paths of
 * maps it had to create (they get the override's origin) and the path with list indices as
 * numbers, or an error message. Only own keys are followed: `__proto__` must never lead to
 * Object.prototype. */
export function setAtPath(root: Record<string, unknown>, path: Path, value: unknown): { created: Path[]; path: Path } | { error: string } {
  const created: Path[] = [];
  let cur: unknown = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i];
    const container = cur as Record<string | number, unknown>;
    let next = Object.hasOwn(container, seg) ? container[seg] : undefined;
    if (next === undefined || next === null) {
      next = {};
      setOwn(container as Record<string, unknown>, String(seg), next);
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
  const last = path[path.length - 1];
  if (Array.isArray(cur)) (cur as unknown[])[last as number] = value;
  else setOwn(cur as Record<string, unknown>, String(last), value);
  return { created, path };
}
