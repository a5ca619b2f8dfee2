// Terminal formatting every command shares: aligned tables, numbers, sizes, times, durations.
// Pure functions, so tests can check the text directly.

/** Columns padded to their widest cell; columns named in `right` are right-aligned. */
export function table(headers: string[], rows: string[][], right: string[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.includes(headers[i]) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Rows with their columns aligned, no header. */
export const alignRows = (rows: string[][]): string[] =>
  rows.length
    ? table(
        rows[0].map(() => ''),
        rows,
      )
        .split('\n')
        .slice(1)
    : [];

/** Local time to the minute: what a person compares when asking "when did I run this". */
export function when(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '-';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A number to 4 significant digits; integers as they are. */
export const num = (x: number): string => (Number.isNaN(x) ? 'nan' : Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4))));

/** A param or metric value: numbers by `num`, long lists shortened, anything else as JSON. */
export const value = (v: unknown): string => {
  if (typeof v === 'number') return num(v);
  if (!Array.isArray(v)) return JSON.stringify(v);
  const shown = v
    .slice(0, 6)
    .map((x) => value(x))
    .join(', ');
  return v.length > 6 ? `[${shown}, ... (${v.length} values)]` : `[${shown}]`;
};

export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export const seconds = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

/** `1 entry`, `2 entries`. */
export const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
