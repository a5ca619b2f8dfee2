// Reading one pipeline file: parse with the `yaml` package, keeping the node tree and a
// LineCounter, so every value of the plain result can be traced back to FILE:LINE:COL.
import { readFile } from 'node:fs/promises';
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node } from 'yaml';
import type { ConfigError, Position } from './errors.js';
import type { OriginMap, Path } from './origins.js';
import { setOwn } from './json.js';

export interface YamlSource {
  file: string;
  doc: Document;
  lc: LineCounter;
}

export type ReadResult = { ok: true; text: string } | { ok: false; reason: string };

export async function readText(file: string): Promise<ReadResult> {
  try {
    return { ok: true, text: await readFile(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' || code === undefined ? '' : ` (${code})` };
  }
}

/** The yaml package's messages end in " at line L, column C:" and a code excerpt; the position
 * is printed separately, so keep only the first sentence. */
export function cleanMessage(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?\s*$/, '');
}

/** Parses one file; all syntax errors are returned (none thrown), each at its own position. */
export function parseYaml(file: string, text: string): { source?: YamlSource; errors: ConfigError[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true });
  const errors = doc.errors.map((e): ConfigError => {
    const lp = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
    return { file, line: lp.line, col: lp.col, message: `YAML: ${cleanMessage(e.message)}` };
  });
  return errors.length > 0 ? { errors } : { source: { file, doc, lc }, errors };
}

export function posOf(src: YamlSource, node: Node | null | undefined): Position {
  const offset = node?.range?.[0];
  if (offset === undefined) return { file: src.file, line: 1, col: 1 };
  const { line, col } = src.lc.linePos(offset);
  // linePos reports line 0 for offsets before the first newline it saw.
  return { file: src.file, line: Math.max(line, 1), col };
}

/** Converts a node to plain JSON, recording the position of every value (and map key) under
 * `path` in `origins`. Aliases are resolved to the value they name, shown at the alias. */
export function toPlain(src: YamlSource, node: unknown, path: Path, origins: OriginMap, keyPos?: Position): unknown {
  const at = posOf(src, node as Node | undefined);
  origins.set(path, keyPos ? { value: at, key: keyPos } : { value: at });
  const target = isAlias(node) ? node.resolve(src.doc) : node;
  if (isMap(target)) {
    const out: Record<string, unknown> = {};
    for (const pair of target.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const kp = posOf(src, pair.key as Node);
      // `key:` with nothing after it has no value node: show it at the key.
      const valueNode = pair.value ?? pair.key;
      setOwn(out, key, pair.value == null ? null : toPlain(src, valueNode, [...path, key], origins, kp));
      if (pair.value == null) origins.set([...path, key], { value: kp, key: kp });
    }
    return out;
  }
  if (isSeq(target)) {
    return target.items.map((item, i) => toPlain(src, item, [...path, i], origins));
  }
  if (isScalar(target)) {
    const v = target.value;
    return typeof v === 'bigint' ? Number(v) : v;
  }
  return null;
}
