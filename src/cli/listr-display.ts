// listr2 rows, one per stage: cached (short key), running (step/total, latest loss), done (wall
// time), failed (the error). On a TTY rows redraw in place; otherwise (CI, pipes) listr2's simple
// renderer prints plain lines, and progress is printed only when a loss is reported.
import { Listr, type ListrTask } from 'listr2';
import type { Graph } from '../graph/graph.js';
import { shortKey } from '../keys/hash.js';
import type { StageEvents } from '../runner/events.js';
import type { StageOutcome } from '../runner/executor.js';
import type { Display } from '../runner/run.js';
import { seconds } from './format.js';

type Outcome = (id: string) => Promise<StageOutcome>;

function stageTask(id: string, label: string, outcome: Outcome, events: StageEvents, tty: boolean): ListrTask {
  return {
    title: label,
    task: async (_ctx, task) => {
      let lastShown = 0;
      let loss: number | undefined;
      let waited = false;
      if (tty) task.title = `${label}  waiting`;
      events.on(id, (e) => {
        if (e.type === 'start') task.title = `${label}  running  ${shortKey(e.key)}`;
        if (e.type === 'wait') {
          task.title = `${label}  waiting for ${e.holder}, which computes ${shortKey(e.key)}`;
          task.output = `${id}: waiting for ${e.holder} (another run) to store ${shortKey(e.key)}`;
        }
        if (e.type === 'recompute') task.output = `${id}: ${e.reason}`;
        if (e.type === 'hit') waited = Boolean(e.waited);
        if (e.type !== 'progress') return;
        if (e.loss !== undefined) loss = e.loss;
        const now = performance.now();
        // Redraws are cheap on a TTY but each one is a line in a log: there, only losses.
        if (tty ? now - lastShown < 100 && e.step !== e.total : e.loss === undefined) return;
        lastShown = now;
        task.output = `${id}: step ${e.step}/${e.total}${loss !== undefined ? `  loss ${loss.toPrecision(5)}` : ''}`;
      });
      const o = await outcome(id);
      if (o.status === 'hit') task.title = `${label}  cached  ${shortKey(o.key!)}${waited ? '  (computed by another run meanwhile)' : ''}`;
      else if (o.status === 'miss') task.title = `${label}  done  ${seconds(o.ms)}  ${shortKey(o.key!)}`;
      else if (o.status === 'skipped') task.skip(`${label}  ${o.error!.message}`);
      else if (o.status === 'interrupted') task.skip(`${label}  ${o.error!.message}`);
      else throw new Error(`${label}  failed: ${o.error!.message}`);
    },
  };
}

const labelOf = (graph: Graph, id: string) => `${id} (${graph.nodes.get(id)!.def.type})`;

/** The run as listr2 rows; a sweep shows the stages every variant shares once, then one group
 * per variant. `log` prints the line that names the run before the rows. */
export function listrDisplay(ui: { tty: boolean; log: (line: string) => void }): Display {
  return async ({ graph, sweep, backend, cacheRoot, workers }, events, outcome) => {
    const what = sweep
      ? `sweep of ${sweep.variants.length} variants, ${graph.order.length} stage instances, ${workers ? `${workers} worker processes` : 'in process'}`
      : `${graph.order.length} stages`;
    ui.log(`pipeline ${graph.name}: ${what}, backend ${backend}, cache ${cacheRoot}`);
    const row = (id: string) => stageTask(id, labelOf(graph, id), outcome, events, ui.tty);
    let tasks: ListrTask[];
    if (!sweep) tasks = graph.order.map(row);
    else {
      const shared = graph.order.filter((id) => sweep.shared.includes(id));
      tasks = shared.map(row);
      for (const { variant, nodeOf } of sweep.variants) {
        const own = graph.order.filter((id) => !shared.includes(id) && Object.values(nodeOf).includes(id));
        const values = Object.entries(variant.values)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(' ');
        tasks.push({ title: `${variant.id}  ${values}`, task: (_ctx, task) => task.newListr(own.map(row), { concurrent: true, exitOnError: false }) });
      }
    }
    const list = new Listr(tasks, {
      concurrent: true,
      exitOnError: false,
      // Its own listeners call process.exit(127), skipping every finally: the CLI handles signals.
      registerSignalListeners: false,
      renderer: ui.tty ? 'default' : 'simple',
      rendererOptions: { collapseErrors: false },
    });
    await list.run().catch(() => undefined);
  };
}
