// The computation of `filter-confident` (../filter-confident.ts is its definition): the indices
// of the confidently classified training samples. Imported only when the stage runs, as it loads
// tfjs.
import { tf } from 'mlpipe/sdk/tf';
import type { StageContext, StageResult } from 'mlpipe/sdk/stage';
import { asClassifier, expectPixels, inChunks, logits } from '../shared/mlp.js';
import type { FilterConfidentParams } from '../filter-confident.js';

export async function run(ctx: StageContext<FilterConfidentParams>): Promise<StageResult> {
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
}
