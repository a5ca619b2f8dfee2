// Reading the external files a stage declares (source data). The runner does this, not the stage,
// so the bytes can be hashed into the cache key: changed data is never served from the cache.
import { readFileSync, statSync } from 'node:fs';
import { sha256 } from './hash.js';
import type { StageDef, StageFile } from '../sdk/stage.js';

export interface StageFiles {
  files: Record<string, StageFile>;
  hashes: Record<string, string>;
}

const memo = new Map<string, { stamp: string; bytes: Uint8Array; hash: string }>();

function readHashed(path: string): { bytes: Uint8Array; hash: string } {
  const st = statSync(path);
  const stamp = `${st.size}:${st.mtimeMs}`;
  const hit = memo.get(path);
  if (hit && hit.stamp === stamp) return hit;
  const bytes = readFileSync(path);
  const entry = { stamp, bytes, hash: sha256(bytes) };
  memo.set(path, entry);
  return entry;
}

export function readStageFiles(def: StageDef, params: unknown): StageFiles {
  const out: StageFiles = { files: {}, hashes: {} };
  for (const [name, candidates] of Object.entries(def.files?.(params) ?? {})) {
    const path = candidates.find((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
    if (!path) throw new Error(`${def.type}: missing file "${name}": looked for ${candidates.join(', ')}`);
    const { bytes, hash } = readHashed(path);
    out.files[name] = { path, bytes, sha256: hash };
    out.hashes[name] = hash;
  }
  return out;
}
