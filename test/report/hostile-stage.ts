// A stage whose params, metric names and error message carry markup: the reports must show it as
// text. Its own module, so its code hash is this file only.
import * as tf from '@tensorflow/tfjs-core';
import type { StageDef } from '../../src/sdk/stage.js';

export const hostile: StageDef<{ label: string; fail: boolean }> = {
  type: 'hostile',
  version: 1,
  source: import.meta.url,
  description: 'fails with its label in the message when asked; else a metric with markup in its name',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      label: { type: 'string', default: 'plain' },
      fail: { type: 'boolean', default: false },
    },
  },
  inputs: {},
  outputs: { out: 'numbers' },
  async run({ params }) {
    if (params.fail) throw new Error(`failed on <script>alert("${params.label}")</script> & 'more'`);
    return {
      outputs: { out: { x: tf.scalar(1) } },
      metrics: { '<i>m</i>': 1, loss: [3, 2, 1], lossStep: [1, 5, 9] },
      pictures: { strip: { width: 4, height: 1, pixels: new Uint8Array([0, 85, 170, 255]) } },
    };
  },
};
