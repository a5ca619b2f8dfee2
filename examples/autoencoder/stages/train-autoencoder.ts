// A 784-100-100-784 sigmoid autoencoder on the same MNIST training images the seed's classifier
// sees: the encoder has the classifier's hidden-layer shape (784-100-100), the decoder mirrors it
// back to pixels (100-100-784) with a sigmoid output, so reconstructions live in [0, 1] as the
// pixels do. Trained by default with the seed inverse's loss and optimiser: the summed L1 pixel
// distance (sdk l1Distance), Adagrad, the inverse's steps, batch and learning rate
// (experiments/base.yaml); `loss: cross-entropy` trains on the usual sigmoid cross-entropy instead.
//
// Output `model` (kind `autoencoder`), tensors:
//   e1 [D,H1], eb1 [H1], e2 [H1,H2], eb2 [H2]    encoder: code = sigmoid(sigmoid(x@e1+eb1)@e2+eb2)
//   d1 [H2,H1], db1 [H1], d2 [H1,D], db2 [D]     decoder: x' = sigmoid(sigmoid(code@d1+db1)@d2+db2)
// (D = 784 pixels, H1 = H2 = 100 by default). Only the public SDK is imported.
import { adagradLoop, BatchSampler, constantVariable, defineStage, l1Distance, release, tf, truncatedWeight } from 'mlpipe/sdk';
import { decoderLogits, reconstructWith, sigmoidCrossEntropy } from './autoencoder.js';

export interface TrainAutoencoderParams {
  loss: 'l1' | 'cross-entropy';
  hidden: number[];
  steps: number;
  batch: number;
  learningRate: number;
  initialAccumulator: number;
  stddev: number;
  bias: number;
  logEvery: number;
}

export default defineStage<TrainAutoencoderParams>({
  type: 'train-autoencoder',
  version: 1,
  source: import.meta.url,
  description: 'Train a 784-H1-H2-H1-784 sigmoid autoencoder on trainX (L1 pixel loss, Adagrad).',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      loss: {
        type: 'string',
        enum: ['l1', 'cross-entropy'],
        default: 'l1',
        description: "l1: summed |x - x'| (the seed inverse's loss); cross-entropy: summed sigmoid cross-entropy of the pixels",
      },
      hidden: {
        type: 'array',
        items: { type: 'integer', minimum: 1, maximum: 10000 },
        minItems: 2,
        maxItems: 2,
        default: [100, 100],
        description: 'encoder sizes [H1, H2] (the seed classifier hidden layers); the decoder mirrors them',
      },
      steps: { type: 'integer', minimum: 1, maximum: 1000000, default: 1000, description: 'training steps (mini-batches), as the inverse' },
      batch: { type: 'integer', minimum: 1, maximum: 60000, default: 1000, description: 'training samples per mini-batch, as the inverse' },
      learningRate: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 0.01, description: 'Adagrad learning rate, as the inverse' },
      initialAccumulator: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 0.1, description: 'Adagrad initial accumulator value' },
      stddev: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.1, description: 'stddev of the truncated-normal weight init' },
      bias: { type: 'number', minimum: -10, maximum: 10, default: 0.1, description: 'initial value of every bias (the seed classifier: 0.1)' },
      logEvery: { type: 'integer', minimum: 1, maximum: 1000000, default: 100, description: 'read the loss back every this many steps' },
    },
  },
  inputs: { data: 'dataset' },
  outputs: { model: 'autoencoder' },

  async run(ctx) {
    const p = ctx.params;
    const trainX = ctx.inputs.data.trainX as tf.Tensor2D;
    const [n, pixels] = trainX.shape;
    const [h1, h2] = p.hidden;
    // Weights drawn from the rng in a fixed order (encoder then decoder), biases constant.
    const vars: Record<string, tf.Variable> = {};
    try {
      vars.e1 = truncatedWeight([pixels, h1], p.stddev, ctx.rng);
      vars.eb1 = constantVariable([h1], p.bias);
      vars.e2 = truncatedWeight([h1, h2], p.stddev, ctx.rng);
      vars.eb2 = constantVariable([h2], p.bias);
      vars.d1 = truncatedWeight([h2, h1], p.stddev, ctx.rng);
      vars.db1 = constantVariable([h1], p.bias);
      vars.d2 = truncatedWeight([h1, pixels], p.stddev, ctx.rng);
      vars.db2 = constantVariable([pixels], p.bias);
    } catch (err) {
      tf.dispose(Object.values(vars));
      throw err;
    }
    // The sampler after the weights, as the built-in stages: the same seed gives the same batches.
    const sampler = new BatchSampler(n, p.batch, ctx.rng);
    let x: tf.Tensor2D | undefined;
    let losses: number[];
    try {
      losses = await adagradLoop(
        ctx,
        Object.values(vars),
        p,
        // l1: the seed inverse's loss, sum |x - x'| over the batch's pixels: the comparison with
        // the inverse is then like for like (same loss, optimiser, steps, batch, learning rate).
        // cross-entropy: the usual loss of a sigmoid-output autoencoder, sum over the pixels of
        // -x log x' - (1 - x) log(1 - x'). Its gradient at the output is x' - x, which does not
        // vanish as the sigmoid saturates, where L1's sign(x' - x) * x'(1 - x') does.
        () => {
          const ae = vars as unknown as Record<string, tf.Tensor>;
          return p.loss === 'l1' ? l1Distance(x!)(reconstructWith(ae, x!)) : sigmoidCrossEntropy(x!, decoderLogits(ae, x!));
        },
        () =>
          tf.tidy(() => {
            x = tf.gather(trainX, tf.tensor1d(sampler.next(), 'int32'));
            return [x];
          }),
      );
    } catch (err) {
      tf.dispose(Object.values(vars));
      throw err;
    }
    return {
      outputs: { model: release(vars) },
      metrics: { loss: losses, finalLoss: losses[losses.length - 1] },
    };
  },
});
