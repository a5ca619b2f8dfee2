// WAT for the fused pieces of the seed's inverse loss (fused-ops.ts): the L1 pixel distance and
// logit(squash(p)), each forward and backward in one pass instead of a dozen tfjs kernels.

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
}

import { at, f64Sum } from './wat.js';

export const LOSS_WAT = `
${f64Sum('(export "sum_abs_diff") (param $x i32) (param $y i32) (param $n i32)',
    `(f32x4.abs (f32x4.sub (v128.load ${at('$x', '$i')}) (v128.load ${at('$y', '$i')})))`,
    `(f32.abs (f32.sub (f32.load ${at('$x', '$i')}) (f32.load ${at('$y', '$i')})))`)}

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

  ;; The row's min m and the max of p - m (what squash divides by), as the composite computes them.
  (func $rowRange (param $p i32) (param $C i32) (result f32 f32)
    (local $j i32) (local $m f32) (local $mx f32)
    (local.set $m (f32.const inf))
    (local.set $mx (f32.const -inf))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $j) (local.get $C)))
      (local.set $m (f32.min (local.get $m) (f32.load ${at('$p', '$j')})))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l)))
    (local.set $j (i32.const 0))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $j) (local.get $C)))
      (local.set $mx (f32.max (local.get $mx) (f32.sub (f32.load ${at('$p', '$j')}) (local.get $m))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l2)))
    (local.get $m) (local.get $mx))

  ;; Divisions dominate these scalar loops: the row's 1/mx is taken once.
  (func $squashed (param $s f32) (param $inv f32) (result f32)
    (f32.add (f32.mul (f32.sub (f32.mul (local.get $s) (local.get $inv)) (f32.const 0.5)) (f32.const 0.99)) (f32.const 0.5)))

  (func (export "squash_ratio") (param $p i32) (param $o i32) (param $R i32) (param $C i32)
    (local $r i32) (local $j i32) (local $m f32) (local $mx f32) (local $inv f32) (local $q f32)
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $R)))
      (call $rowRange (local.get $p) (local.get $C))
      (local.set $mx)
      (local.set $m)
      (local.set $inv (f32.div (f32.const 1) (local.get $mx)))
      (local.set $j (i32.const 0))
      (block $d (loop $l
        (br_if $d (i32.ge_u (local.get $j) (local.get $C)))
        (local.set $q (call $squashed (f32.sub (f32.load ${at('$p', '$j')}) (local.get $m)) (local.get $inv)))
        (f32.store ${at('$o', '$j')} (f32.div (local.get $q) (f32.sub (f32.const 1) (local.get $q))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l)))
      (local.set $p (i32.add (local.get $p) (i32.shl (local.get $C) (i32.const 2))))
      (local.set $o (i32.add (local.get $o) (i32.shl (local.get $C) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; With s = p - m, n = s / mx, q = (n - 0.5) * 0.99 + 0.5 and h = log(q / (1 - q)):
  ;; g = dh * 0.99 / (q (1 - q)) is dL/dn; dL/ds = g / mx, plus -sum(g s) / mx^2 where s == mx;
  ;; dL/dp = dL/ds, plus -sum(dL/ds) where p == m.
  (func (export "squash_logit_grad") (param $p i32) (param $dh i32) (param $o i32) (param $R i32) (param $C i32)
    (local $r i32) (local $j i32) (local $m f32) (local $mx f32) (local $s f32) (local $q f32) (local $g f32)
    (local $dmx f32) (local $dm f32) (local $v f32) (local $inv f32)
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $R)))
      (call $rowRange (local.get $p) (local.get $C))
      (local.set $mx)
      (local.set $m)
      (local.set $inv (f32.div (f32.const 1) (local.get $mx)))
      (local.set $dmx (f32.const 0))
      (local.set $dm (f32.const 0))
      (local.set $j (i32.const 0))
      (block $d (loop $l
        (br_if $d (i32.ge_u (local.get $j) (local.get $C)))
        (local.set $s (f32.sub (f32.load ${at('$p', '$j')}) (local.get $m)))
        (local.set $q (call $squashed (local.get $s) (local.get $inv)))
        (local.set $g (f32.div (f32.mul (f32.load ${at('$dh', '$j')}) (f32.const 0.99))
          (f32.mul (local.get $q) (f32.sub (f32.const 1) (local.get $q)))))
        (f32.store ${at('$o', '$j')} (f32.mul (local.get $g) (local.get $inv)))
        (local.set $dmx (f32.sub (local.get $dmx) (f32.mul (local.get $g) (local.get $s))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l)))
      (local.set $dmx (f32.mul (local.get $dmx) (f32.mul (local.get $inv) (local.get $inv))))
      (local.set $j (i32.const 0))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $j) (local.get $C)))
        (local.set $v (f32.load ${at('$o', '$j')}))
        (if (f32.eq (f32.sub (f32.load ${at('$p', '$j')}) (local.get $m)) (local.get $mx))
          (then (local.set $v (f32.add (local.get $v) (local.get $dmx)))
                (f32.store ${at('$o', '$j')} (local.get $v))))
        (local.set $dm (f32.sub (local.get $dm) (local.get $v)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l2)))
      (local.set $j (i32.const 0))
      (block $d3 (loop $l3
        (br_if $d3 (i32.ge_u (local.get $j) (local.get $C)))
        (if (f32.eq (f32.load ${at('$p', '$j')}) (local.get $m))
          (then (f32.store ${at('$o', '$j')} (f32.add (f32.load ${at('$o', '$j')}) (local.get $dm)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $l3)))
      (local.set $p (i32.add (local.get $p) (i32.shl (local.get $C) (i32.const 2))))
      (local.set $dh (i32.add (local.get $dh) (i32.shl (local.get $C) (i32.const 2))))
      (local.set $o (i32.add (local.get $o) (i32.shl (local.get $C) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))`;
