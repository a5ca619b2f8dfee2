// Project test samples through the classifier and back with the trained inverse: the seed's
// "first 36 test samples and their projections". The definition only: the projection (with
// tfjs) is compute/reconstruct.ts, imported when the stage runs.
import { defineStage } from 'mlpipe/sdk/stage';

export interface ReconstructParams {
  count: number;
}

export const reconstruct = defineStage<ReconstructParams>({
  type: 'reconstruct',
  version: 1,
  source: import.meta.url,
  description: 'Inverse projections of the first test samples, beside the originals.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      count: { type: 'integer', minimum: 1, maximum: 10000, default: 36, description: 'how many test samples (from the first)' },
    },
  },
  inputs: { data: 'dataset', model: 'classifier', inverse: 'inverse' },
  outputs: { images: 'images' },

  async run(ctx) {
    const { run } = await import('./compute/reconstruct.js');
    return run(ctx);
  },
});
