// The actions of `pipeline cache ls|show|export|verify|gc` and `pipeline why` (registered in
// cache-commands.ts, imported when one of them runs).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../config/errors.js';
import { shortKey } from '../keys/hash.js';
import { describeEntry, listEntries, openCache, resolveEntry } from '../runner/inspect.js';
import { planGraph } from '../runner/plan.js';
import { prepare } from '../runner/run.js';
import type { Registry } from '../sdk/stage.js';
import { gcCache } from '../store/gc.js';
import { encodeNpy } from '../store/npy.js';
import { defaultCacheRoot, type CacheEntry, type RunCache } from '../store/run-cache.js';
import type { RawTensor } from '../store/tensor-bytes.js';
import { problemCount, verifyCache } from '../store/verify.js';
import { formatDamaged, formatGc, formatList, formatShow, formatVerify, tensorPng } from './cache-view.js';
import { reportError, type ConfigFlags } from './common.js';
import { toJsonText, whyJson } from './json-view.js';
import { formatWhy } from './plan-view.js';

type Stages = () => Promise<Registry>;

const report = (err: unknown): void => {
  process.exitCode = reportError(err);
};

/** Run a command against an existing cache, closing it whatever happens. */
async function withCache(dir: string | undefined, fn: (cache: RunCache) => Promise<void>): Promise<void> {
  try {
    const cache = openCache(resolve(dir ?? defaultCacheRoot()));
    try {
      await fn(cache);
    } finally {
      await cache.close();
    }
  } catch (err) {
    report(err);
  }
}

/** OUTPUT is `output` or `output.tensor`; a bare output must hold exactly one tensor. */
export function pickTensor(cache: RunCache, entry: CacheEntry, spec: string): { name: string; raw: RawTensor } {
  const dot = spec.indexOf('.');
  const output = dot < 0 ? spec : spec.slice(0, dot);
  const tensors = entry.outputs[output];
  if (!tensors) throw new UsageError(`entry ${shortKey(entry.key)} has no output "${output}" (outputs: ${Object.keys(entry.outputs).join(', ')})`);
  const names = Object.keys(tensors);
  const tensor = dot < 0 ? (names.length === 1 ? names[0] : undefined) : spec.slice(dot + 1);
  if (!tensor) throw new UsageError(`output "${output}" holds ${names.length} tensors: name one (${names.map((n) => `${output}.${n}`).join(', ')})`);
  if (!tensors[tensor]) throw new UsageError(`output "${output}" has no tensor "${tensor}" (tensors: ${names.join(', ')})`);
  return { name: `${output}.${tensor}`, raw: cache.blobs.get(tensors[tensor].hash) };
}

export function cacheLs(stages: Stages, flags: { stage?: string; pipeline?: string; json?: boolean; cache?: string }): Promise<void> {
  return withCache(flags.cache, async (c) => {
    const { rows, total, damaged } = await listEntries(c, await stages(), { stage: flags.stage, pipeline: flags.pipeline });
    console.log(flags.json ? JSON.stringify({ entries: rows, totalBytes: total, damaged }, null, 2) : formatList(rows, total));
    if (damaged.length && !flags.json) console.error(formatDamaged(damaged));
  });
}

export function cacheShow(stages: Stages, key: string, flags: { runs: string; json?: boolean; cache?: string }): Promise<void> {
  return withCache(flags.cache, async (c) => {
    const registry = await stages();
    const details = await describeEntry(c, await resolveEntry(c, key, flags.runs), registry);
    console.log(flags.json ? JSON.stringify(details, null, 2) : formatShow(details));
  });
}

export function cacheExport(
  _stages: Stages,
  key: string,
  output: string,
  flags: { png?: string; npy?: string; limit: number; cols?: number; scale: number; runs: string; cache?: string },
): Promise<void> {
  return withCache(flags.cache, async (c) => {
    if (!flags.png && !flags.npy) throw new UsageError('say what to write: --png FILE and/or --npy FILE');
    const entry = await resolveEntry(c, key, flags.runs);
    const { name, raw } = pickTensor(c, entry, output);
    const what = `${name} (${raw.dtype} [${raw.shape.join(', ')}]) of ${shortKey(entry.key)}`;
    if (flags.png) {
      const { png, shown, count } = tensorPng(raw, { limit: flags.limit, cols: flags.cols, scale: flags.scale });
      writeFileSync(flags.png, png);
      console.log(`wrote ${flags.png}: ${what}, ${shown} of ${count} image${count === 1 ? '' : 's'}`);
    }
    if (flags.npy) {
      writeFileSync(flags.npy, encodeNpy(raw));
      console.log(`wrote ${flags.npy}: ${what}`);
    }
  });
}

export function cacheVerify(_stages: Stages, flags: { repair?: boolean; dryRun?: boolean; json?: boolean; cache?: string }): Promise<void> {
  return withCache(flags.cache, async (c) => {
    const r = await verifyCache(c, { dryRun: flags.dryRun, repair: flags.repair });
    console.log(flags.json ? JSON.stringify(r, null, 2) : formatVerify(r));
    if (problemCount(r) > 0) process.exitCode = 1;
  });
}

export function cacheGc(
  _stages: Stages,
  flags: { keepLast?: number; olderThan?: number; maxSize?: number; dryRun?: boolean; json?: boolean; cache?: string },
): Promise<void> {
  return withCache(flags.cache, async (c) => {
    const r = await gcCache(c, { keepLast: flags.keepLast, olderThanMs: flags.olderThan, maxSize: flags.maxSize, dryRun: flags.dryRun });
    console.log(flags.json ? JSON.stringify(r, null, 2) : formatGc(r));
  });
}

export async function why(stages: Stages, file: string, stage: string | undefined, flags: ConfigFlags & { json?: boolean }): Promise<void> {
  try {
    const {
      graph,
      sweep,
      cache: c,
      backend,
      sources,
    } = await prepare({ file, registry: await stages(), set: flags.set, cacheRoot: flags.cache, backend: flags.backend, rehash: flags.rehash }, true);
    try {
      if (stage && !graph.nodes.has(stage)) throw new UsageError(`no stage "${stage}" in ${graph.name} (stages: ${graph.order.join(', ')})`);
      const rows = (await planGraph(graph, c, backend, new Set(), sources)).filter((r) => !stage || r.id === stage);
      console.log(
        flags.json ? toJsonText(whyJson({ pipeline: graph.name, backend, cacheRoot: c.root, variants: sweep?.variants.length, stage, rows })) : formatWhy(rows),
      );
    } finally {
      await c.close();
    }
  } catch (err) {
    report(err);
  }
}
