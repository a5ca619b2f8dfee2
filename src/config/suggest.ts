// "Did you mean" hints: most config mistakes are typos of a name that exists.

export function levenshtein(a: string, b: string): number {
  return distance(a, b, Infinity);
}

let prevRow = new Int32Array(0);
let curRow = new Int32Array(0);

/** Edit distance, or any number above `limit` as soon as the distance is known to exceed it.
 * Two reused rows: hints are computed per unknown key, and there can be thousands. */
function distance(a: string, b: string, limit: number): number {
  if (prevRow.length <= b.length) {
    prevRow = new Int32Array(b.length + 1);
    curRow = new Int32Array(b.length + 1);
  }
  let prev = prevRow;
  let cur = curRow;
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1));
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > limit) return rowMin;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** A hint costs a comparison with every candidate: with thousands of names (or of bad words)
 * that turns quadratic, and a typo of a long or one-of-thousands name is not worth guessing. */
const MAX_CANDIDATES = 200;
const MAX_WORD = 64;

/** The closest candidate, if it is close enough to be a plausible typo (about a third of the
 * word may differ; a swapped pair of letters costs 2). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > MAX_WORD || candidates.length > MAX_CANDIDATES) return undefined;
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    // The distance is at least the difference in length: skip what cannot be close.
    if (Math.abs(c.length - word.length) > limit) continue;
    const d = c.toLowerCase() === word.toLowerCase() ? 0.5 : distance(word, c, Math.min(limit, bestDist));
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return bestDist <= limit ? best : undefined;
}

/** `; did you mean "x"?` or the empty string. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : `; did you mean "${c}"?`;
}

/** `a, b, c` for a few names; the first few and a count for many. */
export function listNames(names: readonly string[], max = 20): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, ... (${names.length} in all)`;
}
