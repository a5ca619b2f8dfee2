import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { grid, gridSide, normaliseCell, sideBySide, upscale } from '../src/render/grid.js';
import { encodePng } from '../src/render/png.js';

describe('grid', () => {
  it('sizes: side ceil(sqrt(n)), 1-pixel gaps, scaled by 2', () => {
    expect([1, 9, 10, 36, 100].map(gridSide)).toEqual([1, 3, 4, 6, 10]);
    const img = grid(new Float32Array(36 * 784), 36);
    expect([img.width, img.height]).toEqual([2 * (6 * 28 + 5), 2 * (6 * 28 + 5)]);
    const row = grid(new Float32Array(9 * 784), 9, { cols: 9, scale: 1 });
    expect([row.width, row.height]).toEqual([9 * 28 + 8, 28]);
  });

  it('normalises each cell on its own: its min black, its max white', () => {
    // Two 2x2 cells on very different scales both span the full grey range.
    const img = grid([0, 1, 2, 4, -100, 0, 100, 50], 2, { cellWidth: 2, cellHeight: 2, cols: 2, gap: 1, scale: 1, background: 7 });
    expect(img.width).toBe(5);
    expect(Array.from(img.pixels)).toEqual([0, 64, 7, 0, 128, 128, 255, 7, 255, 191]);
  });

  it('draws a constant cell black and ignores non-finite values', () => {
    expect(Array.from(normaliseCell([3, 3, 3], 0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(normaliseCell([0, NaN, 2], 0, 3))).toEqual([0, 0, 255]);
  });

  it('leaves empty slots in the background grey', () => {
    const img = grid([1, 2], 2, { cellWidth: 1, cellHeight: 1, cols: 2, gap: 0, scale: 1 });
    expect(Array.from(img.pixels)).toEqual([0, 0]); // each 1-pixel cell is constant: black
    const three = grid([1, 2, 3], 3, { cellWidth: 1, cellHeight: 1, gap: 0, scale: 1, background: 9 });
    expect([three.width, three.height]).toEqual([2, 2]);
    expect(three.pixels[3]).toBe(9);
  });

  it('refuses too few values', () => {
    expect(() => grid(new Float32Array(10), 1)).toThrow(/need 784 values, got 10/);
  });
});

describe('upscale and sideBySide', () => {
  it('magnifies with nearest neighbour', () => {
    const img = upscale({ width: 2, height: 1, pixels: Uint8Array.from([1, 2]) }, 3);
    expect([img.width, img.height]).toEqual([6, 3]);
    expect(Array.from(img.pixels.subarray(0, 6))).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it('places pictures left to right with a gap, padding the shorter one', () => {
    const a = { width: 1, height: 2, pixels: Uint8Array.from([1, 2]) };
    const b = { width: 2, height: 1, pixels: Uint8Array.from([3, 4]) };
    const img = sideBySide([a, b], 1, 0);
    expect([img.width, img.height]).toEqual([4, 2]);
    expect(Array.from(img.pixels)).toEqual([1, 0, 3, 4, 2, 0, 0, 0]);
  });
});

describe('encodePng', () => {
  it('writes an 8-bit grey-scale PNG that decodes to the same pixels', () => {
    const pixels = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    const buf = encodePng({ width: 4, height: 3, pixels });
    expect(buf.subarray(1, 4).toString()).toBe('PNG');
    expect(buf[25]).toBe(0); // IHDR colour type: grey-scale
    const back = pngjs.PNG.sync.read(buf);
    expect([back.width, back.height]).toEqual([4, 3]);
    const grey = Array.from({ length: 12 }, (_, i) => back.data[4 * i]);
    expect(grey).toEqual(Array.from(pixels));
  });

  it('refuses a pixel buffer of the wrong size', () => {
    expect(() => encodePng({ width: 2, height: 2, pixels: new Uint8Array(3) })).toThrow(/needs 4 bytes, got 3/);
  });
});
