// YAML nodes -> plain JSON, recording where every value (and map key) was written. Aliases are
// expanded here, so this is where a document that names itself, or expands to millions of
// values from a few lines of text, is stopped: at the alias, before the work is done.
import { isAlias, isMap, isScalar, isSeq } from '#yaml';
import type { Alias, Node } from '#yaml';
import type { ConfigError } from './errors.js';
import { setOwn } from './json.js';
import { MAX_ALIAS_NODES, MAX_DEPTH, MAX_FILE_BYTES, MAX_FILE_TEXT, reservedMessage, reservedSegment } from './limits.js';
import { OriginMap } from './origins.js';
import type { Path } from './origins.js';
import type { Position } from './errors.js';
import { anchorOf, keyText, parseYaml, posOf } from './yaml-source.js';
import type { YamlSource } from './yaml-source.js';

/** Ends the conversion: what follows would only repeat the problem, or take too long. */
class Stop {
  constructor(readonly error: ConfigError) {}
}

interface Walk {
  src: YamlSource;
  origins: OriginMap;
  errors: ConfigError[];
  /** The maps and lists being converted, outermost first: an alias to one of them is a loop. */
  open: Set<Node>;
}

/** Converts `node` (found at `path`, under a key at `keyPos`) to plain JSON. With any error the
 * value is incomplete and must not be used. */
export function toPlain(src: YamlSource, node: unknown, path: Path, origins: OriginMap, keyPos?: Position): { value: unknown; errors: ConfigError[] } {
  const w: Walk = { src, origins, errors: [], open: new Set() };
  try {
    return { value: convert(w, node as Node, path, keyPos, 0, undefined), errors: w.errors };
  } catch (err) {
    if (err instanceof Stop) return { value: null, errors: [...w.errors, err.error] };
    throw err;
  }
}

const at = (w: Walk, node: Node | null | undefined, message: string): ConfigError => ({ ...posOf(w.src, node), message });

/** Counts one value made by expanding `via`, the outermost alias being expanded. */
function spend(w: Walk, via: Alias | undefined): void {
  if (via && ++w.src.expanded > MAX_ALIAS_NODES) {
    throw new Stop(at(w, via, `alias *${via.source}: aliases in this file expand to more than ${MAX_ALIAS_NODES} values; write the values out instead`));
  }
}

function resolveAlias(w: Walk, alias: Alias): Node {
  const target = anchorOf(w.src, alias);
  if (!target) throw new Stop(at(w, alias, `alias *${alias.source}: no anchor &${alias.source} before it`));
  if (w.open.has(target)) throw new Stop(at(w, alias, `alias *${alias.source} is inside the value &${alias.source} it names: a value cannot contain itself`));
  return target;
}

/** The key as a string, or undefined after recording why it cannot be one. */
function keyOf(w: Walk, keyNode: unknown): string | undefined {
  const node = isAlias(keyNode) ? resolveAlias(w, keyNode) : (keyNode as Node | null);
  const key = node == null ? 'null' : keyText(node);
  if (key === undefined) {
    w.errors.push(at(w, keyNode as Node, 'a key must be a single value (a name or a number), not a list or a map'));
    return undefined;
  }
  const reserved = reservedSegment(key);
  if (reserved !== undefined) {
    w.errors.push(at(w, keyNode as Node, reservedMessage(key, reserved)));
    return undefined;
  }
  return key;
}

function convert(w: Walk, node: Node | null, path: Path, keyPos: Position | undefined, depth: number, via: Alias | undefined): unknown {
  spend(w, via);
  if (depth > MAX_DEPTH) throw new Stop(at(w, node, `nested more than ${MAX_DEPTH} levels deep`));
  const pos = posOf(w.src, node);
  w.origins.set(path, keyPos ? { value: pos, key: keyPos } : { value: pos });
  // An alias's value is shown at the alias; its parts where the anchored value wrote them.
  let target = node;
  if (isAlias(node)) {
    target = resolveAlias(w, node);
    via ??= node;
  }
  if (isMap(target)) {
    w.open.add(target);
    const out: Record<string, unknown> = {};
    for (const pair of target.items) {
      const key = keyOf(w, pair.key);
      if (key === undefined) continue;
      const kp = posOf(w.src, pair.key as Node);
      const sub = [...path, key];
      if (pair.value == null) {
        // `key:` with nothing after it has no value node: show it at the key.
        spend(w, via);
        setOwn(out, key, null);
        w.origins.set(sub, { value: kp, key: kp });
      } else {
        setOwn(out, key, convert(w, pair.value as Node, sub, kp, depth + 1, via));
      }
    }
    w.open.delete(target);
    return out;
  }
  if (isSeq(target)) {
    w.open.add(target);
    const out = target.items.map((item, i) => convert(w, item as Node, [...path, i], undefined, depth + 1, via));
    w.open.delete(target);
    return out;
  }
  if (isScalar(target)) {
    const v = target.value;
    return typeof v === 'bigint' ? Number(v) : v;
  }
  return null;
}

/** A value given on the command line (`--set`, `--sweep`), read as YAML under the same limits as
 * a file; `file` names the argument. Returns the value, or the first problem (`syntax` when the
 * text is not YAML at all). */
export function plainValue(file: string, text: string): { value: unknown } | { error: string; syntax: boolean } {
  if (text.length > MAX_FILE_BYTES) return { error: `the value is longer than ${MAX_FILE_TEXT}`, syntax: false };
  const parsed = parseYaml(file, text, false);
  if (!parsed.source) return { error: parsed.errors[0].message, syntax: true };
  const { value, errors } = toPlain(parsed.source, parsed.source.doc.contents, [], new OriginMap());
  return errors.length > 0 ? { error: errors[0].message, syntax: false } : { value };
}
