#!/usr/bin/env node
// The `pipeline` command. Exit status: 0 ok, 1 a stage failed, 2 bad input (config, usage).
//
// Registering the commands imports commander and small modules only: each action imports what
// it needs when it runs (lazyAction), so `pipeline --help` and `--version` load no tfjs, yaml,
// ajv or sqlite, and only a stage that computes starts a tensor backend (src/runner/run.ts).
import { cpus } from 'node:os';
import { Command } from '#commander';
import { packageInfo } from '../runner/package-info.js';
import { loadRegistry } from '../runner/stage-plugins.js';
import { registerCacheCommands } from './cache-commands.js';
import { registerDiscoverCommands } from './discover-commands.js';
import { PLAN_JSON_HELP, RUN_JSON_HELP } from './json-view.js';
import { collect, configOptions, lazyAction, positiveNumber, usageExit } from './options.js';
import { registerRunsCommands } from './runs-commands.js';
import { registerWorkerCommand } from './worker-command.js';

function shared(cmd: Command): Command {
  return configOptions(cmd)
    .option('--sweep <stage.param=a,b,c>', 'sweep a value over a list (repeatable; axes combine as a grid)', collect)
    .option('--force [stage]', 'ignore the cache: for every stage, or for STAGE and its descendants (repeatable)', collect);
}

// `pipeline ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command()
  .name('pipeline')
  .description('Declarative, cached experiment runner: YAML stages, content-hashed tensors, never compute the same thing twice.')
  .version(packageInfo.version, '-V, --version', `print the version of ${packageInfo.name}`)
  .showHelpAfterError()
  .exitOverride(usageExit); // subcommands inherit it: every usage error exits 2

const runCommand = () => import('./run-command.js');

for (const [name, description] of [
  ['run', 'run a pipeline file (or a sweep), reusing every cached stage'],
  ['sweep', 'run a sweep file: all variants as one deduplicated graph, in parallel'],
] as const) {
  shared(program.command(`${name} <file>`).description(description))
    .option('--runs <dir>', 'where run folders go', 'runs')
    .option('-j, --jobs <n>', `worker processes for a sweep (default: ${cpus().length}, the number of cores; 1 computes in this process)`, positiveNumber)
    .option('--json', 'print one JSON document (mlpipe.run/1) at the end instead of progress and text')
    .addHelpText('after', RUN_JSON_HELP)
    .action(lazyAction(runCommand, 'runAction'));
}

shared(program.command('plan <file>').description("show each stage's key and whether it would be computed, and why"))
  .option('--json', 'print one JSON document (mlpipe.plan/1) instead of text')
  .addHelpText('after', PLAN_JSON_HELP)
  .action(lazyAction(runCommand, 'planAction'));

registerCacheCommands(program, () => loadRegistry());
registerDiscoverCommands(program, () => loadRegistry());
registerRunsCommands(program);
registerWorkerCommand(program); // after run, sweep and plan: it adds --redis/--blobs to them

await program.parseAsync(process.argv);
