// `cache export`: a tensor as a PNG grid of images, or as a .npy file NumPy opens.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import pngjs from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, npyHeader } from '../../src/store/npy.js';
import { initBackend } from '../../src/backend/index.js';
import { cli, tempDir, withCache } from './helpers.js';

let dir: string;
let cacheDir: string;
let key: string;

// Five 28x28 "digits": image i is a left-to-right ramp times (i + 1), so each has its own range.
const digits = () => Float32Array.from({ length: 5 * 784 }, (_, j) => ((j % 28) / 27) * (Math.floor(j / 784) + 1));

beforeAll(async () => {
  await initBackend('wasm');
  dir = tempDir();
  cacheDir = join(dir, 'cache');
  key = await withCache(dir, async (c) => {
    const entry = await c.save({
      key: 'ab'.repeat(32),
      parts: { stage: 'images', version: 1, code: { 'stages/images.ts': '0'.repeat(64) }, params: {}, inputs: {}, files: {}, seed: 1, backend: 'wasm' },
      stageId: 'pics',
      pipeline: 'test',
      outputs: {
        data: { x: tf.tensor2d(digits(), [5, 784]), y: tf.tensor1d([3, 1, 4, 1, 5], 'int32') },
        cube: {
          v: tf.tensor3d(
            Float32Array.from({ length: 3 * 4 * 6 }, (_, i) => i),
            [3, 4, 6],
          ),
        },
        mask: { m: tf.tensor2d([1, 0, 0, 1, 1, 0], [2, 3], 'bool') },
      },
      pictures: {},
      metrics: {},
      computeMs: 1,
    });
    return entry.key;
  });
});

describe('cache export --png', () => {
  it('draws [n,784] as a grid of 28x28 cells, each scaled to its own range', async () => {
    const out = join(dir, 'x.png');
    const r = await cli(['cache', 'export', key.slice(0, 6), 'data.x', '--png', out, '--scale', '1', '--cache', cacheDir]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/wrote .*x\.png: data\.x \(float32 \[5, 784\]\) of ababababab, 5 of 5 images/);
    const png = pngjs.PNG.sync.read(readFileSync(out));
    // ceil(sqrt(5)) = 3 columns, 2 rows, 1-pixel gaps.
    expect([png.width, png.height]).toEqual([3 * 28 + 2, 2 * 28 + 1]);
    const at = (x: number, y: number) => png.data[(y * png.width + x) * 4];
    for (const cell of [0, 4]) {
      const x0 = (cell % 3) * 29;
      const y0 = Math.floor(cell / 3) * 29;
      expect([at(x0, y0 + 5), at(x0 + 27, y0 + 5)]).toEqual([0, 255]); // the ramp, whatever its scale
    }
  });

  it('draws [n,h,w] as n cells, honours --limit, and refuses shapes that are not images', async () => {
    const out = join(dir, 'cube.png');
    const r = await cli(['cache', 'export', key, 'cube', '--png', out, '--limit', '2', '--cols', '2', '--scale', '1', '--cache', cacheDir]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/2 of 3 images/);
    const png = pngjs.PNG.sync.read(readFileSync(out));
    expect([png.width, png.height]).toEqual([2 * 6 + 1, 4]);
    const bad = await cli(['cache', 'export', key, 'data.y', '--png', join(dir, 'y.png'), '--cache', cacheDir]);
    expect(bad.status).toBe(2);
    expect(bad.err).toMatch(/shape \[5\] cannot be seen as images/);
    expect(existsSync(join(dir, 'y.png'))).toBe(false);
  });

  it('asks which tensor when an output has several, and names the outputs when one is unknown', async () => {
    const several = await cli(['cache', 'export', key, 'data', '--npy', join(dir, 'd.npy'), '--cache', cacheDir]);
    expect(several.status).toBe(2);
    expect(several.err).toMatch(/output "data" holds 2 tensors: name one \(data\.x, data\.y\)/);
    const unknown = await cli(['cache', 'export', key, 'nope', '--npy', join(dir, 'd.npy'), '--cache', cacheDir]);
    expect(unknown.err).toMatch(/has no output "nope" \(outputs: data, cube, mask\)/);
    const nothing = await cli(['cache', 'export', key, 'cube', '--cache', cacheDir]);
    expect(nothing.status).toBe(2);
    expect(nothing.err).toMatch(/--png FILE and\/or --npy FILE/);
  });
});

describe('cache export --npy', () => {
  it('writes a version 1.0 header: magic, little-endian dtype, C order, shape, 64-byte aligned', () => {
    const h = npyHeader('float32', [5, 784]);
    expect([...h.subarray(0, 8)]).toEqual([0x93, ...Buffer.from('NUMPY'), 1, 0]);
    expect(h.length % 64).toBe(0);
    expect(h.readUInt16LE(8)).toBe(h.length - 10);
    expect(h.subarray(10).toString('latin1')).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(5, 784\), \} *\n$/);
    expect(npyHeader('int32', [5]).toString('latin1')).toContain("'descr': '<i4', 'fortran_order': False, 'shape': (5,)");
    expect(npyHeader('bool', []).toString('latin1')).toContain("'descr': '|b1', 'fortran_order': False, 'shape': ()");
    expect(() => encodeNpy({ dtype: 'float32', shape: [3], bytes: new Uint8Array(8) })).toThrow(/needs 12 bytes/);
  });

  it('opens in NumPy with the same dtype, shape and values', async (ctx) => {
    const files = { 'data.x': join(dir, 'x.npy'), 'data.y': join(dir, 'y.npy'), cube: join(dir, 'c.npy'), mask: join(dir, 'm.npy') };
    for (const [output, file] of Object.entries(files)) {
      const r = await cli(['cache', 'export', key, output, '--npy', file, '--cache', cacheDir]);
      expect(r.status).toBe(0);
    }
    const x = readFileSync(files['data.x']);
    const xh = x.readUInt16LE(8) + 10;
    expect(new Float32Array(x.buffer.slice(x.byteOffset + xh, x.byteOffset + x.length))).toEqual(digits());
    const python = '/usr/bin/python3';
    let hasNumpy = false;
    try {
      execFileSync(python, ['-c', 'import numpy']);
      hasNumpy = true;
    } catch {
      ctx.skip(); // the header check above still holds
    }
    if (!hasNumpy) return;
    const script = `import json, sys, numpy as np
out = {}
for name, path in json.loads(sys.argv[1]).items():
    a = np.load(path)
    out[name] = {'dtype': str(a.dtype), 'shape': list(a.shape), 'flat': a.ravel()[:7].tolist(), 'sum': float(a.astype('float64').sum())}
print(json.dumps(out))`;
    const seen = JSON.parse(execFileSync(python, ['-c', script, JSON.stringify(files)], { encoding: 'utf8' }));
    expect(seen['data.x']).toMatchObject({ dtype: 'float32', shape: [5, 784] });
    expect(seen['data.x'].sum).toBeCloseTo(
      digits().reduce((a, b) => a + b, 0),
      2,
    );
    expect(seen['data.y']).toEqual({ dtype: 'int32', shape: [5], flat: [3, 1, 4, 1, 5], sum: 14 });
    expect(seen.cube).toMatchObject({ dtype: 'float32', shape: [3, 4, 6], flat: [0, 1, 2, 3, 4, 5, 6] });
    expect(seen.mask).toEqual({ dtype: 'bool', shape: [2, 3], flat: [true, false, false, true, true, false], sum: 3 });
  });
});
