// The text of our SIMD kernels (WAT), loaded by wasm-simd.ts. Loops are generated so that each
// op/broadcast variant is a straight-line SIMD loop rather than a branch per element. Pointers
// are byte addresses in the wasm backend's memory; element counts are float32s.

export const BINARY_OPS = ['add', 'sub', 'mul', 'div'] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];
/** How an operand varies along the inner (column) axis: a vector, or one value per row. */
export type ColMode = 'v' | 's';

type BinaryKernel = (a: number, b: number, out: number, rows: number, cols: number, aR: number, bR: number) => void;

import { LOG_WAT, type LogKernels } from './wasm-log-wat.js';
import { LOSS_WAT, type LossKernels } from './wasm-loss-wat.js';
import { SPMM_WAT, type SpmmKernels } from './wasm-spmm-wat.js';
import { at, f64Sum, rows } from './wat.js';

export type SimdKernels = LossKernels &
  LogKernels &
  SpmmKernels & {
    /** dst[i,:] = src[idx[i],:] for i < n rows of `rowBytes` bytes; idx is int32. */
    gather_rows(src: number, idx: number, n: number, rowBytes: number, dst: number): void;
    /** dst[C,R] = transpose of src[R,C], 4-byte elements. */
    transpose(src: number, dst: number, rows: number, cols: number): void;
    sum_all(x: number, n: number): number;
    /** out[c] = sum over r of x[r,c] */
    sum_cols(x: number, out: number, rows: number, cols: number): void;
    /** out[r] = sum over c of x[r,c] */
    sum_rows(x: number, out: number, rows: number, cols: number): void;
    /** out = dy * (y * (1 - y)) over n elements */
    sigmoid_grad(y: number, dy: number, out: number, n: number): void;
    /** acc' = acc + g^2; w' = w - lr * g / sqrt(acc' + eps), over n elements. */
    adagrad(w: number, acc: number, g: number, wOut: number, accOut: number, n: number, lr: number, eps: number): void;
  } & {
    /** out[r,c] = a[r*aR + c] op b[r*bR + c] ('v' mode) or with the row's first element ('s' mode). */
    [K in `${BinaryOp}_${ColMode}${ColMode}`]: BinaryKernel;
  };

const F32 = { add: 'f32.add', sub: 'f32.sub', mul: 'f32.mul', div: 'f32.div' };

/** One binary loop: rows × cols, SIMD over columns with a scalar tail. */
function binary(op: BinaryOp, am: ColMode, bm: ColMode): string {
  const vec = (m: ColMode, p: string, s: string) =>
    m === 'v' ? `(v128.load (i32.add (local.get ${p}) (i32.shl (local.get $c) (i32.const 2))))` : `(local.get ${s})`;
  const sca = (m: ColMode, p: string, s: string) =>
    m === 'v' ? `(f32.load (i32.add (local.get ${p}) (i32.shl (local.get $c) (i32.const 2))))` : `(f32x4.extract_lane 0 (local.get ${s}))`;
  return `
  (func (export "${op}_${am}${bm}") (param $a i32) (param $b i32) (param $o i32) (param $R i32) (param $C i32) (param $aR i32) (param $bR i32)
    (local $r i32) (local $c i32) (local $pa i32) (local $pb i32) (local $C4 i32) (local $sa v128) (local $sb v128)
    (local.set $C4 (i32.and (local.get $C) (i32.const -4)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $R)))
      (local.set $pa (i32.add (local.get $a) (i32.shl (i32.mul (local.get $r) (local.get $aR)) (i32.const 2))))
      (local.set $pb (i32.add (local.get $b) (i32.shl (i32.mul (local.get $r) (local.get $bR)) (i32.const 2))))
      ${am === 's' ? '(local.set $sa (f32x4.splat (f32.load (local.get $pa))))' : ''}
      ${bm === 's' ? '(local.set $sb (f32x4.splat (f32.load (local.get $pb))))' : ''}
      (local.set $c (i32.const 0))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_u (local.get $c) (local.get $C4)))
        (v128.store (local.get $o) (f32x4.${op} ${vec(am, '$pa', '$sa')} ${vec(bm, '$pb', '$sb')}))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $cl)))
      (block $td (loop $tl
        (br_if $td (i32.ge_u (local.get $c) (local.get $C)))
        (f32.store (local.get $o) (${F32[op]} ${sca(am, '$pa', '$sa')} ${sca(bm, '$pb', '$sb')}))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $tl)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))`;
}

// Byte-lane patterns for a 4x4 transpose of 32-bit lanes: interleave low/high halves of two rows,
// then take 64-bit halves of two interleavings.
const LO32 = '0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23';
const HI32 = '8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31';
const LO64 = '0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23';
const HI64 = '8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31';

const FIXED = `
  (func (export "gather_rows") (param $src i32) (param $idx i32) (param $n i32) (param $row i32) (param $dst i32)
    (local $i i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (memory.copy (local.get $dst)
        (i32.add (local.get $src) (i32.mul (i32.load (i32.add (local.get $idx) (i32.shl (local.get $i) (i32.const 2)))) (local.get $row)))
        (local.get $row))
      (local.set $dst (i32.add (local.get $dst) (local.get $row)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))))

  ;; 4x4 blocks with shuffles; the ragged right and bottom edges element by element.
  (func (export "transpose") (param $s i32) (param $d i32) (param $R i32) (param $C i32)
    (local $r i32) (local $c i32) (local $R4 i32) (local $C4 i32) (local $p i32) (local $q i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $R4 (i32.and (local.get $R) (i32.const -4)))
    (local.set $C4 (i32.and (local.get $C) (i32.const -4)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $R4)))
      (local.set $c (i32.const 0))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_u (local.get $c) (local.get $C4)))
        (local.set $p (i32.add (local.get $s) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $C)) (local.get $c)) (i32.const 2))))
        (local.set $a0 (v128.load (local.get $p)))
        (local.set $p (i32.add (local.get $p) (i32.shl (local.get $C) (i32.const 2))))
        (local.set $a1 (v128.load (local.get $p)))
        (local.set $p (i32.add (local.get $p) (i32.shl (local.get $C) (i32.const 2))))
        (local.set $a2 (v128.load (local.get $p)))
        (local.set $p (i32.add (local.get $p) (i32.shl (local.get $C) (i32.const 2))))
        (local.set $a3 (v128.load (local.get $p)))
        (local.set $t0 (i8x16.shuffle ${LO32} (local.get $a0) (local.get $a1)))
        (local.set $t1 (i8x16.shuffle ${HI32} (local.get $a0) (local.get $a1)))
        (local.set $t2 (i8x16.shuffle ${LO32} (local.get $a2) (local.get $a3)))
        (local.set $t3 (i8x16.shuffle ${HI32} (local.get $a2) (local.get $a3)))
        (local.set $q (i32.add (local.get $d) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $R)) (local.get $r)) (i32.const 2))))
        (v128.store (local.get $q) (i8x16.shuffle ${LO64} (local.get $t0) (local.get $t2)))
        (local.set $q (i32.add (local.get $q) (i32.shl (local.get $R) (i32.const 2))))
        (v128.store (local.get $q) (i8x16.shuffle ${HI64} (local.get $t0) (local.get $t2)))
        (local.set $q (i32.add (local.get $q) (i32.shl (local.get $R) (i32.const 2))))
        (v128.store (local.get $q) (i8x16.shuffle ${LO64} (local.get $t1) (local.get $t3)))
        (local.set $q (i32.add (local.get $q) (i32.shl (local.get $R) (i32.const 2))))
        (v128.store (local.get $q) (i8x16.shuffle ${HI64} (local.get $t1) (local.get $t3)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $cl)))
      (local.set $r (i32.add (local.get $r) (i32.const 4)))
      (br $rl)))
    ;; right edge: columns C4.. of rows 0..R4; bottom edge: rows R4.. of every column
    (call $edge (local.get $s) (local.get $d) (local.get $R) (local.get $C) (i32.const 0) (local.get $R4) (local.get $C4) (local.get $C))
    (call $edge (local.get $s) (local.get $d) (local.get $R) (local.get $C) (local.get $R4) (local.get $R) (i32.const 0) (local.get $C)))

  (func $edge (param $s i32) (param $d i32) (param $R i32) (param $C i32) (param $r0 i32) (param $r1 i32) (param $c0 i32) (param $c1 i32)
    (local $r i32) (local $c i32)
    (local.set $r (local.get $r0))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $r1)))
      (local.set $c (local.get $c0))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_u (local.get $c) (local.get $c1)))
        (i32.store (i32.add (local.get $d) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $R)) (local.get $r)) (i32.const 2)))
          (i32.load (i32.add (local.get $s) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $C)) (local.get $c)) (i32.const 2)))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $cl)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ${f64Sum('$sum (export "sum_all") (param $x i32) (param $n i32)', `(v128.load ${at('$x', '$i')})`, `(f32.load ${at('$x', '$i')})`)}

  (func (export "sum_rows") (param $x i32) (param $o i32) (param $R i32) (param $C i32)
    (local $r i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $r) (local.get $R)))
      (f32.store (i32.add (local.get $o) (i32.shl (local.get $r) (i32.const 2)))
        (call $sum (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $C)) (i32.const 2))) (local.get $C)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $l))))

  ;; Row by row into the output, which stays in cache: x is read once, in order.
  (func (export "sum_cols") (param $x i32) (param $o i32) (param $R i32) (param $C i32)
    (local $r i32) (local $j i32) (local $C4 i32)
    (local.set $C4 (i32.and (local.get $C) (i32.const -4)))
    (memory.fill (local.get $o) (i32.const 0) (i32.shl (local.get $C) (i32.const 2)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $R)))
      ${rows((e) => e.store('$o', e.add(e.load('$o'), e.load('$x'))))}
      (local.set $x (i32.add (local.get $x) (i32.shl (local.get $C) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; dy * (y * (1 - y)): the gradient of sigmoid from its output, in tfjs's order of operations.
  (func (export "sigmoid_grad") (param $y i32) (param $dy i32) (param $o i32) (param $n i32)
    (local $i i32) (local $n4 i32)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    ${rows((e) => e.store('$o', e.mul(e.load('$dy'), e.mul(e.load('$y'), e.sub(e.c(1), e.load('$y'))))), { i: '$i', n: '$n', n4: '$n4' })})

  (func (export "adagrad") (param $w i32) (param $a i32) (param $g i32) (param $wo i32) (param $ao i32) (param $n i32) (param $lr f32) (param $eps f32)
    (local $i i32) (local $n4 i32) (local $gr f32) (local $grV v128) (local $acc f32) (local $accV v128)
    (local $lrV v128) (local $epsV v128)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $lrV (f32x4.splat (local.get $lr)))
    (local.set $epsV (f32x4.splat (local.get $eps)))
    ${rows(
      (e) => `
      (local.set ${e.v ? '$grV' : '$gr'} ${e.load('$g')})
      (local.set ${e.v ? '$accV' : '$acc'} ${e.add(e.load('$a'), e.mul(e.get('$gr'), e.get('$gr')))})
      ${e.store('$ao', e.get('$acc'))}
      ${e.store('$wo', e.sub(e.load('$w'), e.mul(e.get('$lr'), e.div(e.get('$gr'), e.sqrt(e.add(e.get('$acc'), e.get('$eps')))))))}`,
      { i: '$i', n: '$n', n4: '$n4' },
    )})`;

/** The module's text for a backend memory that is (threaded build) or is not shared. */
export function kernelsWat(shared: boolean): string {
  const binaries = BINARY_OPS.flatMap((op) => (['v', 's'] as const).flatMap((am) => (['v', 's'] as const).map((bm) => binary(op, am, bm))));
  return `(module
  (import "env" "memory" ${shared ? '(memory 1 65536 shared)' : '(memory 1)'})
  ${FIXED}
  ${LOSS_WAT}
  ${SPMM_WAT}
  ${LOG_WAT}
  ${binaries.join('\n')}
)`;
}
