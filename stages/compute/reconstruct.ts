// The computation of `reconstruct` (../reconstruct.ts is its definition): test samples through
// the classifier and back with the inverse. Imported only when the stage runs, as it loads tfjs.
import { tf } from 'mlpipe/sdk/tf';
import type { StageContext, StageResult } from 'mlpipe/sdk/stage';
import { sideBySide, tensorGrid } from 'mlpipe/sdk/pictures';
import { asClassifier, asInverse, expectInverseOf, expectPixels, hiddenPre, invert, predict } from '../shared/mlp.js';
import type { ReconstructParams } from '../reconstruct.js';

export async function run(ctx: StageContext<ReconstructParams>): Promise<StageResult> {
  const { count } = ctx.params;
  const model = asClassifier(ctx.inputs.model, 'reconstruct');
  const inv = asInverse(ctx.inputs.inverse, 'reconstruct');
  expectInverseOf('reconstruct', model, inv);
  const testX = ctx.inputs.data.testX as tf.Tensor2D;
  const testY = ctx.inputs.data.testY;
  if (count > testX.shape[0]) {
    throw new Error(`reconstruct: count ${count} exceeds the ${testX.shape[0]} test samples loaded`);
  }
  expectPixels('reconstruct', model, testX);
  const originals = tf.slice(testX, [0, 0], [count, testX.shape[1]]);
  const made: tf.Tensor[] = [originals];
  // Whatever fails, neither output outlives it.
  try {
    const recon = tf.tidy(() => invert(model, inv, hiddenPre(model, originals)));
    made.push(recon);
    const l1 = tf.tidy(() => tf.mean(tf.abs(tf.sub(recon, originals))));
    const l1PerPixel = l1.dataSync()[0];
    l1.dispose();
    const labels = testY.dataSync();
    const before = predict(model, originals);
    const after = predict(model, recon);
    let matchesTrueLabel = 0;
    let matchesPrediction = 0;
    for (let i = 0; i < count; i++) {
      if (after[i] === labels[i]) matchesTrueLabel++;
      if (after[i] === before[i]) matchesPrediction++;
    }
    const pictures = { reconstruct: sideBySide([tensorGrid(originals), tensorGrid(recon)]) };
    await ctx.progress(1, 1);
    return {
      outputs: { images: { originals, reconstructions: recon } },
      metrics: { l1PerPixel, matchesTrueLabel, matchesPrediction },
      pictures,
    };
  } catch (err) {
    tf.dispose(made);
    throw err;
  }
}
