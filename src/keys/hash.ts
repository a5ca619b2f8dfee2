// Canonical JSON and sha256: the two primitives every cache key is made of. Canonical means sorted
// keys and no whitespace, so YAML key order or formatting can never change a key.
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new Error(`cannot hash non-finite number ${value}`);
  }
  return value;
}

/** Node's one-shot hash (20.12+, 21.7+): the same digest, without a Hash object per call; a sweep
 * hashes hundreds of thousands of small strings. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }).hash;

export function sha256(data: string | Uint8Array): string {
  return oneShot ? oneShot('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');
}

export function hashJson(value: unknown): string {
  return sha256(canonicalJson(value));
}

export const shortKey = (key: string): string => key.slice(0, 10);
