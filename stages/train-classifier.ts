// The seed's classifier: a 784-H1-...-HN-10 sigmoid MLP (the seed's 784-100-100-10 by default)
// trained with Adagrad on summed softmax cross-entropy, mini-batches drawn from shuffled epochs.
// Its artifact holds w1, b1, ..., wN, bN, w, b (see shared/mlp.ts for the names and shapes).
import { tf } from 'mlpipe/sdk/tf';
import { defineStage } from 'mlpipe/sdk/stage';
import { CLASSES } from './shared/classes.js';
import { accuracy, asClassifier, logits, MAX_HIDDEN_LAYERS } from './shared/mlp.js';
import { softmaxCrossEntropy } from 'mlpipe/sdk/losses';
import { adagradLoop, BatchSampler, logSteps, constantVariable, release, truncatedWeight } from 'mlpipe/sdk/training';

export interface TrainClassifierParams {
  hidden: number[];
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
  description: 'Train the 784-H1-...-HN-10 sigmoid MLP with Adagrad on summed softmax cross-entropy.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      hidden: {
        type: 'array',
        items: { type: 'integer', minimum: 1, maximum: 4096 },
        minItems: 1,
        maxItems: MAX_HIDDEN_LAYERS,
        default: [100, 100],
        description: 'sizes of the hidden layers, first to last (the seed: two of 100)',
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
    const classes = CLASSES;
    // Made, and drawn from the rng, in the order w1, b1, w2, b2, ..., wN, bN, w, b: for the seed's
    // two layers exactly the order of the seed (and of this stage before it took any depth).
    const vars: Record<string, tf.Variable> = {};
    let bx: tf.Tensor2D | undefined;
    let by: tf.Tensor1D | undefined;
    let losses: number[];
    let acc: number;
    // Whatever fails from here on (bad data, a diverging loss), the variables do not outlive it.
    try {
      let fanIn = x.shape[1];
      p.hidden.forEach((h, i) => {
        vars[`w${i + 1}`] = truncatedWeight([fanIn, h], p.stddev, ctx.rng);
        vars[`b${i + 1}`] = constantVariable([h], p.bias);
        fanIn = h;
      });
      vars.w = truncatedWeight([fanIn, classes], p.stddev, ctx.rng);
      vars.b = constantVariable([classes], p.bias);
      const model = asClassifier(vars);
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
      metrics: { accuracy: acc, loss: losses, lossStep: logSteps(p.steps, p.logEvery), finalLoss: losses[losses.length - 1] },
    };
  },
});
