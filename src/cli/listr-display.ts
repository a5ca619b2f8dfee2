// listr2 rows, one per stage: cached (short key), running (step/total, latest loss), done (wall
// time), failed (the error), skipped (why). On a wide enough TTY rows redraw in place; otherwise
// (CI, pipes, a narrow or zero-width terminal) listr2's simple renderer prints plain lines: one
// line per row once it has settled, and progress only when a loss is reported. A sweep's variant
// group fails (or is skipped) when any of its stages did.
import {
  figures,
  Listr,
  ListrDefaultRendererLogLevels,
  ListrErrorTypes,
  ListrLogger,
  ListrLogLevels,
  ListrTaskState,
  LISTR_LOGGER_STDERR_LEVELS,
  type ListrTask,
} from 'listr2';
import type { Graph } from '../graph/graph.js';
import { shortKey } from '../keys/hash.js';
import type { StageEvents } from '../runner/events.js';
import type { StageOutcome } from '../runner/executor.js';
import type { Display } from '../runner/run.js';
import { seconds } from './format.js';

type Outcome = (id: string) => Promise<StageOutcome>;

/** Below this many columns redrawn rows wrap into a mess: plain lines instead. */
export const MIN_COLUMNS = 40;

/** 'default' (rows redrawn in place) on a TTY at least MIN_COLUMNS wide; 'simple' (plain lines)
 * otherwise, including a TTY whose width is 0 or unknown. */
export const rendererFor = (tty: boolean, columns: number | undefined): 'default' | 'simple' =>
  tty && columns !== undefined && columns >= MIN_COLUMNS ? 'default' : 'simple';

/** The simple renderer's logger, printing a failed or skipped row as its title alone: the title
 * already says what happened (listr2 would append the message again in brackets). */
class PlainLogger extends ListrLogger {
  override log(level: ListrLogLevels, message: string, options?: Parameters<ListrLogger['log']>[2]): void {
    if (level === ListrLogLevels.FAILED || level === ListrLogLevels.SKIPPED) {
      if (message) super.log(level, message);
      return;
    }
    super.log(level, message, options);
  }
}

/** The row of one stage. `live`: redrawn in place, so it may say waiting and running; plain
 * lines have no title until the stage settles (a title at the start is printed as a `❯` line). */
function stageTask(id: string, label: string, outcome: Outcome, events: StageEvents, live: boolean, quiet = false): ListrTask {
  return {
    title: live ? label : undefined,
    exitOnError: false,
    task: async (_ctx, task) => {
      let lastShown = 0;
      let loss: number | undefined;
      let waited = false;
      if (live) task.title = `${label}  waiting`;
      events.on(id, (e) => {
        if (e.type === 'start' && live) task.title = `${label}  running  ${shortKey(e.key)}`;
        if (e.type === 'hit') waited = Boolean(e.waited);
        if (quiet) return; // a second row of an instance shared by variants: its first row prints
        if (e.type === 'wait') {
          if (live) task.title = `${label}  waiting for ${e.holder}, which computes ${shortKey(e.key)}`;
          task.output = `${id}: waiting for ${e.holder} (another run) to store ${shortKey(e.key)}`;
        }
        if (e.type === 'recompute') task.output = `${id}: ${e.reason}`;
        if (e.type !== 'progress') return;
        if (e.loss !== undefined) loss = e.loss;
        const now = performance.now();
        // Redraws are cheap on a TTY but each one is a line in a log: there, only losses.
        if (live ? now - lastShown < 100 && e.step !== e.total : e.loss === undefined) return;
        lastShown = now;
        task.output = `${id}: step ${e.step}/${e.total}${loss !== undefined ? `  loss ${loss.toPrecision(5)}` : ''}`;
      });
      const o = await outcome(id);
      if (quiet) return;
      if (o.status === 'hit') task.title = `${label}  cached  ${shortKey(o.key!)}${waited ? '  (computed by another run meanwhile)' : ''}`;
      else if (o.status === 'miss') task.title = `${label}  done  ${seconds(o.ms)}  ${shortKey(o.key!)}`;
      else if (o.status === 'failed') {
        // The title first: the simple renderer prints the row with the title it has when it fails.
        task.title = `${label}  failed: ${o.error!.message}`;
        throw new Error(task.title);
      } else {
        // skipped ("skipped: input stage ... failed") or interrupted ("interrupted", "not started").
        const why = o.error!.message;
        task.title = `${label}  ${why.startsWith('skipped') ? why : `skipped: ${why}`}`;
        task.skip(task.title);
      }
    },
  };
}

const labelOf = (graph: Graph, id: string) => `${id} (${graph.nodes.get(id)!.def.type})`;

/** A variant's group: its own rows, then (untitled, so never shown) the one that settles the
 * group by the outcomes of all the variant's stages, shared ones included. */
function groupTask(title: string, rows: ListrTask[], ids: string[], outcome: Outcome, live: boolean): ListrTask {
  return {
    title: live ? title : undefined,
    exitOnError: false,
    task: (_ctx, group) =>
      group.newListr(
        [
          ...rows,
          {
            exitOnError: false,
            task: async () => {
              const outcomes = await Promise.all(ids.map(outcome));
              // Let the rows, which wait on the same outcomes, settle (and print) first.
              await new Promise((r) => setImmediate(r));
              const failed = outcomes.filter((o) => o.status === 'failed').map((o) => o.id);
              const skipped = outcomes.filter((o) => o.status === 'skipped' || o.status === 'interrupted').map((o) => o.id);
              if (failed.length) {
                group.title = `${title}  failed: ${failed.join(', ')}`;
                group.report(new Error(group.title), ListrErrorTypes.HAS_FAILED);
                group.task.state$ = ListrTaskState.FAILED;
              } else if (skipped.length) {
                group.title = `${title}  skipped: ${skipped.join(', ')} did not run`;
                group.skip(group.title);
              } else group.title = `${title}  ok`;
            },
          },
        ],
        { concurrent: true, exitOnError: false },
      ),
  };
}

/** The run as listr2 rows; a sweep shows the stage instances every variant shares once, then one
 * group per variant. An instance shared by some variants has a row in each of their groups, but
 * in plain lines only the first prints. `log` prints the line that names the run before the rows. */
export function listrDisplay(ui: { tty: boolean; log: (line: string) => void; columns?: number }): Display {
  const renderer = rendererFor(ui.tty, 'columns' in ui ? ui.columns : process.stdout.columns);
  const live = renderer === 'default';
  return async ({ graph, sweep, backend, cacheRoot, workers }, events, outcome) => {
    const what = sweep
      ? `sweep of ${sweep.variants.length} variants, ${graph.order.length} stage instances, ${workers ? `${workers} worker processes` : 'in process'}`
      : `${graph.order.length} stages`;
    ui.log(`pipeline ${graph.name}: ${what}, backend ${backend}, cache ${cacheRoot}`);
    const shown = new Set<string>();
    const row = (id: string) => {
      const quiet = !live && shown.has(id);
      shown.add(id);
      return stageTask(id, labelOf(graph, id), outcome, events, live, quiet);
    };
    let tasks: ListrTask[];
    if (!sweep) tasks = graph.order.map(row);
    else {
      const shared = graph.order.filter((id) => sweep.shared.includes(id));
      tasks = shared.map(row);
      for (const { variant, nodeOf } of sweep.variants) {
        const ids = graph.order.filter((id) => Object.values(nodeOf).includes(id));
        const own = ids.filter((id) => !shared.includes(id));
        const values = Object.entries(variant.values)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(' ');
        tasks.push(groupTask(`${variant.id}  ${values}`, own.map(row), ids, outcome, live));
      }
    }
    const list = new Listr(tasks, {
      concurrent: true,
      exitOnError: false,
      // Its own listeners call process.exit(127), skipping every finally: the CLI handles signals.
      registerSignalListeners: false,
      renderer: 'default',
      // Failed rows show their title, which holds the error; a failed group is a cross too (listr2
      // draws its pointer, which reads as running).
      rendererOptions: {
        collapseErrors: true,
        showErrorMessage: false,
        icon: { [ListrDefaultRendererLogLevels.FAILED_WITH_FAILED_SUBTASKS]: figures.cross },
      },
      fallbackRenderer: 'simple',
      fallbackRendererOptions: { logger: new PlainLogger({ useIcons: true, toStderr: LISTR_LOGGER_STDERR_LEVELS }) },
      fallbackRendererCondition: !live,
    });
    await list.run().catch(() => undefined);
  };
}
