// WAT for a SIMD float32 natural log (wasm-log.ts). tfjs-backend-wasm's Log calls libm's logf once
// per element: 0.4-0.6 ms of the inverse's training step for its [1000, 100] logit. This is Cephes'
// logf (frexp, a degree-8 polynomial for log(1 + f), ln 2 split in two), eight lanes at a time,
// within 2 ulp of the correctly rounded log (test/wasm-log.test.ts), with IEEE's special values:
// log(0) = -Infinity, log(x < 0) = log(NaN) = NaN, log(Infinity) = Infinity; subnormals are
// scaled first.

export interface LogKernels {
  /** out[i] = ln(x[i]) over n float32 elements */
  log(x: number, out: number, n: number): void;
}

const P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
];
const literal = (c: number) => (Number.isNaN(c) ? 'nan' : c === Infinity ? 'inf' : c === -Infinity ? '-inf' : String(c));
const splat = (c: number) => `(f32x4.splat (f32.const ${literal(c)}))`;
/** P at f (z = f^2) by Estrin's scheme, times f^3: a chain of 8 dependent ops where Horner's is 18. */
const poly = (f: string, z: string) => {
  const b = [...P].reverse(); // b[k] multiplies f^k
  const mad = (a: string, x: string, c: string) => `(f32x4.add ${c} (f32x4.mul ${a} ${x}))`;
  const t = [0, 1, 2, 3].map((i) => mad(splat(b[2 * i + 1]), f, splat(b[2 * i])));
  const w = `(f32x4.mul ${z} ${z})`;
  const low = mad(t[1], z, t[0]);
  const high = mad(t[3], z, t[2]);
  const all = `(f32x4.add ${mad(high, w, low)} (f32x4.mul ${splat(b[8])} (f32x4.mul ${w} ${w})))`;
  return `(f32x4.mul (f32x4.mul ${all} ${f}) ${z})`;
};
const NAMES = ['x', 'v', 'sub', 'e', 'm', 'lo', 'f', 'z', 'ef', 'y'];
/** Locals for one group of four lanes, suffixed so that several groups interleave. */
const locals = (s: string) => NAMES.map((n) => `(local $${n}${s} v128)`).join(' ');

/** Statements setting $y<s> to log($x<s>), four lanes. Each result waits on a chain of dependent
 * ops: two groups side by side keep the core busy where one would wait on each result. */
function logOf(s: string): string {
  const g = (n: string) => `(local.get $${n}${s})`;
  const set = (n: string, v: string) => `(local.set $${n}${s} ${v})`;
  return `
      ;; subnormals: scale by 2^24 first, and take 24 off the exponent
      ${set('sub', `(v128.and (f32x4.lt ${g('x')} ${splat(1.1754943508222875e-38)}) (f32x4.gt ${g('x')} ${splat(0)}))`)}
      ${set('v', `(v128.bitselect (f32x4.mul ${g('x')} ${splat(16777216)}) ${g('x')} ${g('sub')})`)}
      ;; frexp: v = m 2^e, m in [0.5, 1)
      ${set('e', `(i32x4.sub (i32x4.sub (i32x4.shr_u (v128.and ${g('v')} (i32x4.splat (i32.const 0x7f800000))) (i32.const 23)) (i32x4.splat (i32.const 126))) (v128.and ${g('sub')} (i32x4.splat (i32.const 24))))`)}
      ${set('m', `(v128.or (v128.and ${g('v')} (i32x4.splat (i32.const 0x007fffff))) (i32x4.splat (i32.const 0x3f000000)))`)}
      ;; m < sqrt(1/2): f = 2m - 1 and e - 1; else f = m - 1
      ${set('lo', `(f32x4.lt ${g('m')} ${splat(Math.SQRT1_2)})`)}
      ${set('e', `(i32x4.add ${g('e')} ${g('lo')})`)}
      ${set('f', `(f32x4.sub (f32x4.add ${g('m')} (v128.and ${g('m')} ${g('lo')})) ${splat(1)})`)}
      ${set('z', `(f32x4.mul ${g('f')} ${g('f')})`)}
      ${set('ef', `(f32x4.convert_i32x4_s ${g('e')})`)}
      ${set('y', `(f32x4.add ${poly(g('f'), g('z'))} (f32x4.mul ${g('ef')} ${splat(-2.1219444e-4)}))`)}
      ${set('y', `(f32x4.add ${g('y')} (f32x4.mul ${g('z')} ${splat(-0.5)}))`)}
      ${set('y', `(f32x4.add (f32x4.add ${g('f')} ${g('y')}) (f32x4.mul ${g('ef')} ${splat(0.693359375)}))`)}
      ;; the special values
      ${set('y', `(v128.bitselect ${splat(Number.NEGATIVE_INFINITY)} ${g('y')} (f32x4.eq ${g('x')} ${splat(0)}))`)}
      ${set('y', `(v128.bitselect ${splat(Number.POSITIVE_INFINITY)} ${g('y')} (f32x4.eq ${g('x')} ${splat(Number.POSITIVE_INFINITY)}))`)}
      ${set('y', `(v128.bitselect ${splat(Number.NaN)} ${g('y')} (v128.not (f32x4.ge ${g('x')} ${splat(0)})))`)}`;
}

const GROUPS = ['0', '1'];
const addr = (base: string, plus: number) => `(i32.add (local.get ${base}) (i32.add (i32.shl (local.get $i) (i32.const 2)) (i32.const ${plus})))`;

export const LOG_WAT = `
  (func (export "log") (param $x i32) (param $o i32) (param $n i32)
    (local $i i32) (local $n16 i32) ${GROUPS.map(locals).join(' ')}
    (local.set $n16 (i32.sub (local.get $n) (i32.rem_u (local.get $n) (i32.const ${4 * GROUPS.length}))))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n16)))
      ${GROUPS.map((s, k) => `(local.set $x${s} (v128.load ${addr('$x', 16 * k)}))`).join('\n      ')}
      ${GROUPS.map(logOf).join('')}
      ${GROUPS.map((s, k) => `(v128.store ${addr('$o', 16 * k)} (local.get $y${s}))`).join('\n      ')}
      (local.set $i (i32.add (local.get $i) (i32.const ${4 * GROUPS.length})))
      (br $l)))
    ;; the tail one element at a time, splatted through the same lanes, lane 0 kept
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x0 (f32x4.splat (f32.load ${addr('$x', 0)})))
      ${logOf('0')}
      (f32.store ${addr('$o', 0)} (f32x4.extract_lane 0 (local.get $y0)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l2))))`;
