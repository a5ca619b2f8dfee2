// The seed's classifier: a 784-H1-...-HN-10 sigmoid MLP (the seed's 784-100-100-10 by default)
// trained with Adagrad on summed softmax cross-entropy, mini-batches drawn from shuffled epochs.
// Its artifact holds w1, b1, ..., wN, bN, w, b (see shared/mlp.ts for the names and shapes).
// The definition only: the training (with tfjs) is compute/train-classifier.ts, imported when the
// stage runs, so a run of cache hits that reads this file for its schema loads no tfjs.
import { defineStage } from 'mlpipe/sdk/stage';
import { MAX_HIDDEN_LAYERS } from './shared/limits.js';

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
    const { run } = await import('./compute/train-classifier.js');
    return run(ctx);
  },
});
