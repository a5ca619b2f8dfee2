// Loading a file and the chain of files it extends into one merged, origin-tracked config.
//
// Order within a file: its parent is loaded (with the parent's own `set:` already applied), the
// file's keys deep-merge over it, then the file's `set:` entries apply. So a parent's `set:`
// is just part of what the parent says, and a child can override it by writing the value.
import * as path from 'node:path';
import { isMap, isScalar } from 'yaml';
import type { ConfigError, Position } from './errors.js';
import { applySetEntries, mergeTracked } from './merge.js';
import type { SetEntry } from './merge.js';
import { OriginMap } from './origins.js';
import type { Tracked } from './origins.js';
import { parseYaml, posOf, readText, toPlain } from './yaml-source.js';
import type { YamlSource } from './yaml-source.js';

export interface LoadState {
  errors: ConfigError[];
  /** Every file read, the requested one first, then what it extends, and so on. */
  files: string[];
  /** A file could not be read or parsed: the merged config would be incomplete, so nothing is
   * validated (it would only add misleading errors). */
  fatal: boolean;
}

interface ExtendsRef {
  pos: Position;
  raw: string;
}

export async function loadLayer(file: string, chain: string[], st: LoadState, ref?: ExtendsRef): Promise<Tracked | undefined> {
  const fail = (e: ConfigError): undefined => {
    st.errors.push(e);
    st.fatal = true;
    return undefined;
  };
  const read = await readText(file);
  if (!read.ok) {
    return fail(ref ? { ...ref.pos, message: `extends: cannot read ${ref.raw}${read.reason}` } : { file, message: `cannot read${read.reason}` });
  }
  st.files.push(file);
  const parsed = parseYaml(file, read.text);
  if (!parsed.source) {
    st.errors.push(...parsed.errors);
    st.fatal = true;
    return undefined;
  }
  const src = parsed.source;
  const root = src.doc.contents;
  if (root !== null && !isMap(root)) {
    return fail({ ...posOf(src, root), message: 'a pipeline file must be a map of keys (name, stages, ...)' });
  }
  const origins = new OriginMap();
  const value = (root === null ? {} : toPlain(src, root, [], origins)) as Record<string, unknown>;
  if (root === null) origins.set([], { value: { file, line: 1, col: 1 } });
  const own: Tracked = { value, origins };

  const setEntries = takeSetBlock(src, own, st);
  let merged = own;
  const ext = take(own, 'extends');
  if (ext !== undefined) {
    const pos = ext.origin.value;
    if (typeof ext.value !== 'string' || ext.value === '') {
      return fail({ ...pos, message: 'extends: expected a file path (relative to this file)' });
    }
    const parentFile = path.resolve(path.dirname(file), ext.value);
    const loop = [...chain, file];
    if (loop.includes(parentFile)) {
      const names = [...loop.slice(loop.indexOf(parentFile)), parentFile].map((f) => path.basename(f));
      return fail({ ...pos, message: `extends: cycle ${names.join(' -> ')}` });
    }
    const parent = await loadLayer(parentFile, loop, st, { pos, raw: ext.value });
    if (!parent) return undefined;
    merged = mergeTracked(parent, own);
  }
  st.errors.push(...applySetEntries(merged, setEntries));
  return merged;
}

/** Removes a directive key from the file's own config; it is not part of the pipeline. */
function take(t: Tracked, key: string): { value: unknown; origin: NonNullable<ReturnType<OriginMap['getExact']>> } | undefined {
  if (!Object.hasOwn(t.value, key)) return undefined;
  const value = t.value[key];
  const origin = t.origins.getExact([key])!;
  delete t.value[key];
  t.origins.deleteUnder([key]);
  return { value, origin };
}

/** The `set:` block as override entries, each with the positions of its key and value. */
function takeSetBlock(src: YamlSource, own: Tracked, st: LoadState): SetEntry[] {
  const taken = take(own, 'set');
  if (taken === undefined || taken.value === null) return [];
  const node = isMap(src.doc.contents) ? src.doc.contents.get('set', true) : undefined;
  if (!isMap(node)) {
    st.errors.push({ ...taken.origin.value, message: 'set: expected a map of STAGE.PARAM: value' });
    return [];
  }
  return node.items.map((pair) => {
    const key = posOf(src, pair.key as never);
    const valueOrigins = new OriginMap();
    const value = pair.value == null ? null : toPlain(src, pair.value, [], valueOrigins, key);
    return {
      path: isScalar(pair.key) ? String(pair.key.value) : String(pair.key),
      value,
      origin: { value: pair.value == null ? key : posOf(src, pair.value as never), key },
      valueOrigins,
    };
  });
}
