// Inverse projection of each last-hidden-layer unit on its own (one-hot * a huge scale): the
// seed's "visualizing features". The definition only: the projection (with tfjs) is
// compute/features.ts, imported when the stage runs.
import { defineStage } from 'mlpipe/sdk/stage';

export interface FeaturesParams {
  scale: number;
  round: number;
}

export const features = defineStage<FeaturesParams>({
  type: 'features',
  version: 1,
  source: import.meta.url,
  description: 'Inverse projection of each last-hidden-layer unit (scaled one-hot), rounded as the seed.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      scale: { type: 'number', exclusiveMinimum: 0, maximum: 1e30, default: 1e8, description: 'value of the single active unit' },
      round: { type: 'number', minimum: 0, maximum: 1000, default: 0.1, description: 'round pixels to a multiple of this (0 = no rounding)' },
    },
  },
  inputs: { model: 'classifier', inverse: 'inverse' },
  outputs: { images: 'images' },

  async run(ctx) {
    const { run } = await import('./compute/features.js');
    return run(ctx);
  },
});
