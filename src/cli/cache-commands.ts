// `pipeline cache ls|show|export|verify|gc` and `pipeline why`: look into the cache, take tensors
// out of it, keep it healthy and small, and say why a stage would be recomputed.
// Exit status: 0 ok, 1 verify found damage (it was repaired) or the cache failed, 2 bad input
// (unknown key, bad option).
//
// This file registers the commands only; their actions are in cache-actions.ts, imported when
// one of them runs.
import type { Command } from '#commander';
import type { Registry } from '../sdk/stage.js';
import type * as Actions from './cache-actions.js';
import { WHY_JSON_HELP } from './json-view.js';
import { CACHE_HELP, configOptions, parsed, parseDuration, parseSize, positiveNumber, wholeNumber } from './options.js';

type ActionName = 'cacheLs' | 'cacheShow' | 'cacheExport' | 'cacheVerify' | 'cacheGc' | 'why';

export function registerCacheCommands(program: Command, stages: () => Promise<Registry>): void {
  const act =
    (name: ActionName) =>
    async (...args: unknown[]): Promise<void> => {
      const actions: typeof Actions = await import('./cache-actions.js');
      await (actions[name] as (s: typeof stages, ...a: unknown[]) => Promise<void>)(stages, ...args);
    };

  const cache = program.command('cache').description('inspect and manage the cache: ls, show, export, verify, gc');

  cache
    .command('ls')
    .description('list cache entries, most recently used first: key, stage, non-default params, size, dates')
    .option('--stage <type>', 'only entries of this stage type (or stage id)')
    .option('--pipeline <name>', 'only entries made or last used in this pipeline')
    .option('--json', 'print JSON for scripts')
    .option('--cache <dir>', CACHE_HELP)
    .action(act('cacheLs'));

  cache
    .command('show <key>')
    .description(
      'one entry in full: params, inputs (and the entries they came from), output tensors with statistics, metrics, timings. KEY is a unique key prefix or RUN-ID/STAGE',
    )
    .option('--runs <dir>', 'run folders, for RUN-ID/STAGE', 'runs')
    .option('--json', 'print JSON for scripts')
    .option('--cache <dir>', CACHE_HELP)
    .action(act('cacheShow'));

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
    .action(act('cacheExport'));

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
    .action(act('cacheVerify'));

  cache
    .command('gc')
    .description('delete blobs and tmp files no entry reaches, after evicting entries by the policies given; safe while pipelines run')
    .option('--keep-last <n>', 'keep the N most recently used entries of each stage (per pipeline and stage id)', wholeNumber)
    .option('--older-than <age>', 'evict entries not used for this long: 90s, 30m, 12h, 7d, 2w', parsed(parseDuration))
    .option('--max-size <size>', 'evict least recently used entries until the cache fits: 500MB, 2GB (1 KB = 1024 B)', parsed(parseSize))
    .option('--dry-run', 'say what would be freed, change nothing')
    .option('--json', 'print JSON for scripts')
    .option('--cache <dir>', CACHE_HELP)
    .action(act('cacheGc'));

  configOptions(
    program.command('why <file> [stage]').description('for each stage that would be computed, what differs from the nearest cached entry of that stage'),
  )
    .option('--json', 'print one JSON document (mlpipe.why/1) instead of text')
    .addHelpText('after', WHY_JSON_HELP)
    .action(act('why'));
}
