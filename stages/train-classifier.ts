// The seed's classifier: a 784-H1-H2-10 sigmoid MLP trained with Adagrad on summed softmax
// cross-entropy, mini-batches drawn from shuffled epochs.
import { tf } from 'mlpipe/sdk/tf';
import { defineStage } from 'mlpipe/sdk/stage';
import { CLASSES } from './shared/classes.js';
import { accuracy, asClassifier, logits } from './shared/mlp.js';
import { softmaxCrossEntropy } from 'mlpipe/sdk/losses';
import { adagradLoop, BatchSampler, constantVariable, release, truncatedWeight } from 'mlpipe/sdk/training';

export interface TrainClassifierParams {
  hidden: [number, number];
  steps: number;
  batch: number;
  learningRate: number;
  initialAccumulator: number;
  stddev: number;
  bias: number;
  logEvery: number;
}

export const trainClassifier = defineStage<TrainClassifierParams>({
  type: 'train-classifier',
  version: 1,
  source: import.meta.url,
  description: 'Train the 784-H1-H2-10 sigmoid MLP with Adagrad on summed softmax cross-entropy.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      hidden: {
        type: 'array',
        items: { type: 'integer', minimum: 1, maximum: 4096 },
        minItems: 2,
        maxItems: 2,
        default: [100, 100],
        description: 'sizes of the two hidden layers',
      },
      steps: { type: 'integer', minimum: 1, maximum: 1000000, default: 2000, description: 'training steps (mini-batches)' },
      batch: { type: 'integer', minimum: 1, maximum: 60000, default: 1000, description: 'samples per mini-batch' },
      learningRate: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 0.01, description: 'Adagrad learning rate' },
      initialAccumulator: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 0.1, description: 'Adagrad initial accumulator value' },
      stddev: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.1, description: 'stddev of the truncated-normal weight init' },
      bias: { type: 'number', minimum: -10, maximum: 10, default: 0.1, description: 'initial value of every bias' },
      logEvery: { type: 'integer', minimum: 1, maximum: 1000000, default: 100, description: 'read the loss back every this many steps' },
    },
  },
  inputs: { data: 'dataset' },
  outputs: { model: 'classifier' },

  async run(ctx) {
    const p = ctx.params;
    const { trainX, trainY, testX, testY } = ctx.inputs.data as Record<string, tf.Tensor>;
    const x = trainX as tf.Tensor2D;
    const [h1, h2] = p.hidden;
    const classes = CLASSES;
    const vars = {
      w1: truncatedWeight([x.shape[1], h1], p.stddev, ctx.rng),
      b1: constantVariable([h1], p.bias),
      w2: truncatedWeight([h1, h2], p.stddev, ctx.rng),
      b2: constantVariable([h2], p.bias),
      w: truncatedWeight([h2, classes], p.stddev, ctx.rng),
      b: constantVariable([classes], p.bias),
    };
    const model = asClassifier(vars);
    let bx: tf.Tensor2D | undefined;
    let by: tf.Tensor1D | undefined;
    let losses: number[];
    let acc: number;
    // Whatever fails from here on (bad data, a diverging loss), the variables do not outlive it.
    try {
      const sampler = new BatchSampler(x.shape[0], p.batch, ctx.rng);
      losses = await adagradLoop(
        ctx,
        Object.values(vars),
        p,
        // Summed cross-entropy, -sum(y * log softmax(logits)), from the labels themselves.
        () => softmaxCrossEntropy(by!, logits(model, bx!)),
        // In a tidy: the batch survives (the loop disposes it after the step), the indices do not,
        // even when a gather throws.
        () =>
          tf.tidy(() => {
            const idx = tf.tensor1d(sampler.next(), 'int32');
            bx = tf.gather(x, idx);
            by = tf.gather(trainY as tf.Tensor1D, idx);
            return [bx, by];
          }),
      );
      acc = accuracy(model, testX as tf.Tensor2D, testY as tf.Tensor1D);
    } catch (err) {
      tf.dispose(Object.values(vars));
      throw err;
    }
    return {
      outputs: { model: release(vars) },
      metrics: { accuracy: acc, loss: losses, finalLoss: losses[losses.length - 1] },
    };
  },
});
