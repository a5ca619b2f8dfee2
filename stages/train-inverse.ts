// Train the inverse matrices that project the classifier's last hidden layer back to pixels, one
// per hidden layer (wNinv ... w2inv, w1inv; see shared/mlp.ts), with the seed's loss: L1 pixel
// distance plus a penalty keeping each projection that goes through logit(squash(.)) inside
// logit's domain (the seed's l1_inv; for N layers l(N-1)_inv ... l1_inv, none for one layer).
// The definition only: the training (with tfjs) is compute/train-inverse.ts, imported when the
// stage runs, so a run of cache hits that reads this file for its schema loads no tfjs.
import { defineStage } from 'mlpipe/sdk/stage';

export interface TrainInverseParams {
  steps: number;
  batch: number;
  learningRate: number;
  initialAccumulator: number;
  stddev: number;
  logEvery: number;
}

export const trainInverse = defineStage<TrainInverseParams>({
  type: 'train-inverse',
  version: 1,
  source: import.meta.url,
  description: 'Train wNinv ... w2inv, w1inv to project the last hidden layer back to pixels (L1 loss, Adagrad).',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      steps: { type: 'integer', minimum: 1, maximum: 1000000, default: 1000, description: 'training steps (mini-batches)' },
      batch: { type: 'integer', minimum: 1, maximum: 60000, default: 1000, description: 'kept samples per mini-batch' },
      learningRate: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 0.01, description: 'Adagrad learning rate' },
      initialAccumulator: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 0.1, description: 'Adagrad initial accumulator value' },
      stddev: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.1, description: 'stddev of the truncated-normal init' },
      logEvery: { type: 'integer', minimum: 1, maximum: 1000000, default: 100, description: 'read the loss back every this many steps' },
    },
  },
  inputs: { data: 'dataset', kept: 'indices', model: 'classifier' },
  outputs: { inverse: 'inverse' },

  async run(ctx) {
    const { run } = await import('./compute/train-inverse.js');
    return run(ctx);
  },
});
