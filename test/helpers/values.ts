// Seeded test data: the LCG of the C standard's example rand(), as the tests have always drawn it.

/** `values(n, zeros)`: n floats uniform in [-1, 1), each 0 with probability `zeros`, drawn from one
 * stream seeded with `seed` (each call continues it). */
export function seededValues(seed: number): (n: number, zeros?: number) => Float32Array {
  let s = seed;
  return (n, zeros = 0) => {
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const u = s / 2147483648;
      v[i] = u < zeros ? 0 : 2 * u - 1;
    }
    return v;
  };
}
