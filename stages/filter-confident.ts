// Keep the training samples the classifier is confident about, so the inverse is not trained on
// the classifier's confusions (the seed's `confidence > .8` mask). The definition only: the
// filtering (with tfjs) is compute/filter-confident.ts, imported when the stage runs.
import { defineStage } from 'mlpipe/sdk/stage';

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
    const { run } = await import('./compute/filter-confident.js');
    return run(ctx);
  },
});
