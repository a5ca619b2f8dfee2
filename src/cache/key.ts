// What a cache key is made of. Every part is listed here and stored with the entry, so a miss can
// be explained part by part (Turborepo-style) instead of "the hash changed".
import { hashJson } from './hash.js';

export interface KeyParts {
  stage: string; // stage type
  version: number; // the stage's declared version
  code: string; // hash of the stage's source and the project files it imports
  params: Record<string, unknown>; // resolved, defaults applied
  inputs: Record<string, string>; // input name -> content hash of the artifact it receives
  files: Record<string, string>; // external file name -> sha256 of its bytes
  seed: number;
  backend: string;
}

export const cacheKey = (parts: KeyParts): string => hashJson(parts);

/** The content hash of an artifact: its tensor names and their blob hashes. */
export const artifactHash = (blobs: Record<string, { hash: string }>): string =>
  hashJson(Object.fromEntries(Object.entries(blobs).map(([k, v]) => [k, v.hash])));

/** Human-readable differences between two key parts, e.g. `params.threshold 0.8 -> 0.9`. */
export function diffParts(before: KeyParts, after: KeyParts): string[] {
  const out: string[] = [];
  const show = (v: unknown): string => (v === undefined ? '(none)' : typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? `${v.slice(0, 8)}..` : JSON.stringify(v));
  const walk = (path: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
    if (isObj(a) && isObj(b)) {
      const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
      for (const k of [...keys].sort()) walk(path ? `${path}.${k}` : k, (a as any)[k], (b as any)[k]);
      return;
    }
    out.push(`${path} ${show(a)} -> ${show(b)}`);
  };
  walk('', before, after);
  return out;
}
