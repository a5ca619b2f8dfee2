// Generate digits: optimise a last-hidden-layer pre-activation until the classifier is sure of a
// class, then project it back to pixels with the inverse (the seed's `generate`).
import { tf } from 'mlpipe/sdk/tf';
import { defineStage } from 'mlpipe/sdk/stage';
import { asClassifier, asInverse, expectInverseOf, invert, lastHidden, logitsFromHidden } from './shared/mlp.js';
import { CLASSES } from './shared/classes.js';
import { tensorGrid } from 'mlpipe/sdk/pictures';

export interface GenerateParams {
  classes: number[];
  steps: number;
  learningRate: number;
}

export const generate = defineStage<GenerateParams>({
  type: 'generate',
  version: 1,
  source: import.meta.url,
  description: 'Optimise hidden codes (gradient descent) to each class, then inverse-project them to pixels.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      classes: {
        type: 'array',
        items: { type: 'integer', minimum: 0, maximum: CLASSES - 1 },
        minItems: 1,
        maxItems: 100,
        default: [1, 2, 3, 4, 5, 6, 7, 8, 9],
        description: 'one generated digit per entry, of this class',
      },
      steps: { type: 'integer', minimum: 0, maximum: 1000000, default: 1000, description: 'gradient-descent steps' },
      learningRate: { type: 'number', exclusiveMinimum: 0, maximum: 1000, default: 1.0, description: 'gradient-descent learning rate' },
    },
  },
  inputs: { model: 'classifier', inverse: 'inverse' },
  outputs: { images: 'images' },

  async run(ctx) {
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
  },
});
