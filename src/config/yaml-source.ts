// Reading one pipeline file: parse with the `yaml` package, keeping the node tree and a
// LineCounter, so every value of the plain result can be traced back to FILE:LINE:COL.
import { type Document, isAlias, isScalar, LineCounter, parseDocument, visit } from '#yaml';
import type { Alias, Node } from '#yaml';
import type { ConfigError, Position } from './errors.js';
import { MAX_DEPTH } from './limits.js';
import { tooDeepAt } from './nesting.js';

export interface YamlSource {
  file: string;
  doc: Document;
  lc: LineCounter;
  /** false for text that is not a file (a `--set` value): its values have no line. */
  positioned: boolean;
  /** Each alias and the node it names, made on first use (see anchorOf). */
  anchors?: Map<Alias, Node | undefined>;
  /** Values made by expanding aliases so far, against MAX_ALIAS_NODES. */
  expanded: number;
}

/** The yaml package's messages end in " at line L, column C:" and a code excerpt; the position
 * is printed separately, so keep only the first sentence. */
export function cleanMessage(message: string): string {
  const first = message.split('\n')[0].replace(/ at line \d+, column \d+:?\s*$/, '');
  // The parser recurses per level and reports its own stack running out.
  return /maximum call stack/i.test(first) ? `nested too deeply (at most ${MAX_DEPTH} levels)` : first;
}

/** The text of a map key as the plain config spells it, for scalar keys. */
export const keyText = (key: unknown): string | undefined => (isScalar(key) ? String(key.value) : undefined);

/** The yaml package checks duplicate keys by comparing each key with every earlier one, which
 * takes seconds for a map of 20,000 keys; this does the same check with a set. Keys are compared
 * as the plain config will see them, so `1` and `"1"` are duplicates too. */
function duplicateKeys(src: YamlSource): ConfigError[] {
  const errors: ConfigError[] = [];
  visit(src.doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const k = keyText(pair.key);
        if (k === undefined) continue;
        if (seen.has(k)) errors.push({ ...posOf(src, pair.key as Node), message: `${src.positioned ? 'YAML: ' : ''}Map keys must be unique` });
        seen.add(k);
      }
    },
  });
  return errors;
}

/** Parses one file; all syntax errors are returned (none thrown), each at its own position. */
export function parseYaml(file: string, text: string, positioned = true): { source?: YamlSource; errors: ConfigError[] } {
  const deep = tooDeepAt(text);
  if (deep !== undefined) {
    const before = text.slice(0, deep);
    const line = before.split('\n').length;
    const where = positioned ? { file, line, col: deep - before.lastIndexOf('\n') } : { file };
    return { errors: [{ ...where, message: `${positioned ? 'YAML: ' : ''}nested too deeply (at most ${MAX_DEPTH} levels)` }] };
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: false });
  const source: YamlSource = { file, doc, lc, positioned, expanded: 0 };
  const errors = doc.errors.map((e): ConfigError => {
    const lp = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
    return positioned ? { file, line: lp.line, col: lp.col, message: `YAML: ${cleanMessage(e.message)}` } : { file, message: cleanMessage(e.message) };
  });
  try {
    errors.push(...duplicateKeys(source));
  } catch (err) {
    // A document the parser gave up on for depth can be too deep to walk: its error is enough.
    if (!(err instanceof RangeError) || errors.length === 0) throw err;
  }
  return errors.length > 0 ? { errors } : { source, errors };
}

/** The node an alias names: the last node with that anchor before the alias. yaml's own
 * `Alias.resolve` walks the whole document for each call; this walks it once. */
export function anchorOf(src: YamlSource, alias: Alias): Node | undefined {
  if (!src.anchors) {
    const anchors = new Map<Alias, Node | undefined>();
    const last = new Map<string, Node>();
    visit(src.doc, {
      Node(_, node) {
        if (isAlias(node)) anchors.set(node, last.get(node.source));
        else if (node.anchor) last.set(node.anchor, node);
      },
    });
    src.anchors = anchors;
  }
  return src.anchors.get(alias);
}

export function posOf(src: YamlSource, node: Node | null | undefined): Position {
  const offset = node?.range?.[0];
  if (!src.positioned) return { file: src.file };
  if (offset === undefined) return { file: src.file, line: 1, col: 1 };
  const { line, col } = src.lc.linePos(offset);
  // linePos reports line 0 for offsets before the first newline it saw.
  return { file: src.file, line: Math.max(line, 1), col };
}
