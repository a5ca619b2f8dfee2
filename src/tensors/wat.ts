// Pieces of WAT text shared by the kernel modules (wasm-simd-wat.ts, wasm-loss-wat.ts).

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
