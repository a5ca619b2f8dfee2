// Keep the training samples the classifier is confident about, so the inverse is not trained on
// the classifier's confusions (the seed's `confidence > .8` mask).
import { tf } from 'mlpipe/sdk/tf';
import { defineStage } from 'mlpipe/sdk/stage';
import { asClassifier, expectPixels, inChunks, logits } from './shared/mlp.js';

export interface FilterConfidentParams {
  threshold: number;
  requireCorrect: boolean;
}

export const filterConfident = defineStage<FilterConfidentParams>({
  type: 'filter-confident',
  version: 1,
  source: import.meta.url,
  description: 'Indices of training samples whose top softmax probability exceeds a threshold.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      threshold: {
        type: 'number',
        exclusiveMinimum: 0,
        exclusiveMaximum: 1,
        default: 0.8,
        description: 'keep a sample when its top class probability is above this',
      },
      requireCorrect: {
        type: 'boolean',
        default: false,
        description: 'also require the predicted class to be the true label',
      },
    },
  },
  inputs: { data: 'dataset', model: 'classifier' },
  outputs: { kept: 'indices' },

  async run(ctx) {
    const { threshold, requireCorrect } = ctx.params;
    const model = asClassifier(ctx.inputs.model, 'filter-confident');
    const x = ctx.inputs.data.trainX as tf.Tensor2D;
    expectPixels('filter-confident', model, x);
    const labels = ctx.inputs.data.trainY.dataSync();
    // One [n, 2] readback: column 0 the top probability, column 1 the predicted class.
    const both = inChunks(x, (c) => {
      const p = tf.softmax(logits(model, c));
      return tf.stack([tf.max(p, 1), tf.cast(tf.argMax(p, 1), 'float32')], 1);
    });
    const v = both.dataSync();
    both.dispose();
    const n = x.shape[0];
    const kept: number[] = [];
    for (let i = 0; i < n; i++) {
      if (v[2 * i] > threshold && (!requireCorrect || v[2 * i + 1] === labels[i])) kept.push(i);
    }
    await ctx.progress(1, 1);
    return {
      outputs: { kept: { indices: tf.tensor1d(Int32Array.from(kept), 'int32') } },
      metrics: { kept: kept.length, keptFraction: n === 0 ? 0 : kept.length / n },
    };
  },
});
