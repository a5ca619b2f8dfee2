// What the executor reports while it works. A display (the CLI's listr2 rows, or nothing for the
// programmatic API) subscribes per stage instance; the executor knows nothing about showing.
export type StageEvent =
  | { type: 'hit'; id: string; key: string /** Stored by another process while this one waited for it. */; waited?: boolean }
  | { type: 'wait'; id: string; key: string /** Who computes it: `pid 123 on host h`. */; holder: string }
  | { type: 'start'; id: string; key: string }
  | { type: 'progress'; id: string; step: number; total: number; loss?: number }
  | { type: 'done'; id: string; key: string; ms: number }
  | { type: 'recompute'; id: string; reason: string }
  | { type: 'fail'; id: string; error: Error };

type Listener = (e: StageEvent) => void;

/** Fans executor events out to whoever shows that stage (a stage shared by some variants of a
 * sweep has a row in each of their groups). */
export class StageEvents {
  private readonly listeners = new Map<string, Listener[]>();
  on(id: string, fn: Listener): void {
    this.listeners.set(id, [...(this.listeners.get(id) ?? []), fn]);
  }
  emit = (e: StageEvent): void => {
    for (const fn of this.listeners.get(e.id) ?? []) fn(e);
  };
}
