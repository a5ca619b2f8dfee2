// Text for `plan` and `why`: each stage's key and status, and what differs from the nearest cached
// entry, part by part.
import { shortKey } from '../keys/hash.js';
import type { PlanRow } from '../runner/plan.js';
import type { CacheEntry } from '../store/entry.js';
import { lastUseOf } from '../store/entry.js';
import { when } from './format.js';

export function formatPlan(rows: PlanRow[]): string {
  const width = Math.max(...rows.map((r) => r.id.length));
  return rows
    .map((r) => {
      const vs = r.nearest && r.status === 'miss' ? `  (vs cached ${shortKey(r.nearest.key)})` : '';
      const head = `${r.id.padEnd(width)}  ${r.status.padEnd(7)} ${r.key ? shortKey(r.key) : '-'.padEnd(10)}  ${r.type}${vs}`;
      return [head, ...r.reasons.map((x) => `${' '.repeat(width + 2)}  ${x}`)].join('\n');
    })
    .join('\n');
}

export function formatWhy(rows: PlanRow[]): string {
  const nearest = (e: CacheEntry) => `nearest cached entry ${shortKey(e.key)} (${lastUseOf(e).pipeline}/${lastUseOf(e).stageId}, ${when(e.created)})`;
  return rows
    .map((r) => {
      const indent = (lines: string[]) => lines.map((x) => `  ${x}`);
      if (r.status === 'hit') return `${r.id} (${r.type}): cached ${shortKey(r.key!)}`;
      if (r.status === 'pending') {
        const [after, ...more] = r.reasons;
        const head = `${r.id} (${r.type}): ${after}`;
        return more.length && r.nearest ? [head, `  and differs from the ${nearest(r.nearest)} in:`, ...indent(indent(more))].join('\n') : head;
      }
      const head = `${r.id} (${r.type}): would miss, key ${shortKey(r.key!)}${r.nearest ? `, against the ${nearest(r.nearest)}:` : ''}`;
      return [head, ...indent(r.reasons)].join('\n');
    })
    .join('\n');
}
