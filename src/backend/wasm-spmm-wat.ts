// WAT for a product whose left operand is mostly zeros: C[M,N] = A[M,K] · B[K,N] visiting only
// A's nonzeros. MNIST batches are ~80% zero pixels, so x·W1 and xᵀ·dZ1 (the two 784-wide products
// of a classifier step) do a fifth of the multiply-adds; finding the nonzeros is one pass over A.
// Each output is summed over k in increasing order with separate multiply and add, as XNNPACK's
// wasm kernels do, and skipping a zero term leaves such a sum unchanged: the result is bitwise the
// dense product's (unless B holds inf or NaN, where 0·inf would have made NaN).

export interface SpmmKernels {
  /** C = A · B for row-major A [M,K], B [K,N], C [M,N]; `scratch` holds 2K words. */
  spmm(a: number, m: number, k: number, b: number, n: number, c: number, scratch: number): void;
}

/** Most vector accumulators a pass keeps in registers (x64 has 16 vector registers). */
const MAX = 9;

/** One pass over the row's nonzeros for `vecs` vectors of columns from byte offset $cb. */
function pass(vecs: number): string {
  const accs = Array.from({ length: vecs }, (_, i) => `$a${i}`);
  return `
        ${accs.map((a) => `(local.set ${a} (v128.const i32x4 0 0 0 0))`).join(' ')}
        (local.set $t (i32.const 0))
        (block $td (loop $tl
          (br_if $td (i32.ge_u (local.get $t) (local.get $nnzb)))
          (local.set $s (v128.load32_splat (i32.add (local.get $vals) (local.get $t))))
          (local.set $p (i32.add (i32.load (i32.add (local.get $ptrs) (local.get $t))) (local.get $cb)))
          ${accs.map((a, i) => `(local.set ${a} (f32x4.add (local.get ${a}) (f32x4.mul (local.get $s) (v128.load offset=${16 * i} (local.get $p)))))`).join('\n          ')}
          (local.set $t (i32.add (local.get $t) (i32.const 4)))
          (br $tl)))
        (local.set $q (i32.add (local.get $crow) (local.get $cb)))
        ${accs.map((a, i) => `(v128.store offset=${16 * i} (local.get $q) (local.get ${a}))`).join(' ')}`;
}

/** Dispatch on $w (1..MAX vectors) to the pass of that width. */
function passes(): string {
  const labels = Array.from({ length: MAX + 1 }, (_, w) => `$w${w}`);
  let body = `(br_table ${labels.join(' ')} (local.get $w))`;
  for (let w = 0; w <= MAX; w++) body = `(block ${labels[w]} ${body})\n${w === 0 ? '' : pass(w)}\n(br $passDone)`;
  return `(block $passDone ${body})`;
}

export const SPMM_WAT = `
  (func (export "spmm") (param $a i32) (param $M i32) (param $K i32) (param $b i32) (param $N i32) (param $o i32) (param $scratch i32)
    (local $r i32) (local $k i32) (local $t i32) (local $nnzb i32) (local $v f32) (local $p i32) (local $q i32)
    (local $ptrs i32) (local $vals i32) (local $crow i32) (local $rowb i32) (local $cb i32) (local $vecs i32) (local $w i32)
    (local $c i32) (local $sum f32) (local $s v128)
    ${Array.from({ length: MAX }, (_, i) => `(local $a${i} v128)`).join(' ')}
    (local.set $ptrs (local.get $scratch))
    (local.set $vals (i32.add (local.get $scratch) (i32.shl (local.get $K) (i32.const 2))))
    (local.set $rowb (i32.shl (local.get $N) (i32.const 2)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $M)))
      ;; The row's nonzeros, without branches: always write, advance only past a nonzero. For each,
      ;; the address of B's row k and the value.
      (local.set $nnzb (i32.const 0))
      (local.set $k (i32.const 0))
      (local.set $p (local.get $b))
      (block $kd (loop $kl
        (br_if $kd (i32.ge_u (local.get $k) (local.get $K)))
        (local.set $v (f32.load (local.get $a)))
        (i32.store (i32.add (local.get $ptrs) (local.get $nnzb)) (local.get $p))
        (f32.store (i32.add (local.get $vals) (local.get $nnzb)) (local.get $v))
        (local.set $nnzb (i32.add (local.get $nnzb) (i32.shl (f32.ne (local.get $v) (f32.const 0)) (i32.const 2))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $p (i32.add (local.get $p) (local.get $rowb)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $kl)))
      (local.set $crow (i32.add (local.get $o) (i32.mul (local.get $r) (local.get $rowb))))
      ;; Whole vectors of columns in as few passes as MAX allows, of near-equal widths.
      (local.set $vecs (i32.shr_u (local.get $N) (i32.const 2)))
      (local.set $cb (i32.const 0))
      (block $vd (loop $vl
        (br_if $vd (i32.eqz (local.get $vecs)))
        ;; w = ceil(vecs / ceil(vecs / MAX))
        (local.set $w (i32.div_u (i32.add (local.get $vecs) (i32.const ${MAX - 1})) (i32.const ${MAX})))
        (local.set $w (i32.div_u (i32.add (local.get $vecs) (i32.sub (local.get $w) (i32.const 1))) (local.get $w)))
        ${passes()}
        (local.set $cb (i32.add (local.get $cb) (i32.shl (local.get $w) (i32.const 4))))
        (local.set $vecs (i32.sub (local.get $vecs) (local.get $w)))
        (br $vl)))
      ;; The last N mod 4 columns one at a time.
      (local.set $c (i32.shr_u (local.get $cb) (i32.const 2)))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_u (local.get $c) (local.get $N)))
        (local.set $sum (f32.const 0))
        (local.set $t (i32.const 0))
        (block $td (loop $tl
          (br_if $td (i32.ge_u (local.get $t) (local.get $nnzb)))
          (local.set $sum (f32.add (local.get $sum) (f32.mul
            (f32.load (i32.add (local.get $vals) (local.get $t)))
            (f32.load (i32.add (i32.load (i32.add (local.get $ptrs) (local.get $t))) (i32.shl (local.get $c) (i32.const 2)))))))
          (local.set $t (i32.add (local.get $t) (i32.const 4)))
          (br $tl)))
        (f32.store (i32.add (local.get $crow) (i32.shl (local.get $c) (i32.const 2))) (local.get $sum))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $sl)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))`;
