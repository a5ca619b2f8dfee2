// listr2 rows, one per stage: cached (short key), running (step/total, latest loss), done (wall
// time), failed (the error). On a TTY rows redraw in place; otherwise (CI, pipes) listr2's simple
// renderer prints plain lines, and progress is printed only when a loss is reported.
import { Listr, type ListrTask } from 'listr2';
import { shortKey } from '../cache/hash.js';
import type { Graph } from '../graph/graph.js';
import type { Executor, StageEvent, StageOutcome } from './executor.js';

type Listener = (e: StageEvent) => void;

export class StageEvents {
  private readonly listeners = new Map<string, Listener>();
  on(id: string, fn: Listener): void {
    this.listeners.set(id, fn);
  }
  emit = (e: StageEvent): void => {
    this.listeners.get(e.id)?.(e);
  };
}

const seconds = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

export async function runWithListr(
  graph: Graph,
  executor: Executor,
  events: StageEvents,
  opts: { tty: boolean; silent?: boolean },
): Promise<Map<string, StageOutcome>> {
  const outcomes = new Map<string, StageOutcome>();
  const tasks: ListrTask[] = graph.order.map((id) => {
    const type = graph.nodes.get(id)!.def.type;
    const label = `${id} (${type})`;
    return {
      title: label,
      task: async (_ctx, task) => {
        let lastShown = 0;
        let loss: number | undefined;
        events.on(id, (e) => {
          if (e.type === 'start') task.title = `${label}  running  ${shortKey(e.key)}`;
          if (e.type === 'recompute') task.output = `${id}: ${e.reason}`;
          if (e.type !== 'progress') return;
          if (e.loss !== undefined) loss = e.loss;
          const now = performance.now();
          // Redraws are cheap on a TTY but each one is a line in a log: there, only losses.
          if (opts.tty ? now - lastShown < 100 && e.step !== e.total : e.loss === undefined) return;
          lastShown = now;
          task.output = `${id}: step ${e.step}/${e.total}${loss !== undefined ? `  loss ${loss.toPrecision(5)}` : ''}`;
        });
        const o = await executor.run(id);
        outcomes.set(id, o);
        if (o.status === 'hit') task.title = `${label}  cached  ${shortKey(o.key!)}`;
        else if (o.status === 'miss') task.title = `${label}  done  ${seconds(o.ms)}  ${shortKey(o.key!)}`;
        else if (o.status === 'skipped') task.skip(`${label}  ${o.error!.message}`);
        else throw new Error(`${label}  failed: ${o.error!.message}`);
      },
    };
  });
  const list = new Listr(tasks, {
    concurrent: true,
    exitOnError: false,
    renderer: opts.silent ? 'silent' : opts.tty ? 'default' : 'simple',
    rendererOptions: { collapseErrors: false },
  });
  await list.run().catch(() => undefined);
  return outcomes;
}
