// Pieces of WAT text shared by the kernel modules (wasm-simd-wat.ts, wasm-loss-wat.ts): element
// addresses, float64 sums, and loops written once for four elements (SIMD) and for one (the tail).

/** Byte address of float32 element `i` of the array at `base` (both WAT locals). */
export const at = (base: string, i: string) => `(i32.add (local.get ${base}) (i32.shl (local.get ${i}) (i32.const 2)))`;

/**
 * A function summing a float32 expression over n elements in float64 (a float32 running sum of
 * a [1000, 784] loss drifts by whole units). `vec` is the f32x4 value at element $i, `scalar`
 * the f32 value there; `signature` names the function and its params, ending with $n i32.
 */
export function f64Sum(signature: string, vec: string, scalar: string): string {
  return `
  (func ${signature} (result f32)
    (local $i i32) (local $n4 i32) (local $v v128) (local $s0 v128) (local $s1 v128) (local $t f64)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n4)))
      (local.set $v ${vec})
      (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $v))))
      (local.set $s1 (f64x2.add (local.get $s1) (f64x2.promote_low_f32x4
        (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l)))
    (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
    (local.set $t (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $t (f64.add (local.get $t) (f64.promote_f32 ${scalar})))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l2)))
    (f32.demote_f64 (local.get $t)))`;
}

/** Expression builders for one element ($j, scalar f32) or four ($j..$j+3, f32x4). A local named
 * $x holds the scalar; $xV its vector form (a splat, or the vector loop's own value). */
export interface Ops {
  v: boolean;
  load(base: string): string;
  store(base: string, x: string): string;
  get(local: string): string;
  c(x: number): string;
  add(a: string, b: string): string;
  sub(a: string, b: string): string;
  mul(a: string, b: string): string;
  div(a: string, b: string): string;
  sqrt(a: string): string;
  eq(a: string, b: string): string;
  /** a + (cond ? x : 0) */
  addWhere(a: string, cond: string, x: string): string;
}

function ops(v: boolean, i: string): Ops {
  const t = v ? 'f32x4' : 'f32';
  const bin = (op: string) => (a: string, b: string) => `(${t}.${op} ${a} ${b})`;
  return {
    v,
    load: (base) => `(${v ? 'v128' : 'f32'}.load ${at(base, i)})`,
    store: (base, x) => `(${v ? 'v128' : 'f32'}.store ${at(base, i)} ${x})`,
    get: (local) => `(local.get ${local}${v ? 'V' : ''})`,
    c: (x) => (v ? `(f32x4.splat (f32.const ${x}))` : `(f32.const ${x})`),
    add: bin('add'),
    sub: bin('sub'),
    mul: bin('mul'),
    div: bin('div'),
    sqrt: (a) => `(${t}.sqrt ${a})`,
    eq: bin('eq'),
    addWhere: (a, cond, x) => (v ? `(f32x4.add ${a} (v128.and ${cond} ${x}))` : `(f32.add ${a} (select ${x} (f32.const 0) ${cond}))`),
  };
}

let label = 0;
/** The body once per four elements while four remain, then once per element: $j = 0 .. $C
 * (other local names with `names`; `n4` must hold n rounded down to a multiple of 4). */
export function rows(body: (e: Ops) => string, names = { i: '$j', n: '$C', n4: '$C4' }): string {
  const { i, n, n4 } = names;
  const [v, s] = [`$v${label}`, `$s${label++}`];
  return `
    (local.set ${i} (i32.const 0))
    (block ${v}d (loop ${v}
      (br_if ${v}d (i32.ge_u (local.get ${i}) (local.get ${n4})))
      ${body(ops(true, i))}
      (local.set ${i} (i32.add (local.get ${i}) (i32.const 4)))
      (br ${v})))
    (block ${s}d (loop ${s}
      (br_if ${s}d (i32.ge_u (local.get ${i}) (local.get ${n})))
      ${body(ops(false, i))}
      (local.set ${i} (i32.add (local.get ${i}) (i32.const 1)))
      (br ${s})))`;
}
