// WAT for the fused pieces of the seed's inverse loss (fused-kernels.ts): the L1 pixel distance,
// logit(squash(p)) and the range penalty, each forward and backward in one pass instead of a dozen
// tfjs kernels.

export interface LossKernels {
  /** sum over n of |x - y|, accumulated in float64 */
  sum_abs_diff(x: number, y: number, n: number): number;
  /** out = dy * d|x - y|/dy = (x - y > 0 ? -dy : dy), as tfjs's Abs gradient takes the sign at 0 */
  abs_diff_grad(x: number, y: number, dy: number, out: number, n: number): void;
  /** per row of p[R,C]: out = q / (1 - q), q = ((p - min) / max(p - min) - 0.5) * 0.99 + 0.5 */
  squash_ratio(p: number, out: number, rows: number, cols: number): void;
  /** per row: out = dh · d log(squash_ratio(p)) / dp; elements tied for the row's min or max each
   * take the whole min/max gradient, as tfjs's Min/Max gradients give it */
  squash_logit_grad(p: number, dh: number, out: number, rows: number, cols: number): void;
  /** [min(l), max(l - 1)] over n elements, each l - 1 rounded to float32; NaN wins */
  range_extremes(l: number, n: number): [number, number];
  /** out = (l == mn ? dMin : 0) + (l - 1 == mx ? dMax : 0): every element tied for an extreme
   * takes its whole gradient, as tfjs's Min/Max gradients give it */
  range_excess_grad(l: number, n: number, mn: number, mx: number, dMin: number, dMax: number, out: number): void;
}

import { at, f64Sum, rows, type Ops } from './wat.js';

/** Move row pointers on by one row of $C floats. */
const advance = (ptrs: string[]) => ptrs.map((p) => `(local.set ${p} (i32.add (local.get ${p}) (i32.shl (local.get $C) (i32.const 2))))`).join('\n      ');

/** q = ((p - m) / mx - 0.5) * 0.99 + 0.5, with the row's 1/mx taken once. */
const squashed = (e: Ops) => e.add(e.mul(e.sub(e.mul(e.sub(e.load('$p'), e.get('$m')), e.get('$inv')), e.c(0.5)), e.c(0.99)), e.c(0.5));

/** Per-row range locals, scalar and splat, set by ROW_START. */
const ROW_LOCALS = '(local $m f32) (local $mV v128) (local $mx f32) (local $mxV v128) (local $inv f32) (local $invV v128)';
const ROW_START = `(call $rowRange (local.get $p) (local.get $C))
      (local.set $mx)
      (local.set $m)
      (local.set $inv (f32.div (f32.const 1) (local.get $mx)))
      (local.set $mV (f32x4.splat (local.get $m)))
      (local.set $mxV (f32x4.splat (local.get $mx)))
      (local.set $invV (f32x4.splat (local.get $inv)))`;

export const LOSS_WAT = `
${f64Sum(
  '(export "sum_abs_diff") (param $x i32) (param $y i32) (param $n i32)',
  `(f32x4.abs (f32x4.sub (v128.load ${at('$x', '$i')}) (v128.load ${at('$y', '$i')})))`,
  `(f32.abs (f32.sub (f32.load ${at('$x', '$i')}) (f32.load ${at('$y', '$i')})))`,
)}

  (func (export "abs_diff_grad") (param $x i32) (param $y i32) (param $dy f32) (param $o i32) (param $n i32)
    (local $i i32) (local $n4 i32) (local $pos v128) (local $neg v128) (local $zero v128)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $pos (f32x4.splat (local.get $dy)))
    (local.set $neg (f32x4.neg (local.get $pos)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n4)))
      (v128.store ${at('$o', '$i')} (v128.bitselect (local.get $neg) (local.get $pos)
        (f32x4.gt (f32x4.sub (v128.load ${at('$x', '$i')}) (v128.load ${at('$y', '$i')})) (local.get $zero))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $l)))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $i) (local.get $n)))
      (f32.store ${at('$o', '$i')} (select (f32.neg (local.get $dy)) (local.get $dy)
        (f32.gt (f32.sub (f32.load ${at('$x', '$i')}) (f32.load ${at('$y', '$i')})) (f32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l2))))

  ;; Horizontal reductions of a vector's four lanes.
  (func $hsum (param $v v128) (result f32)
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
             (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))
  (func $hmin (param $v v128) (result f32)
    (f32.min (f32.min (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
             (f32.min (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))
  (func $hmax (param $v v128) (result f32)
    (f32.max (f32.max (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
             (f32.max (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; The row's min m and the max of p - m (what squash divides by), as the composite computes them.
  (func $rowRange (param $p i32) (param $C i32) (result f32 f32)
    (local $j i32) (local $C4 i32) (local $acc v128) (local $m f32) (local $mx f32) (local $mV v128)
    (local.set $C4 (i32.and (local.get $C) (i32.const -4)))
    (local.set $acc (f32x4.splat (f32.const inf)))
    (local.set $m (f32.const inf))
    ${rows((e) => (e.v ? `(local.set $acc (f32x4.min (local.get $acc) ${e.load('$p')}))` : `(local.set $m (f32.min (local.get $m) ${e.load('$p')}))`))}
    (local.set $m (f32.min (local.get $m) (call $hmin (local.get $acc))))
    (local.set $mV (f32x4.splat (local.get $m)))
    (local.set $acc (f32x4.splat (f32.const -inf)))
    (local.set $mx (f32.const -inf))
    ${rows((e) =>
      e.v
        ? `(local.set $acc (f32x4.max (local.get $acc) ${e.sub(e.load('$p'), e.get('$m'))}))`
        : `(local.set $mx (f32.max (local.get $mx) ${e.sub(e.load('$p'), e.get('$m'))}))`,
    )}
    (local.get $m) (f32.max (local.get $mx) (call $hmax (local.get $acc))))

  (func (export "squash_ratio") (param $p i32) (param $o i32) (param $R i32) (param $C i32)
    (local $r i32) (local $j i32) (local $C4 i32) (local $q f32) (local $qV v128)
    ${ROW_LOCALS}
    (local.set $C4 (i32.and (local.get $C) (i32.const -4)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $R)))
      ${ROW_START}
      ${rows(
        (e) => `
        (local.set ${e.v ? '$qV' : '$q'} ${squashed(e)})
        ${e.store('$o', e.div(e.get('$q'), e.sub(e.c(1), e.get('$q'))))}`,
      )}
      ${advance(['$p', '$o'])}
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; With s = p - m, n = s / mx, q = (n - 0.5) * 0.99 + 0.5 and h = log(q / (1 - q)):
  ;; g = dh * 0.99 / (q (1 - q)) is dL/dn; dL/ds = g / mx, plus dmx = -sum(g s) / mx^2 where s == mx;
  ;; dL/dp = dL/ds, plus dm = -sum(dL/ds) where p == m.
  (func (export "squash_logit_grad") (param $p i32) (param $dh i32) (param $o i32) (param $R i32) (param $C i32)
    (local $r i32) (local $j i32) (local $C4 i32) (local $q f32) (local $qV v128) (local $g f32) (local $gV v128)
    (local $v f32) (local $vV v128) (local $acc f32) (local $accV v128) (local $dmx f32) (local $dmxV v128) (local $dm f32) (local $dmV v128)
    ${ROW_LOCALS}
    (local.set $C4 (i32.and (local.get $C) (i32.const -4)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $R)))
      ${ROW_START}
      (local.set $acc (f32.const 0))
      (local.set $accV (v128.const i32x4 0 0 0 0))
      ${rows(
        (e) => `
        (local.set ${e.v ? '$qV' : '$q'} ${squashed(e)})
        (local.set ${e.v ? '$gV' : '$g'} ${e.div(e.mul(e.load('$dh'), e.c(0.99)), e.mul(e.get('$q'), e.sub(e.c(1), e.get('$q'))))})
        ${e.store('$o', e.mul(e.get('$g'), e.get('$inv')))}
        (local.set ${e.v ? '$accV' : '$acc'} ${e.add(e.get('$acc'), e.mul(e.get('$g'), e.sub(e.load('$p'), e.get('$m'))))})`,
      )}
      (local.set $dmx (f32.neg (f32.mul (f32.add (local.get $acc) (call $hsum (local.get $accV))) (f32.mul (local.get $inv) (local.get $inv)))))
      (local.set $dmxV (f32x4.splat (local.get $dmx)))
      (local.set $acc (f32.const 0))
      (local.set $accV (v128.const i32x4 0 0 0 0))
      ${rows(
        (e) => `
        (local.set ${e.v ? '$vV' : '$v'} ${e.addWhere(e.load('$o'), e.eq(e.sub(e.load('$p'), e.get('$m')), e.get('$mx')), e.get('$dmx'))})
        ${e.store('$o', e.get('$v'))}
        (local.set ${e.v ? '$accV' : '$acc'} ${e.add(e.get('$acc'), e.get('$v'))})`,
      )}
      (local.set $dm (f32.neg (f32.add (local.get $acc) (call $hsum (local.get $accV)))))
      (local.set $dmV (f32x4.splat (local.get $dm)))
      ${rows((e) => e.store('$o', e.addWhere(e.load('$o'), e.eq(e.load('$p'), e.get('$m')), e.get('$dm'))))}
      ${advance(['$p', '$dh', '$o'])}
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  (func (export "range_extremes") (param $l i32) (param $n i32) (result f32 f32)
    (local $i i32) (local $n4 i32) (local $v v128) (local $mnV v128) (local $mxV v128) (local $mn f32) (local $mx f32) (local $x f32)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $mnV (f32x4.splat (f32.const inf)))
    (local.set $mxV (f32x4.splat (f32.const -inf)))
    (block $d (loop $lp
      (br_if $d (i32.ge_u (local.get $i) (local.get $n4)))
      (local.set $v (v128.load ${at('$l', '$i')}))
      (local.set $mnV (f32x4.min (local.get $mnV) (local.get $v)))
      (local.set $mxV (f32x4.max (local.get $mxV) (f32x4.sub (local.get $v) (f32x4.splat (f32.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $lp)))
    (local.set $mn (call $hmin (local.get $mnV)))
    (local.set $mx (call $hmax (local.get $mxV)))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (f32.load ${at('$l', '$i')}))
      (local.set $mn (f32.min (local.get $mn) (local.get $x)))
      (local.set $mx (f32.max (local.get $mx) (f32.sub (local.get $x) (f32.const 1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l2)))
    (local.get $mn) (local.get $mx))

  (func (export "range_excess_grad") (param $l i32) (param $n i32) (param $mn f32) (param $mx f32) (param $dMin f32) (param $dMax f32) (param $o i32)
    (local $i i32) (local $n4 i32) (local $v v128) (local $x f32)
    (local $mnV v128) (local $mxV v128) (local $dMinV v128) (local $dMaxV v128) (local $one v128)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $mnV (f32x4.splat (local.get $mn)))
    (local.set $mxV (f32x4.splat (local.get $mx)))
    (local.set $dMinV (f32x4.splat (local.get $dMin)))
    (local.set $dMaxV (f32x4.splat (local.get $dMax)))
    (local.set $one (f32x4.splat (f32.const 1)))
    (block $d (loop $lp
      (br_if $d (i32.ge_u (local.get $i) (local.get $n4)))
      (local.set $v (v128.load ${at('$l', '$i')}))
      (v128.store ${at('$o', '$i')} (f32x4.add
        (v128.and (f32x4.eq (local.get $v) (local.get $mnV)) (local.get $dMinV))
        (v128.and (f32x4.eq (f32x4.sub (local.get $v) (local.get $one)) (local.get $mxV)) (local.get $dMaxV))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $lp)))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (f32.load ${at('$l', '$i')}))
      (f32.store ${at('$o', '$i')} (f32.add
        (select (local.get $dMin) (f32.const 0) (f32.eq (local.get $x) (local.get $mn)))
        (select (local.get $dMax) (f32.const 0) (f32.eq (f32.sub (local.get $x) (f32.const 1)) (local.get $mx)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l2))))`;
