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
