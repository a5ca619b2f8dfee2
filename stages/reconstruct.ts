// Project test samples through the classifier and back with the trained inverse: the seed's
// "first 36 test samples and their projections".
import { tf } from 'mlpipe/sdk/tf';
import { defineStage } from 'mlpipe/sdk/stage';
import { sideBySide, tensorGrid } from 'mlpipe/sdk/pictures';
import { asClassifier, asInverse, expectInverseOf, expectPixels, hiddenPre, invert, predict } from './shared/mlp.js';

export interface ReconstructParams {
  count: number;
}

export const reconstruct = defineStage<ReconstructParams>({
  type: 'reconstruct',
  version: 1,
  source: import.meta.url,
  description: 'Inverse projections of the first test samples, beside the originals.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      count: { type: 'integer', minimum: 1, maximum: 10000, default: 36, description: 'how many test samples (from the first)' },
    },
  },
  inputs: { data: 'dataset', model: 'classifier', inverse: 'inverse' },
  outputs: { images: 'images' },

  async run(ctx) {
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
  },
});
