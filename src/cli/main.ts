#!/usr/bin/env node
// The `pipeline` command. Exit status: 0 ok, 1 a stage failed, 2 bad input (config, usage).
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { packageInfo } from '../runner/package-info.js';
import { planPipeline } from '../runner/plan.js';
import { runPipeline } from '../runner/run.js';
import { loadRegistry } from '../runner/stage-plugins.js';
import { defaultCacheRoot } from '../store/run-cache.js';
import { registerCacheCommands } from './cache-commands.js';
import { registerDiscoverCommands } from './discover-commands.js';
import { collect, configOptions, positiveNumber, reportError, usageExit, type ConfigFlags } from './common.js';
import { listrDisplay } from './listr-display.js';
import { PLAN_JSON_HELP, planJson, RUN_JSON_HELP, runJson, toJsonText } from './json-view.js';
import { formatPlan } from './plan-view.js';
import { formatRunEnd } from './run-view.js';
import { registerRunsCommands } from './runs-commands.js';

interface SharedFlags extends ConfigFlags {
  sweep?: string[];
  force?: boolean | string[];
}

function shared(cmd: Command): Command {
  return configOptions(cmd)
    .option('--sweep <stage.param=a,b,c>', 'sweep a value over a list (repeatable; axes combine as a grid)', collect)
    .option('--force [stage]', 'ignore the cache: for every stage, or for STAGE and its descendants (repeatable)', collect);
}

const fail = (err: unknown): void => {
  process.exitCode = reportError(err);
};

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

interface RunFlags extends SharedFlags {
  runs: string;
  jobs?: number;
  json?: boolean;
}

/** With --json, stdout holds the JSON document only: whatever else this process would print
 * there (console.log from a stage plugin) goes to stderr until the document is written. */
function stdoutForJsonOnly(): () => void {
  const { log, info, debug } = console;
  console.log = console.info = console.debug = (...args: unknown[]) => console.error(...args);
  return () => Object.assign(console, { log, info, debug });
}

/** Ctrl-C (SIGINT) and SIGTERM stop a run cleanly: running stages stop at their next progress
 * report, finished ones stay cached, the run says what was interrupted and exits 128 + signal.
 * A second signal exits at once. */
function stopOnSignals(): { signal: AbortSignal; exitCode: () => number | undefined; dispose: () => void } {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const codes: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
  const handler = (sig: NodeJS.Signals) => {
    if (received) process.exit(codes[received]);
    received = sig;
    console.error(`\n${sig}: stopping; finished stages stay cached (${sig} again to quit at once)`);
    controller.abort();
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, handler);
  return {
    signal: controller.signal,
    exitCode: () => (received ? codes[received] : undefined),
    dispose: () => {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.off(sig, handler);
    },
  };
}

async function runAction(file: string, flags: RunFlags): Promise<void> {
  const stop = stopOnSignals();
  const restoreStdout = flags.json ? stdoutForJsonOnly() : undefined;
  try {
    const log = (line: string) => console.log(line);
    const result = await runPipeline({
      signal: stop.signal,
      file,
      set: flags.set,
      sweep: flags.sweep,
      force: flags.force,
      cacheRoot: flags.cache,
      backend: flags.backend,
      runsRoot: flags.runs,
      jobs: flags.jobs,
      // --json: no progress display at all, the document alone at the end.
      display: flags.json ? undefined : listrDisplay({ tty: Boolean(process.stdout.isTTY), log }),
    });
    if (flags.json) {
      restoreStdout?.();
      // Failures are in the document; stderr says them too, as the text output does.
      for (const o of result.outcomes.values()) if (o.status === 'failed') console.error(`stage ${o.id} failed: ${o.error?.message}`);
      // The same root prepare() opened (runPipeline resolves it the same way).
      console.log(toJsonText(runJson(result, resolve(flags.cache ?? defaultCacheRoot()))));
    } else formatRunEnd(result).forEach(log);
    process.exitCode = stop.exitCode() ?? (result.ok ? 0 : 1);
  } catch (err) {
    restoreStdout?.();
    fail(err);
    process.exitCode = stop.exitCode() ?? process.exitCode;
  } finally {
    restoreStdout?.();
    stop.dispose();
  }
}

for (const [name, description] of [
  ['run', 'run a pipeline file (or a sweep), reusing every cached stage'],
  ['sweep', 'run a sweep file: all variants as one deduplicated graph, in parallel'],
] as const) {
  shared(program.command(`${name} <file>`).description(description))
    .option('--runs <dir>', 'where run folders go', 'runs')
    .option('-j, --jobs <n>', `worker processes for a sweep (default: ${cpus().length}, the number of cores; 1 computes in this process)`, positiveNumber)
    .option('--json', 'print one JSON document (mlpipe.run/1) at the end instead of progress and text')
    .addHelpText('after', RUN_JSON_HELP)
    .action(runAction);
}

shared(program.command('plan <file>').description("show each stage's key and whether it would be computed, and why"))
  .option('--json', 'print one JSON document (mlpipe.plan/1) instead of text')
  .addHelpText('after', PLAN_JSON_HELP)
  .action(async (file: string, flags: SharedFlags & { json?: boolean }) => {
    try {
      const plan = await planPipeline({ file, set: flags.set, sweep: flags.sweep, force: flags.force, cacheRoot: flags.cache, backend: flags.backend });
      if (flags.json) {
        console.log(toJsonText(planJson(plan)));
        return;
      }
      console.log(`pipeline ${plan.pipeline}: backend ${plan.backend}, cache ${plan.cacheRoot}${plan.variants ? `, sweep of ${plan.variants} variants` : ''}`);
      console.log(formatPlan(plan.rows));
      const hits = plan.rows.filter((r) => r.status === 'hit').length;
      console.log(`${plan.rows.length} stage instances: ${hits} cached, ${plan.rows.length - hits} to compute`);
    } catch (err) {
      fail(err);
    }
  });

registerCacheCommands(program, () => loadRegistry());
registerDiscoverCommands(program, () => loadRegistry());
registerRunsCommands(program);

await program.parseAsync(process.argv);
