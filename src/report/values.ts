// Numbers and config values as a reader wants them: few digits, arrays summarised, and a
// canonical form to tell a param that differs from its default.

/** A number with up to 4 significant digits (integers whole), as the terminal shows them. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(4)));
}

/** A param value or metric in one line. */
export function value(v: unknown): string {
  if (typeof v === 'number') return num(v);
  if (typeof v === 'string') return v === '' ? '""' : v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return `[${v.map(num).join(', ')}]`;
  return JSON.stringify(v) ?? String(v);
}

/** A long array of numbers summarised: the first few, the count and the range. */
export function compactArray(v: number[], head = 10): string {
  if (v.length <= head) return value(v);
  const finite = v.filter(Number.isFinite);
  const range = finite.length ? `, min ${num(Math.min(...finite))}, max ${num(Math.max(...finite))}` : '';
  return `[${v.slice(0, head).map(num).join(', ')}, …] (${v.length} values${range})`;
}

/** Key-order-independent JSON, so `{a, b}` equals `{b, a}` when compared with a default. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

export const isNumberArray = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number');
