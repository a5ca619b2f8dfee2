// Loading a file and the chain of files it extends into one merged, origin-tracked config.
//
// Order within a file: its parent is loaded (with the parent's own `set:` already applied), the
// file's keys deep-merge over it, then the file's `set:` entries apply. So a parent's `set:`
// is just part of what the parent says, and a child can override it by writing the value.
import * as path from 'node:path';
import { isMap } from '#yaml';
import type { ConfigError, Position } from './errors.js';
import { isObject } from './json.js';
import { MAX_EXTENDS, MAX_FILE_BYTES } from './limits.js';
import { applySetEntries, mergeTracked } from './merge.js';
import type { SetEntry } from './merge.js';
import { OriginMap } from './origins.js';
import type { NodeOrigin, Tracked } from './origins.js';
import { readText } from './read-file.js';
import { toPlain } from './to-plain.js';
import { parseYaml, posOf } from './yaml-source.js';

export interface LoadState {
  errors: ConfigError[];
  /** Every file read, the requested one first, then what it extends, and so on. */
  files: string[];
  /** A file could not be read or parsed: the merged config would be incomplete, so nothing is
   * validated (it would only add misleading errors). */
  fatal: boolean;
  /** Bytes read so far: the files of one chain share MAX_FILE_BYTES. */
  bytes: number;
}

interface ExtendsRef {
  pos: Position;
  raw: string;
}

export async function loadLayer(file: string, chain: string[], st: LoadState, ref?: ExtendsRef): Promise<Tracked | undefined> {
  const fail = (...errors: ConfigError[]): undefined => {
    st.errors.push(...errors);
    st.fatal = true;
    return undefined;
  };
  const read = await readText(file, MAX_FILE_BYTES - st.bytes);
  if (!read.ok) {
    return fail(ref ? { ...ref.pos, message: `extends: cannot read ${ref.raw}${read.reason}` } : { file, message: `cannot read${read.reason}` });
  }
  st.files.push(file);
  st.bytes += read.bytes;
  const parsed = parseYaml(file, read.text);
  if (!parsed.source) return fail(...parsed.errors);
  const src = parsed.source;
  const root = src.doc.contents;
  if (root !== null && !isMap(root)) {
    return fail({ ...posOf(src, root), message: 'a pipeline file must be a map of keys (name, stages, ...)' });
  }
  const origins = new OriginMap();
  const plain = root === null ? { value: {}, errors: [] } : toPlain(src, root, [], origins);
  if (plain.errors.length > 0) return fail(...plain.errors);
  if (root === null) origins.set([], { value: { file, line: 1, col: 1 } });
  const own: Tracked = { value: plain.value as Record<string, unknown>, origins };

  const setEntries = takeSetBlock(own, st);
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
    if (loop.length >= MAX_EXTENDS) return fail({ ...pos, message: `extends: a chain of more than ${MAX_EXTENDS} files is not allowed` });
    const parent = await loadLayer(parentFile, loop, st, { pos, raw: ext.value });
    if (!parent) return undefined;
    merged = mergeTracked(parent, own);
  }
  st.errors.push(...applySetEntries(merged, setEntries));
  return merged;
}

/** Removes a directive key from the file's own config; it is not part of the pipeline. */
function take(t: Tracked, key: string): { value: unknown; origin: NodeOrigin; origins: OriginMap } | undefined {
  if (!Object.hasOwn(t.value, key)) return undefined;
  const value = t.value[key];
  const origin = t.origins.getExact([key])!;
  const origins = t.origins.subtree([key]);
  delete t.value[key];
  t.origins.deleteUnder([key]);
  return { value, origin, origins };
}

/** The `set:` block as override entries, each with the positions of its key and value. */
function takeSetBlock(own: Tracked, st: LoadState): SetEntry[] {
  const taken = take(own, 'set');
  if (taken === undefined || taken.value === null) return [];
  if (!isObject(taken.value)) {
    st.errors.push({ ...taken.origin.value, message: 'set: expected a map of STAGE.PARAM: value' });
    return [];
  }
  return Object.keys(taken.value).map((key) => ({
    path: key,
    value: (taken.value as Record<string, unknown>)[key],
    origin: taken.origins.getExact([key])!,
    valueOrigins: taken.origins.subtree([key]),
  }));
}
