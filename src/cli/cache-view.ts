// Text for the cache commands (aligned tables, human sizes, short keys) and the tensor exports
// (PNG grid, .npy). Pure functions of what the store and runner return, so tests can check them directly.
import { UsageError } from '../config/index.js';
import { shortKey } from '../keys/hash.js';
import { codeDigest } from '../keys/recipe.js';
import { grid } from '../render/grid.js';
import { encodePng } from '../render/png.js';
import { numbersOf, type EntryDetails, type ListRow } from '../runner/inspect.js';
import type { GcReport } from '../store/gc.js';
import type { RawTensor } from '../store/tensor-bytes.js';
import type { DamagedEntry } from '../store/index-store.js';
import { problemCount, type VerifyReport } from '../store/verify.js';
import { alignRows, count, humanSize, num, table, value, when } from './format.js';

const params = (p: Record<string, unknown>): string =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${value(v)}`)
    .join(' ') || '-';

export function formatList(rows: ListRow[], total: number): string {
  if (rows.length === 0) return 'no cache entries';
  const body = rows.map((r) => [
    shortKey(r.key),
    r.stageType,
    r.stageId,
    r.pipeline,
    params(r.params),
    humanSize(r.size) + (r.missingBlobs ? ` (${r.missingBlobs} missing)` : '') + (r.unreadableBlobs ? ` (${r.unreadableBlobs} unreadable)` : ''),
    when(r.created),
    when(r.lastUsed),
  ]);
  const head = ['KEY', 'TYPE', 'STAGE', 'PIPELINE', 'PARAMS', 'SIZE', 'CREATED', 'LAST USED'];
  return `${table(head, body, ['SIZE'])}\n${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}, ${humanSize(total)} on disk`;
}

/** Index rows `ls` cannot show: said on stderr, so the table on stdout stays what scripts parse. */
export function formatDamaged(damaged: DamagedEntry[]): string {
  const lines = damaged.map((d) => `warning: cache entry ${shortKey(d.key)} is unreadable (${d.reason})`);
  if (damaged.length)
    lines.push(
      `${count(damaged.length, 'unreadable entry', 'unreadable entries')} not listed; \`pipeline cache verify\` removes ${damaged.length === 1 ? 'it' : 'them'}`,
    );
  return lines.join('\n');
}

export function formatShow(d: EntryDetails): string {
  const e = d.entry;
  const use = e.lastRun ?? { pipeline: e.pipeline, stageId: e.stageId };
  const out = [
    `key       ${e.key}`,
    `stage     ${e.stageId} (${e.stageType}, version ${e.parts.version}) from pipeline ${e.pipeline}; last used by ${use.pipeline}/${use.stageId}`,
    `created   ${when(e.created)}    last used ${when(e.lastUsed)}`,
    `code      ${shortKey(codeDigest(e.parts.code))}.. (${typeof e.parts.code === 'string' ? 'one hash' : count(Object.keys(e.parts.code).length, 'file')})    seed ${e.parts.seed}    backend ${e.parts.backend}`,
  ];
  const section = (title: string, rows: string[][]) => {
    if (rows.length) out.push(title, ...alignRows(rows).map((l) => `  ${l}`));
  };
  section(
    'params',
    Object.entries(e.parts.params).map(([k, v]) => [k, value(v), k in d.defaults ? `(default ${value(d.defaults[k])})` : '']),
  );
  section(
    'inputs',
    d.inputs.map((i) => [
      i.name,
      i.key ? `key ${shortKey(i.key)}` : `content ${shortKey(i.hash)}`,
      i.key ? `${i.stageId}${i.output ? `.${i.output}` : ''} (${i.stageType})` : '(not in the cache)',
    ]),
  );
  section(
    'files',
    Object.entries(e.parts.files ?? {}).map(([k, h]) => [k, `sha256 ${shortKey(h)}..`]),
  );
  section(
    'outputs',
    d.outputs.map((o) => [
      `${o.output}.${o.tensor}`,
      ...(o.stats
        ? [
            o.stats.dtype,
            `[${o.stats.shape.join(', ')}]`,
            `min ${num(o.stats.min)}`,
            `max ${num(o.stats.max)}`,
            `mean ${num(o.stats.mean)}`,
            `std ${num(o.stats.std)}${o.stats.nonFinite ? `  non-finite ${o.stats.nonFinite}` : ''}`,
          ]
        : [`unreadable: ${o.error}`, '', '', '', '', '']),
      humanSize(o.size),
    ]),
  );
  section(
    'pictures',
    d.pictures.map((p) => [p.name, p.width ? `${p.width}x${p.height}` : 'unreadable', `blob ${shortKey(p.blob)}`]),
  );
  section(
    'metrics',
    Object.entries(e.metrics).map(([k, v]) => [k, value(v)]),
  );
  out.push(`timings   compute ${Math.round(e.timings.computeMs)} ms, store ${Math.round(e.timings.storeMs)} ms`);
  out.push(`size      ${humanSize(d.size)}`);
  return out.join('\n');
}

export function formatVerify(r: VerifyReport): string {
  const users = (keys: string[]) => (keys.length ? `, used by ${keys.map(shortKey).join(' ')}` : ', unreferenced');
  const lines: string[] = [];
  if (r.index) {
    const done = r.index.movedTo ? `moved it aside to ${r.index.movedTo} and started an empty index` : 'would move it aside and start an empty index (dry run)';
    lines.push(`index ${r.index.location} ${r.index.problem}: ${done}; blobs are kept, \`pipeline cache gc\` removes the ones no entry uses`);
  }
  lines.push(
    ...r.corrupt.map((c) => `corrupt blob ${shortKey(c.hash)} (${c.reason})${users(c.usedBy)}`),
    ...r.missing.map((m) => `missing blob ${shortKey(m.hash)} (${m.reason})${users(m.usedBy)}`),
    ...r.unreadable.map((u) => `unreadable blob ${shortKey(u.hash)} (${u.reason})${users(u.usedBy)}: left in place; fix or remove it by hand`),
    ...r.damagedEntries.map((d) => `unreadable entry ${shortKey(d.key)} (${d.reason}): ${r.dryRun ? 'would remove' : 'removed'}`),
    ...r.evicted.map((e) => `${r.dryRun ? 'would evict' : 'evicted'} entry ${shortKey(e.key)} ${e.stageType} ${e.pipeline}/${e.stageId}`),
  );
  const bad = r.corrupt.length + r.missing.length;
  const found: string[] = [];
  if (bad)
    found.push(
      `${bad} bad blob${bad === 1 ? '' : 's'}, ${count(r.evicted.length, 'entry', 'entries')} ${r.dryRun ? 'to evict (dry run)' : 'evicted; they will be recomputed'}`,
    );
  if (r.unreadable.length) found.push(`${count(r.unreadable.length, 'unreadable blob')} left in place`);
  if (r.damagedEntries.length)
    found.push(`${count(r.damagedEntries.length, 'unreadable entry', 'unreadable entries')} ${r.dryRun ? 'to remove (dry run)' : 'removed'}`);
  if (r.index) found.push(r.index.movedTo ? 'the index was replaced' : 'the index is damaged');
  const checked = r.blobs + r.corrupt.length + r.unreadable.length;
  lines.push(`checked ${checked} blobs (${humanSize(r.bytes)}) and ${r.entries} entries: ${problemCount(r) ? found.join(', ') : 'all intact'}`);
  return lines.join('\n');
}

export function formatGc(r: GcReport): string {
  const verb = r.dryRun ? 'would ' : '';
  const lines = r.evicted.map((e) => `${verb}evict ${shortKey(e.key)}  ${e.stageType}  ${e.pipeline}/${e.stageId}  ${e.reason}`);
  const freed = r.blobs.bytes + r.tmp.bytes;
  lines.push(
    `${r.dryRun ? 'would free' : 'freed'} ${humanSize(freed)}: ${r.evicted.length} entr${r.evicted.length === 1 ? 'y' : 'ies'}, ${r.blobs.count} blob${r.blobs.count === 1 ? '' : 's'}, ${r.tmp.count} tmp file${r.tmp.count === 1 ? '' : 's'}`,
  );
  if (r.recent.count)
    lines.push(
      `kept ${r.recent.count} unreferenced blob${r.recent.count === 1 ? '' : 's'} (${humanSize(r.recent.bytes)}) written since gc or a running save started`,
    );
  lines.push(`${r.dryRun ? 'would keep' : 'kept'} ${r.remaining.entries} entries, ${humanSize(r.remaining.bytes)}`);
  for (const l of r.left) lines.push(`left ${l.path} in place: ${l.reason} (see \`pipeline cache verify\`)`);
  if (r.damagedEntries)
    lines.push(`${count(r.damagedEntries, 'unreadable index entry', 'unreadable index entries')} left alone; \`pipeline cache verify\` removes them`);
  return lines.join('\n');
}

/** How a tensor reads as grey images: [n,784] and [784] as 28x28, [n,h,w], [n,h,w,1], [h,w]. */
export function imageLayout(shape: number[]): { count: number; height: number; width: number } | undefined {
  const [a, b, c, d] = shape;
  if (shape.length === 1 && a === 784) return { count: 1, height: 28, width: 28 };
  if (shape.length === 2 && b === 784) return { count: a, height: 28, width: 28 };
  if (shape.length === 2) return { count: 1, height: a, width: b };
  if (shape.length === 3) return { count: a, height: b, width: c };
  if (shape.length === 4 && d === 1) return { count: a, height: b, width: c };
  return undefined;
}

/** A grid PNG of (up to `limit` of) the images a tensor holds, each cell scaled to its own range. */
export function tensorPng(raw: RawTensor, opts: { limit?: number; cols?: number; scale?: number } = {}): { png: Buffer; shown: number; count: number } {
  const layout = imageLayout(raw.shape);
  if (!layout || layout.count === 0 || layout.height * layout.width === 0) {
    throw new UsageError(`a tensor of shape [${raw.shape.join(', ')}] cannot be seen as images (need [n,784], [n,h,w] or [h,w]); use --npy`);
  }
  const shown = Math.min(layout.count, opts.limit ?? 100);
  const values = numbersOf(raw).subarray(0, shown * layout.height * layout.width);
  const img = grid(values, shown, { cellWidth: layout.width, cellHeight: layout.height, cols: opts.cols, scale: opts.scale ?? 2 });
  return { png: encodePng(img), shown, count: layout.count };
}
