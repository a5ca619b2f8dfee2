// Temp files and save leases carry the process that made them in their names (`@<host>-<pid>`),
// so that what a process killed with -9 left behind is told at once from what a live process is
// still writing: the next run (or gc) removes the dead one's files instead of waiting an hour.
import { createHash } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** This process, as it appears in file names. */
export const OWNER = `@${HOST}-${process.pid}`;

/** Whether a process of this host runs (EPERM: it does, as another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `name` was made by a process of this host that no longer runs. */
export function madeByDeadProcess(name: string): boolean {
  const m = /@([0-9a-f]{8})-(\d+)/.exec(name);
  return Boolean(m) && m![1] === HOST && !pidAlive(Number(m![2]));
}

/** Remove the files in `dir` that dead processes of this host left; returns how many. */
export function removeDeadProcessFiles(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!madeByDeadProcess(name)) continue;
    rmSync(join(dir, name), { force: true });
    removed++;
  }
  return removed;
}
