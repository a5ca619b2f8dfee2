// Why a stage would miss: its key parts against the NEAREST cached entry of the same stage id (the
// fewest differing parts; ties go to the newest), so the answer names the one or two things that
// changed instead of everything since some unrelated run. `plan` and `why` both use this.
import { shortKey } from '../keys/hash.js';
import { artifactHash, codeDigest, type KeyParts } from '../keys/recipe.js';
import type { CacheEntry } from '../store/entry.js';
import type { IndexStore } from '../store/index-store.js';

const isHash = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const short = (h: string): string => `${shortKey(h)}..`;
const show = (v: unknown): string => (v === undefined ? '(none)' : isHash(v) ? short(v) : JSON.stringify(v));

/** `path a -> b` for every leaf where two JSON values differ (objects are walked, arrays are not). */
function walk(path: string, a: unknown, b: unknown, out: string[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(`${path}.${k}`, a[k], b[k], out);
    return;
  }
  out.push(`${path} ${show(a)} -> ${show(b)}`);
}

/** `code stages/features.ts 3fa2b1c0d9.. -> 91bc07aa12..` per file that changed, was added or went
 * away; an entry from before per-file hashes can only say that the code changed. */
function explainCode(a: KeyParts['code'] | string, b: KeyParts['code'] | string, out: string[]): void {
  if (typeof a === 'string' || typeof b === 'string') {
    if (codeDigest(a) !== codeDigest(b)) out.push(`code ${short(codeDigest(a))} -> ${short(codeDigest(b))} (the entry predates per-file code hashes)`);
    return;
  }
  for (const file of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (a[file] !== b[file]) out.push(`code ${file} ${show(a[file])} -> ${show(b[file])}`);
  }
}

export interface DiffOptions {
  /** The cache key of the entry whose output has this content hash, when there is one. */
  keyOf?: (artifact: string) => string | undefined;
  /** Leave inputs out (their hashes are not known yet: the stage waits for a recomputed input). */
  ignoreInputs?: boolean;
}

/** Human-readable differences, one line per changed part, e.g. `params.threshold 0.8 -> 0.9`,
 * `input model: key 3fa2b1c0d9.. -> 91bc07aa12..`, `stage version 1 -> 2`, `backend wasm -> cpu`. */
export function explainDiff(before: KeyParts, after: KeyParts, opts: DiffOptions = {}): string[] {
  const out: string[] = [];
  if (before.stage !== after.stage) out.push(`stage ${before.stage} -> ${after.stage}`);
  if (before.version !== after.version) out.push(`stage version ${before.version} -> ${after.version}`);
  explainCode(before.code, after.code, out);
  walk('params', before.params ?? {}, after.params ?? {}, out);
  if (!opts.ignoreInputs) {
    const input = (h: string | undefined): string => {
      if (h === undefined) return '(none)';
      const key = opts.keyOf?.(h);
      return key ? `key ${short(key)}` : `content ${short(h)}`;
    };
    const a = before.inputs ?? {};
    const b = after.inputs ?? {};
    for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (a[name] !== b[name]) out.push(`input ${name}: ${input(a[name])} -> ${input(b[name])}`);
    }
  }
  const fa = before.files ?? {};
  const fb = after.files ?? {};
  for (const name of [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort()) {
    if (fa[name] !== fb[name]) out.push(`file ${name} ${show(fa[name])} -> ${show(fb[name])}`);
  }
  if (before.seed !== after.seed) out.push(`seed ${show(before.seed)} -> ${show(after.seed)}`);
  if (before.backend !== after.backend) out.push(`backend ${before.backend} -> ${after.backend}`);
  return out;
}

export interface Explanation {
  /** The entry compared against; undefined when the stage was never computed. */
  nearest?: CacheEntry;
  /** True when no entry has this stage id and the nearest is only of the same stage type. */
  byType: boolean;
  reasons: string[];
}

/** The entries of a cache, read once, to explain any number of misses. */
export class Explainer {
  private readonly producers = new Map<string, CacheEntry>();

  constructor(readonly entries: CacheEntry[]) {
    for (const e of entries) {
      for (const blobs of Object.values(e.outputs)) {
        const h = artifactHash(blobs);
        const prev = this.producers.get(h);
        if (!prev || e.created > prev.created) this.producers.set(h, e);
      }
    }
  }

  static async load(index: IndexStore): Promise<Explainer> {
    return new Explainer(await index.all());
  }

  /** The entry that produced an artifact with this content hash, if the cache has one. */
  producerOf(artifact: string): CacheEntry | undefined {
    return this.producers.get(artifact);
  }

  /** Compare `parts` with the nearest entry recorded for one of `stageIds` (else of the same type). */
  explain(stageIds: string[], parts: KeyParts, opts: { ignoreInputs?: boolean } = {}): Explanation {
    const ids = new Set(stageIds);
    let candidates = this.entries.filter((e) => ids.has(e.stageId) || (e.lastRun && ids.has(e.lastRun.stageId)));
    const byType = candidates.length === 0;
    if (byType) candidates = this.entries.filter((e) => e.stageType === parts.stage);
    const diff = { keyOf: (h: string) => this.producerOf(h)?.key, ignoreInputs: opts.ignoreInputs };
    let best: { entry: CacheEntry; reasons: string[] } | undefined;
    for (const entry of candidates) {
      const reasons = explainDiff(entry.parts, parts, diff);
      if (!best || reasons.length < best.reasons.length || (reasons.length === best.reasons.length && entry.created > best.entry.created)) {
        best = { entry, reasons };
      }
    }
    if (!best) return { byType, reasons: opts.ignoreInputs ? [] : ['never computed'] };
    const reasons = [...best.reasons];
    if (byType)
      reasons.unshift(
        `no entry for stage ${stageIds[0]}; nearest ${parts.stage} entry is ${short(best.entry.key)} (${best.entry.stageId} in ${best.entry.pipeline})`,
      );
    if (!opts.ignoreInputs && best.reasons.length === 0) reasons.push('cache entry missing or damaged');
    return { nearest: best.entry, byType, reasons };
  }
}
