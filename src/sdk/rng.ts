// Seeded random numbers for stages. Stages never call Math.random: the same seed must give the
// same tensors, bit for bit, or the cache would be caching noise.

/** The seeded random numbers of a stage (`ctx.rng`), mulberry32: tiny, fast, good enough for
 * shuffles and for deriving tfjs op seeds. The runner makes one per stage as `new Rng(seed)` from
 * the pipeline's (or stage's) `seed`; every draw advances the one 32-bit state, so the same seed
 * and the same order of draws give the same numbers on every machine. */
export class Rng {
  private state: number;
  /** @param seed any number; its low 32 bits (as unsigned) are the initial state. */
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1), one draw (a multiple of 2^-32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n), one draw. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** A seed for a tfjs random op (`tf.truncatedNormal(shape, 0, sd, 'float32', rng.seed())`):
   * an integer in [0, 2^31), one draw. */
  seed(): number {
    return this.int(2 ** 31);
  }
  /** A random permutation of 0..n-1 (Fisher-Yates; n - 1 draws). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
