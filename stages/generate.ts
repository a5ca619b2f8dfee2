// Generate digits: optimise a last-hidden-layer pre-activation until the classifier is sure of a
// class, then project it back to pixels with the inverse (the seed's `generate`). The definition
// only: the optimisation (with tfjs) is compute/generate.ts, imported when the stage runs.
import { defineStage } from 'mlpipe/sdk/stage';
import { CLASSES } from './shared/classes.js';

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
    const { run } = await import('./compute/generate.js');
    return run(ctx);
  },
});
