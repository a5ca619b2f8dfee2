// The computation of `generate` (../generate.ts is its definition): gradient descent on hidden
// codes, then the inverse projection. Imported only when the stage runs, as it loads tfjs.
import { tf } from 'mlpipe/sdk/tf';
import type { StageContext, StageResult } from 'mlpipe/sdk/stage';
import { asClassifier, asInverse, expectInverseOf, invert, lastHidden, logitsFromHidden } from '../shared/mlp.js';
import { tensorGrid } from 'mlpipe/sdk/pictures';
import type { GenerateParams } from '../generate.js';

export async function run(ctx: StageContext<GenerateParams>): Promise<StageResult> {
  const { classes, steps, learningRate } = ctx.params;
  const model = asClassifier(ctx.inputs.model, 'generate');
  const inv = asInverse(ctx.inputs.inverse, 'generate');
  expectInverseOf('generate', model, inv);
  const n = classes.length;
  const nClasses = model.b.shape[0];
  const fake = tf.tidy(() => tf.variable(tf.zeros([n, lastHidden(model)]) as tf.Tensor2D));
  const targets = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(classes, 'int32'), nClasses), 'float32'));
  // The seed feeds sigmoid(fake) to the output layer, so fake plays the role of zN (z2 in the seed).
  const probs = () => tf.softmax(logitsFromHidden(model, fake));
  const optimizer = tf.train.sgd(learningRate);
  try {
    for (let step = 0; step < steps; step++) {
      optimizer.minimize(() => tf.sum(tf.abs(tf.sub(targets, probs()))) as tf.Scalar, false, [fake]);
      await ctx.progress(step + 1, steps);
    }
    const images = tf.tidy(() => invert(model, inv, fake));
    try {
      const picked = tf.tidy(() => tf.sum(tf.mul(probs(), targets), 1));
      const confidence = Array.from(picked.dataSync());
      picked.dispose();
      if (confidence.some((c) => !Number.isFinite(c))) {
        throw new Error(`generate: the optimisation diverged (non-finite probabilities); the learning rate (${learningRate}) may be too high`);
      }
      const pictures = { generate: tensorGrid(images, { cols: n }) };
      return {
        outputs: { images: { images, hidden: tf.clone(fake) } },
        metrics: { confidence, minConfidence: Math.min(...confidence) },
        pictures,
      };
    } catch (err) {
      images.dispose(); // the diverged case, and any other failure
      throw err;
    }
  } finally {
    optimizer.dispose();
    fake.dispose();
    targets.dispose();
  }
}
