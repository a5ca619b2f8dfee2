// The actions of `pipeline run`, `sweep` and `plan`: imported when one of them runs (main.ts
// registers the commands with light modules only, so `pipeline --help` loads none of this).
import { runPipeline, type CommonOptions } from '../runner/run.js';
import { reportError, type ConfigFlags } from './common.js';
import { planJson, runJson, toJsonText } from './json-view.js';
import { listrDisplay } from './listr-display.js';
import { formatRunEnd } from './run-view.js';

export interface SharedFlags extends ConfigFlags {
  sweep?: string[];
  force?: boolean | string[];
}

export interface RunFlags extends SharedFlags {
  runs: string;
  jobs?: number;
  json?: boolean;
}

/** What run, sweep and plan hand the runner from the pipeline file and the shared flags. */
const commonOptions = (file: string, flags: SharedFlags): CommonOptions => ({
  file,
  set: flags.set,
  sweep: flags.sweep,
  force: flags.force,
  cacheRoot: flags.cache,
  backend: flags.backend,
  rehash: flags.rehash,
});

const fail = (err: unknown): void => {
  process.exitCode = reportError(err);
};

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

export async function runAction(file: string, flags: RunFlags): Promise<void> {
  const stop = stopOnSignals();
  const restoreStdout = flags.json ? stdoutForJsonOnly() : undefined;
  try {
    const log = (line: string) => console.log(line);
    const result = await runPipeline({
      ...commonOptions(file, flags),
      signal: stop.signal,
      runsRoot: flags.runs,
      jobs: flags.jobs,
      // --json: no progress display at all, the document alone at the end.
      display: flags.json ? undefined : listrDisplay({ tty: Boolean(process.stdout.isTTY), log }),
    });
    if (flags.json) {
      restoreStdout?.();
      // Failures are in the document; stderr says them too, as the text output does.
      for (const o of result.outcomes.values()) if (o.status === 'failed') console.error(`stage ${o.id} failed: ${o.error?.message}`);
      console.log(toJsonText(runJson(result)));
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

export async function planAction(file: string, flags: SharedFlags & { json?: boolean }): Promise<void> {
  try {
    // Here, not at the top: a run loads none of plan's code (explain.ts, plan-view.ts).
    const [{ planPipeline }, { formatPlan }] = await Promise.all([import('../runner/plan.js'), import('./plan-view.js')]);
    const plan = await planPipeline(commonOptions(file, flags));
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
}
