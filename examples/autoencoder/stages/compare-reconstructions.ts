// The first `count` test digits, their inverse projections through the seed's classifier (what
// the built-in `reconstruct` draws) and the autoencoder's reconstructions, side by side.
//
// Metrics, mean absolute pixel error |x' - x| averaged over pixels:
//   l1PerPixelInverse, l1PerPixelAutoencoder          over the `count` digits shown (as the
//                                                      built-in reconstruct's l1PerPixel)
//   testL1PerPixelInverse, testL1PerPixelAutoencoder  over the whole test set loaded
import { defineStage, sideBySide, tensorGrid, tf } from 'mlpipe/sdk';
import { invertWith, l1PerPixel, reconstructWith } from './autoencoder.js';

export interface CompareParams {
  count: number;
}

/** f over row chunks of x, each chunk's error summed, divided by all pixels: bounds memory. */
function l1OverAll(x: tf.Tensor2D, f: (chunk: tf.Tensor2D) => tf.Tensor2D, sliceRows: (start: number, size: number) => tf.Tensor2D, rows = 2000): number {
  const n = x.shape[0];
  let total = 0;
  for (let start = 0; start < n; start += rows) {
    const size = Math.min(rows, n - start);
    const chunk = sliceRows(start, size);
    const y = f(chunk);
    total += l1PerPixel(chunk, y) * size;
    y.dispose();
    chunk.dispose();
  }
  return total / n;
}

export default defineStage<CompareParams>({
  type: 'compare-reconstructions',
  version: 1,
  source: import.meta.url,
  description: 'Test digits, their inverse projections and their autoencoder reconstructions, side by side.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      count: { type: 'integer', minimum: 1, maximum: 10000, default: 36, description: 'how many test samples (from the first) to draw' },
    },
  },
  inputs: { data: 'dataset', model: 'classifier', inverse: 'inverse', autoencoder: 'autoencoder' },
  outputs: { images: 'images' },

  async run(ctx) {
    const { count } = ctx.params;
    const { model, inverse, autoencoder } = ctx.inputs;
    const testX = ctx.inputs.data.testX as tf.Tensor2D;
    const [n, pixels] = testX.shape;
    if (count > n) throw new Error(`compare-reconstructions: count ${count} exceeds the ${n} test samples loaded`);
    const rowsOf = (start: number, size: number) => tf.slice(testX, [start, 0], [size, pixels]) as tf.Tensor2D;
    const made: tf.Tensor[] = [];
    try {
      const originals = rowsOf(0, count);
      made.push(originals);
      const inverted = invertWith(model, inverse, originals);
      made.push(inverted);
      const decoded = reconstructWith(autoencoder, originals);
      made.push(decoded);
      const metrics = {
        l1PerPixelInverse: l1PerPixel(originals, inverted),
        l1PerPixelAutoencoder: l1PerPixel(originals, decoded),
        testL1PerPixelInverse: l1OverAll(testX, (c) => invertWith(model, inverse, c), rowsOf),
        testL1PerPixelAutoencoder: l1OverAll(testX, (c) => reconstructWith(autoencoder, c), rowsOf),
      };
      const compare = sideBySide([tensorGrid(originals), tensorGrid(inverted), tensorGrid(decoded)]);
      await ctx.progress(1, 1);
      return {
        outputs: { images: { originals, inverse: inverted, autoencoder: decoded } },
        metrics,
        pictures: { compare },
      };
    } catch (err) {
      for (const t of made) t.dispose();
      throw err;
    }
  },
});
