// The example's two model paths, written with the public SDK only:
//  - the autoencoder's forward pass (tensors named as train-autoencoder.ts documents), and
//  - the seed's inverse projection for a classifier of N hidden layers (w1, b1, ..., wN, bN, w, b)
//    and its inverse (w1inv ... wNinv), computed exactly as the built-in `reconstruct` does:
//      zN = sigmoid(...sigmoid(x@w1+b1)...)@wN+bN        (the last hidden pre-activation)
//      l(N-1)_inv = (zN - bN) @ wNinv
//      l(k-1)_inv = (logit(squash(lk_inv)) - bk) @ wkinv  for k = N-1 down to 1; l0_inv the pixels.
import { squashLogit, tf } from 'mlpipe/sdk';
import type { Artifact } from 'mlpipe/sdk';

function need(a: Artifact, name: string, what: string): tf.Tensor {
  const t = a[name];
  if (t == null) throw new Error(`${what} is missing tensor "${name}"`);
  return t;
}

/** The decoder's output pre-activation, sigmoid(sigmoid(sigmoid(x@e1+eb1)@e2+eb2)@d1+db1)@d2+db2,
 * [rows, D]: the reconstruction's logits (the cross-entropy loss works from them). */
export function decoderLogits(ae: Artifact, x: tf.Tensor2D, what = 'autoencoder artifact'): tf.Tensor2D {
  return tf.tidy(() => {
    const layer = (h: tf.Tensor2D, w: string, b: string) => tf.add(tf.matMul(h, need(ae, w, what) as tf.Tensor2D), need(ae, b, what)) as tf.Tensor2D;
    let h = x;
    for (const [w, b] of [
      ['e1', 'eb1'],
      ['e2', 'eb2'],
      ['d1', 'db1'],
    ]) {
      h = tf.sigmoid(layer(h, w, b)) as tf.Tensor2D;
    }
    return layer(h, 'd2', 'db2');
  });
}

/** The reconstruction x' = sigmoid(decoderLogits(x)), [rows, D], in (0, 1) as the pixels. */
export function reconstructWith(ae: Artifact, x: tf.Tensor2D, what = 'autoencoder artifact'): tf.Tensor2D {
  return tf.tidy(() => tf.sigmoid(decoderLogits(ae, x, what)) as tf.Tensor2D);
}

/** Summed binary cross-entropy of pixels x in [0, 1] against x' = sigmoid(z), from the logits z:
 * -x log x' - (1 - x) log(1 - x') = x log(1 + exp(-z)) + (1 - x) log(1 + exp(z)). Written with ops
 * whose gradients tfjs registers here (Log1p's and Relu's are not, so not TF's stable
 * max(z, 0) - z*x + log1p(exp(-|z|))); exp overflows only for |z| > 88, far from where it trains. */
export function sigmoidCrossEntropy(x: tf.Tensor, z: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const softplus = (t: tf.Tensor) => tf.log(tf.add(1, tf.exp(t)));
    return tf.sum(tf.add(tf.mul(x, softplus(tf.neg(z))), tf.mul(tf.sub(1, x), softplus(z)))) as tf.Scalar;
  });
}

/** The number of hidden layers of a classifier artifact: w1, w2, ... without a gap. */
export function depthOf(model: Artifact): number {
  let n = 0;
  while (model[`w${n + 1}`] != null) n++;
  if (n === 0) throw new Error('classifier artifact is missing tensor "w1"');
  return n;
}

/** The seed's inverse projection of the rows of x [rows, D] back to pixels [rows, D]. */
export function invertWith(model: Artifact, inverse: Artifact, x: tf.Tensor2D): tf.Tensor2D {
  const n = depthOf(model);
  const w = (k: number) => need(model, `w${k}`, 'classifier artifact') as tf.Tensor2D;
  const b = (k: number) => need(model, `b${k}`, 'classifier artifact');
  const winv = (k: number) => need(inverse, `w${k}inv`, 'inverse artifact') as tf.Tensor2D;
  return tf.tidy(() => {
    let z = tf.add(tf.matMul(x, w(1)), b(1)) as tf.Tensor2D;
    for (let k = 2; k <= n; k++) z = tf.add(tf.matMul(tf.sigmoid(z), w(k)), b(k)) as tf.Tensor2D;
    let l: tf.Tensor2D = tf.matMul(tf.sub(z, b(n)) as tf.Tensor2D, winv(n));
    for (let k = n - 1; k >= 1; k--) l = tf.matMul(tf.sub(squashLogit(l), b(k)) as tf.Tensor2D, winv(k));
    return l;
  });
}

/** Mean absolute pixel error of y against x (same shape), as a number. */
export function l1PerPixel(x: tf.Tensor, y: tf.Tensor): number {
  const m = tf.tidy(() => tf.mean(tf.abs(tf.sub(y, x))));
  const v = m.dataSync()[0];
  m.dispose();
  return v;
}
