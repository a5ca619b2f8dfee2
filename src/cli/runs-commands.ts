// `pipeline runs ls|show|compare` and `pipeline report`: the run folders read back. A run is named
// as its manifest records it (see findRun in src/runner/runs.ts). Exit status: 0 ok, 1 a record
// cannot be read or a report is missing, 2 bad input (unknown or ambiguous run id).
import type { Command } from '#commander';
import { lazyAction } from './options.js';

export const RUNS_FORMAT = 'mlpipe.runs/1';
export const RUN_RECORD_FORMAT = 'mlpipe.run-record/1';
export const COMPARE_FORMAT = 'mlpipe.compare/1';

const RUNS_HELP = 'runs root: where the run folders are';
const NOTE = 'Nothing else is printed on stdout; errors go to stderr. Absent values are null.';

const LS_JSON_HELP = `
--json prints one JSON document (${RUNS_FORMAT}), runs newest first:
  { "format": "${RUNS_FORMAT}", "runsRoot": absolute path,
    "runs": [{ "kind": "run"|"sweep"|"damaged", "id" (as the manifest records it), "pipeline",
               "dir" (absolute), "started" (ISO time, null if unknown), "status": "ok"|"failed"|"interrupted"|"damaged",
               "counts": { "computed", "cached", "failed" } (stages; a sweep: stage instances, each once),
               "metrics": { "stage.metric": number } (every headline metric; {} for a sweep),
               "report": absolute path of report.html (sweep.html for a sweep) or null when missing,
               "error": what is wrong with a damaged record, else null,
               "variants": [runs of the same shape] (a sweep only) }] }
  ${NOTE}`;

const SHOW_JSON_HELP = `
--json prints one JSON document (${RUN_RECORD_FORMAT}):
  { "format": "${RUN_RECORD_FORMAT}", "kind": "run"|"sweep", "id", "pipeline", "dir", "report" (or null),
    "manifest": manifest.json as written (a run),
    "sweep": sweep.json as written or null, "variants": [as in runs ls --json] (a sweep) }
  ${NOTE}`;

const COMPARE_JSON_HELP = `
--json prints one JSON document (${COMPARE_FORMAT}), runs in the order given (a sweep: its variants):
  { "format": "${COMPARE_FORMAT}", "runs": [{ "id", "pipeline", "dir", "status" }],
    "params": { "differing": [{ "path": "stage.param", "values": [one per run, null when absent] }],
                "equal": number of paths with one value in every run },
    "metrics": [{ "name": "stage.metric", "values": [number|null, one per run],
                  "diff": second minus first (two runs only), else null }] }
  ${NOTE}`;

const actions = () => import('./runs-actions.js');

export function registerRunsCommands(program: Command): void {
  const runs = program.command('runs').description('the run folders: ls, show, compare (ids as `runs ls` prints them; a unique prefix will do)');

  runs
    .command('ls')
    .description('list runs, newest first: id, pipeline, time, status, stages computed and cached, headline metrics; a sweep is followed by its variants')
    .option('--pipeline <name>', 'only the runs of this pipeline')
    .option('--json', `print one JSON document (${RUNS_FORMAT}) instead of text`)
    .option('--runs <dir>', RUNS_HELP, 'runs')
    .addHelpText('after', LS_JSON_HELP)
    .action(lazyAction(actions, 'runsLs'));

  runs
    .command('show <id>')
    .description('one run in full: header, config, and per stage its type, status, key, time, all metrics, pictures, error; a sweep: its variants')
    .option('--json', `print one JSON document (${RUN_RECORD_FORMAT}) instead of text`)
    .option('--runs <dir>', RUNS_HELP, 'runs')
    .addHelpText('after', SHOW_JSON_HELP)
    .action(lazyAction(actions, 'runsShow'));

  runs
    .command('compare <ids...>')
    .description('the params that differ between runs (stage.param), then every headline metric side by side; a sweep id compares all its variants')
    .option('--json', `print one JSON document (${COMPARE_FORMAT}) instead of text`)
    .option('--runs <dir>', RUNS_HELP, 'runs')
    .addHelpText('after', COMPARE_JSON_HELP)
    .action(lazyAction(actions, 'runsCompare'));

  program
    .command('report <id>')
    .description("print the path of a run's report.html (a sweep's sweep.html); --open also opens it")
    .option('--open', 'open it with the system opener (xdg-open, open, start; $PIPELINE_OPENER overrides)')
    .option('--runs <dir>', RUNS_HELP, 'runs')
    .action(lazyAction(actions, 'reportAction'));
}
