// The computation of `features` (../features.ts is its definition): each last-hidden-layer unit
// projected back to pixels and rounded as the seed. Imported only when the stage runs, as it
// loads tfjs.
import { tf } from 'mlpipe/sdk/tf';
import type { StageContext, StageResult } from 'mlpipe/sdk/stage';
import { asClassifier, asInverse, expectInverseOf, invert, lastHidden } from '../shared/mlp.js';
import { tensorGrid } from 'mlpipe/sdk/pictures';
import type { FeaturesParams } from '../features.js';

/** np.round(x, decimals) on float32: scale, round half to even, unscale, all in float32. Done in
 * JS rather than tf.round so the result cannot depend on a backend's tie-breaking. */
export function roundLikeNumpy(values: Float32Array, step: number): Float32Array {
  if (step === 0) return values;
  const k = Math.fround(1 / step);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const y = Math.fround(values[i] * k);
    let r = Math.round(y);
    if (r - y === 0.5 && r % 2 !== 0) r -= 1; // Math.round breaks ties upwards; numpy to even
    out[i] = r / k;
  }
  return out;
}

export async function run(ctx: StageContext<FeaturesParams>): Promise<StageResult> {
  const { scale, round } = ctx.params;
  const model = asClassifier(ctx.inputs.model, 'features');
  const inv = asInverse(ctx.inputs.inverse, 'features');
  expectInverseOf('features', model, inv);
  const h = lastHidden(model);
  const raw = tf.tidy(() => invert(model, inv, tf.mul(tf.eye(h), scale) as tf.Tensor2D));
  const shape = raw.shape as [number, number];
  let rounded: Float32Array;
  try {
    rounded = roundLikeNumpy(raw.dataSync() as Float32Array, round);
  } finally {
    raw.dispose();
  }
  const images = tf.tensor2d(rounded, shape);
  try {
    const pictures = { features: tensorGrid(images) };
    await ctx.progress(1, 1);
    return { outputs: { images: { images } }, metrics: { count: h }, pictures };
  } catch (err) {
    images.dispose();
    throw err;
  }
}
