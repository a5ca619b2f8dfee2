// Where each value of a merged config was written. The merged config itself is plain JSON (it
// gets hashed for cache keys), so positions live beside it, keyed by the value's path.
import type { Position } from './errors.js';

export type Path = (string | number)[];

/** Position of a value and, for a value under a map key, of that key (an unknown key is best
 * shown at the key, a bad value at the value). */
export interface NodeOrigin {
  value: Position;
  key?: Position;
}

const encode = (path: Path): string => path.map(String).join('\u0000');

export class OriginMap {
  private readonly map = new Map<string, NodeOrigin>();

  set(path: Path, origin: NodeOrigin): void {
    this.map.set(encode(path), origin);
  }

  /** The exact entry, without falling back to an enclosing value. */
  getExact(path: Path): NodeOrigin | undefined {
    return this.map.get(encode(path));
  }

  /** The entry for `path`, or for its nearest ancestor: values filled in by defaults, or built
   * from a `--set` value, are then shown where their enclosing value was written. */
  get(path: Path): NodeOrigin | undefined {
    for (let n = path.length; n >= 0; n--) {
      const o = this.map.get(encode(path.slice(0, n)));
      if (o) return o;
    }
    return undefined;
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
    const p = encode(path);
    for (const k of [...this.map.keys()]) {
      if (k === p || k.startsWith(`${p}\u0000`) || p === '') this.map.delete(k);
    }
  }

  /** Copy `path` and everything below it from another map. */
  copyUnder(from: OriginMap, path: Path): void {
    const p = encode(path);
    for (const [k, v] of from.map) {
      if (k === p || k.startsWith(`${p}\u0000`) || p === '') this.map.set(k, v);
    }
  }

  /** Copy every entry of `from` (recorded relative to the empty path) to below `prefix`. */
  graft(prefix: Path, from: OriginMap): void {
    const p = encode(prefix);
    for (const [k, v] of from.map) this.map.set(k === '' ? p : p === '' ? k : `${p}\u0000${k}`, v);
  }

  /** The entries at and below `path`, re-keyed relative to it (the inverse of `graft`). */
  subtree(path: Path): OriginMap {
    const p = encode(path);
    const out = new OriginMap();
    for (const [k, v] of this.map) {
      if (p === '') out.map.set(k, v);
      else if (k === p) out.map.set('', v);
      else if (k.startsWith(`${p}\u0000`)) out.map.set(k.slice(p.length + 1), v);
    }
    return out;
  }

  clone(): OriginMap {
    const c = new OriginMap();
    for (const [k, v] of this.map) c.map.set(k, v);
    return c;
  }
}

/** A config value (plain JSON) together with where its parts were written. */
export interface Tracked {
  value: Record<string, unknown>;
  origins: OriginMap;
}
