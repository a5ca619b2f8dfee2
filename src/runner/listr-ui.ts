// listr2 rows, one per stage: cached (short key), running (step/total, latest loss), done (wall
// time), failed (the error). On a TTY rows redraw in place; otherwise (CI, pipes) listr2's simple
// renderer prints plain lines, and progress is printed only when a loss is reported.
import { Listr, type ListrTask } from 'listr2';
import { shortKey } from '../cache/hash.js';
import type { Graph } from '../graph/graph.js';
import type { SweepGraph } from '../graph/sweep-graph.js';
import type { Executor, StageEvent, StageOutcome } from './executor.js';

type Listener = (e: StageEvent) => void;

/** Fans executor events out to the rows showing that stage (a stage shared by some variants of
 * a sweep has a row in each of their groups). */
export class StageEvents {
  private readonly listeners = new Map<string, Listener[]>();
  on(id: string, fn: Listener): void {
    this.listeners.set(id, [...(this.listeners.get(id) ?? []), fn]);
  }
  emit = (e: StageEvent): void => {
    for (const fn of this.listeners.get(e.id) ?? []) fn(e);
  };
}

export interface UiOptions {
  tty: boolean;
  silent?: boolean;
}

const seconds = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

function stageTask(id: string, label: string, executor: Executor, events: StageEvents, tty: boolean): ListrTask {
  return {
    title: label,
    task: async (_ctx, task) => {
      let lastShown = 0;
      let loss: number | undefined;
      if (tty) task.title = `${label}  waiting`;
      events.on(id, (e) => {
        if (e.type === 'start') task.title = `${label}  running  ${shortKey(e.key)}`;
        if (e.type === 'recompute') task.output = `${id}: ${e.reason}`;
        if (e.type !== 'progress') return;
        if (e.loss !== undefined) loss = e.loss;
        const now = performance.now();
        // Redraws are cheap on a TTY but each one is a line in a log: there, only losses.
        if (tty ? now - lastShown < 100 && e.step !== e.total : e.loss === undefined) return;
        lastShown = now;
        task.output = `${id}: step ${e.step}/${e.total}${loss !== undefined ? `  loss ${loss.toPrecision(5)}` : ''}`;
      });
      const o = await executor.run(id);
      if (o.status === 'hit') task.title = `${label}  cached  ${shortKey(o.key!)}`;
      else if (o.status === 'miss') task.title = `${label}  done  ${seconds(o.ms)}  ${shortKey(o.key!)}`;
      else if (o.status === 'skipped') task.skip(`${label}  ${o.error!.message}`);
      else throw new Error(`${label}  failed: ${o.error!.message}`);
    },
  };
}

async function runTasks(tasks: ListrTask[], ui: UiOptions): Promise<void> {
  const list = new Listr(tasks, {
    concurrent: true,
    exitOnError: false,
    renderer: ui.silent ? 'silent' : ui.tty ? 'default' : 'simple',
    rendererOptions: { collapseErrors: false },
  });
  await list.run().catch(() => undefined);
}

const labelOf = (graph: Graph, id: string) => `${id} (${graph.nodes.get(id)!.def.type})`;

export async function runWithListr(graph: Graph, executor: Executor, events: StageEvents, ui: UiOptions): Promise<Map<string, StageOutcome>> {
  await runTasks(graph.order.map((id) => stageTask(id, labelOf(graph, id), executor, events, ui.tty)), ui);
  return executor.runAll();
}

/** A sweep: the stages every variant shares once, then one group per variant. */
export async function runSweepWithListr(graph: SweepGraph, executor: Executor, events: StageEvents, ui: UiOptions): Promise<Map<string, StageOutcome>> {
  const shared = graph.order.filter((id) => graph.shared.includes(id));
  const tasks: ListrTask[] = shared.map((id) => stageTask(id, labelOf(graph, id), executor, events, ui.tty));
  for (const { variant, nodeOf } of graph.variants) {
    const own = graph.order.filter((id) => !shared.includes(id) && Object.values(nodeOf).includes(id));
    const values = Object.entries(variant.values).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
    tasks.push({
      title: `${variant.id}  ${values}`,
      task: (_ctx, task) =>
        task.newListr(
          own.map((id) => stageTask(id, labelOf(graph, id), executor, events, ui.tty)),
          { concurrent: true, exitOnError: false },
        ),
    });
  }
  await runTasks(tasks, ui);
  return executor.runAll();
}
