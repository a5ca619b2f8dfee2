// Where each value of a merged config was written. The merged config itself is plain JSON (it
// gets hashed for cache keys), so positions live beside it, in a tree shaped like the value:
// replacing or copying the part below a path costs the size of that part, not of the whole map,
// so a config with tens of thousands of keys still merges in linear time.
import type { Position } from './errors.js';

export type Path = (string | number)[];

/** Position of a value and, for a value under a map key, of that key (an unknown key is best
 * shown at the key, a bad value at the value). */
export interface NodeOrigin {
  value: Position;
  key?: Position;
}

interface Entry {
  origin?: NodeOrigin;
  kids?: Map<string, Entry>;
}

/** Origins are immutable values, so a copy shares them and copies only the tree. */
function copyInto(dst: Entry, src: Entry): void {
  if (src.origin) dst.origin = src.origin;
  if (!src.kids) return;
  dst.kids ??= new Map();
  for (const [k, kid] of src.kids) {
    let d = dst.kids.get(k);
    if (!d) {
      d = {};
      dst.kids.set(k, d);
    }
    copyInto(d, kid);
  }
}

function copyOf(e: Entry): Entry {
  const out: Entry = {};
  copyInto(out, e);
  return out;
}

export class OriginMap {
  private root: Entry = {};

  private find(path: Path, create: boolean): Entry | undefined {
    let e: Entry = this.root;
    for (const seg of path) {
      const k = String(seg);
      let next = e.kids?.get(k);
      if (!next) {
        if (!create) return undefined;
        next = {};
        e.kids ??= new Map();
        e.kids.set(k, next);
      }
      e = next;
    }
    return e;
  }

  set(path: Path, origin: NodeOrigin): void {
    this.find(path, true)!.origin = origin;
  }

  /** The exact entry, without falling back to an enclosing value. */
  getExact(path: Path): NodeOrigin | undefined {
    return this.find(path, false)?.origin;
  }

  /** The entry for `path`, or for its nearest ancestor: values filled in by defaults, or built
   * from a `--set` value, are then shown where their enclosing value was written. */
  get(path: Path): NodeOrigin | undefined {
    let e: Entry | undefined = this.root;
    let found = e.origin;
    for (const seg of path) {
      e = e.kids?.get(String(seg));
      if (!e) break;
      if (e.origin) found = e.origin;
    }
    return found;
  }

  valuePos(path: Path): Position | undefined {
    return this.get(path)?.value;
  }

  /** The key's position when the exact path has one, else the value's (or an ancestor's). */
  keyPos(path: Path): Position | undefined {
    const exact = this.getExact(path);
    return exact?.key ?? exact?.value ?? this.valuePos(path);
  }

  /** Forget `path` and everything below it: the value there is being replaced. */
  deleteUnder(path: Path): void {
    if (path.length === 0) {
      this.root = {};
      return;
    }
    this.find(path.slice(0, -1), false)?.kids?.delete(String(path[path.length - 1]));
  }

  /** Copy `path` and everything below it from another map. */
  copyUnder(from: OriginMap, path: Path): void {
    const src = from.find(path, false);
    if (src) copyInto(this.find(path, true)!, src);
  }

  /** Copy every entry of `from` (recorded relative to the empty path) to below `prefix`. */
  graft(prefix: Path, from: OriginMap): void {
    copyInto(this.find(prefix, true)!, from.root);
  }

  /** The entries at and below `path`, re-keyed relative to it (the inverse of `graft`). */
  subtree(path: Path): OriginMap {
    const out = new OriginMap();
    const src = this.find(path, false);
    if (src) out.root = copyOf(src);
    return out;
  }

  clone(): OriginMap {
    const c = new OriginMap();
    c.root = copyOf(this.root);
    return c;
  }
}

/** A config value (plain JSON) together with where its parts were written. */
export interface Tracked {
  value: Record<string, unknown>;
  origins: OriginMap;
}
