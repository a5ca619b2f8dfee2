// `pipeline cache ls|show|export|verify|gc` and `pipeline why`: look into the cache, take tensors
// out of it, keep it healthy and small, and say why a stage would be recomputed.
// Exit status: 0 ok, 1 verify found damage (it was repaired) or the cache failed, 2 bad input
// (unknown key, bad option).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../config/index.js';
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
import { CACHE_HELP, configOptions, parsed, parseDuration, parseSize, positiveNumber, reportError, wholeNumber, type ConfigFlags } from './common.js';
import { WHY_JSON_HELP, whyJson, toJsonText } from './json-view.js';
import { formatWhy } from './plan-view.js';

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

export function registerCacheCommands(program: Command, stages: () => Promise<Registry>): void {
  const cache = program.command('cache').description('inspect and manage the cache: ls, show, export, verify, gc');

  cache
    .command('ls')
    .description('list cache entries, most recently used first: key, stage, non-default params, size, dates')
    .option('--stage <type>', 'only entries of this stage type (or stage id)')
    .option('--pipeline <name>', 'only entries made or last used in this pipeline')
    .option('--json', 'print JSON for scripts')
    .option('--cache <dir>', CACHE_HELP)
    .action((flags: { stage?: string; pipeline?: string; json?: boolean; cache?: string }) =>
      withCache(flags.cache, async (c) => {
        const { rows, total, damaged } = await listEntries(c, await stages(), { stage: flags.stage, pipeline: flags.pipeline });
        console.log(flags.json ? JSON.stringify({ entries: rows, totalBytes: total, damaged }, null, 2) : formatList(rows, total));
        if (damaged.length && !flags.json) console.error(formatDamaged(damaged));
      }),
    );

  cache
    .command('show <key>')
    .description(
      'one entry in full: params, inputs (and the entries they came from), output tensors with statistics, metrics, timings. KEY is a unique key prefix or RUN-ID/STAGE',
    )
    .option('--runs <dir>', 'run folders, for RUN-ID/STAGE', 'runs')
    .option('--json', 'print JSON for scripts')
    .option('--cache <dir>', CACHE_HELP)
    .action((key: string, flags: { runs: string; json?: boolean; cache?: string }) =>
      withCache(flags.cache, async (c) => {
        const registry = await stages();
        const details = await describeEntry(c, await resolveEntry(c, key, flags.runs), registry);
        console.log(flags.json ? JSON.stringify(details, null, 2) : formatShow(details));
      }),
    );

  cache
    .command('export <key> <output>')
    .description('write one output tensor as a PNG grid of images and/or a NumPy .npy file. OUTPUT is `output` or `output.tensor`')
    .option('--png <file>', 'grid of the images the tensor holds ([n,784], [n,h,w], [h,w])')
    .option('--npy <file>', 'NumPy .npy file (numpy.load opens it)')
    .option('--limit <n>', 'at most this many images in the PNG', positiveNumber, 100)
    .option('--cols <n>', 'images per row in the PNG (default: a square grid)', positiveNumber)
    .option('--scale <n>', 'PNG pixels per tensor value', positiveNumber, 2)
    .option('--runs <dir>', 'run folders, for RUN-ID/STAGE', 'runs')
    .option('--cache <dir>', CACHE_HELP)
    .action((key: string, output: string, flags: { png?: string; npy?: string; limit: number; cols?: number; scale: number; runs: string; cache?: string }) =>
      withCache(flags.cache, async (c) => {
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
      }),
    );

  cache
    .command('verify')
    .description(
      're-hash every blob; delete corrupt ones, evict the entries that use a corrupt or missing blob and remove index rows that are not readable entries; ' +
        'blobs that cannot be read (a folder in their place, no permission) are reported and left alone (exit 1 when anything was found)',
    )
    .option(
      '--repair',
      'also when the index itself is damaged (not SQLite, cannot be opened, fails its integrity check): move it aside to index.sqlite.damaged-TIME ' +
        'and start an empty one; blobs are kept and `cache gc` removes the ones no entry uses (not while pipelines use this cache)',
    )
    .option('--dry-run', 'report only, change nothing')
    .option('--json', 'print JSON for scripts')
    .option('--cache <dir>', CACHE_HELP)
    .action((flags: { repair?: boolean; dryRun?: boolean; json?: boolean; cache?: string }) =>
      withCache(flags.cache, async (c) => {
        const r = await verifyCache(c, { dryRun: flags.dryRun, repair: flags.repair });
        console.log(flags.json ? JSON.stringify(r, null, 2) : formatVerify(r));
        if (problemCount(r) > 0) process.exitCode = 1;
      }),
    );

  cache
    .command('gc')
    .description('delete blobs and tmp files no entry reaches, after evicting entries by the policies given; safe while pipelines run')
    .option('--keep-last <n>', 'keep the N most recently used entries of each stage (per pipeline and stage id)', wholeNumber)
    .option('--older-than <age>', 'evict entries not used for this long: 90s, 30m, 12h, 7d, 2w', parsed(parseDuration))
    .option('--max-size <size>', 'evict least recently used entries until the cache fits: 500MB, 2GB (1 KB = 1024 B)', parsed(parseSize))
    .option('--dry-run', 'say what would be freed, change nothing')
    .option('--json', 'print JSON for scripts')
    .option('--cache <dir>', CACHE_HELP)
    .action((flags: { keepLast?: number; olderThan?: number; maxSize?: number; dryRun?: boolean; json?: boolean; cache?: string }) =>
      withCache(flags.cache, async (c) => {
        const r = await gcCache(c, { keepLast: flags.keepLast, olderThanMs: flags.olderThan, maxSize: flags.maxSize, dryRun: flags.dryRun });
        console.log(flags.json ? JSON.stringify(r, null, 2) : formatGc(r));
      }),
    );

  configOptions(
    program.command('why <file> [stage]').description('for each stage that would be computed, what differs from the nearest cached entry of that stage'),
  )
    .option('--json', 'print one JSON document (mlpipe.why/1) instead of text')
    .addHelpText('after', WHY_JSON_HELP)
    .action(async (file: string, stage: string | undefined, flags: ConfigFlags & { json?: boolean }) => {
      try {
        const {
          graph,
          sweep,
          cache: c,
          backend,
        } = await prepare({ file, registry: await stages(), set: flags.set, cacheRoot: flags.cache, backend: flags.backend }, true);
        try {
          if (stage && !graph.nodes.has(stage)) throw new UsageError(`no stage "${stage}" in ${graph.name} (stages: ${graph.order.join(', ')})`);
          const rows = (await planGraph(graph, c, backend, new Set())).filter((r) => !stage || r.id === stage);
          console.log(
            flags.json
              ? toJsonText(whyJson({ pipeline: graph.name, backend, cacheRoot: c.root, variants: sweep?.variants.length, stage, rows }))
              : formatWhy(rows),
          );
        } finally {
          await c.close();
        }
      } catch (err) {
        report(err);
      }
    });
}
