// Stage pictures: tensors of flattened 28x28 cells -> GreyImage grids.
import type * as tf from '@tensorflow/tfjs-core';
import type { GreyImage } from './stage.js';
import { grid as layOut, sideBySide as besides, type GridOptions } from '../render/grid.js';

export type { GridOptions };

/**
 * Lay out `count` cells in a grid picture. `values` holds the cells one after another, row-major,
 * `cellWidth * cellHeight` values each (default 28x28, MNIST); each cell is min-max normalised on
 * its own (its minimum black, its maximum white). Default `cols`: ceil(sqrt(count)). The result is
 * `scale` times the laid-out size, in pixels, one byte each.
 */
export function grid(values: ArrayLike<number>, count: number, opts: GridOptions = {}): GreyImage {
  return layOut(values, count, opts);
}

/** Place pictures left to right, top-aligned, `gap` pixels (default 8) of grey level `background`
 * (0..255, default 255: white) between them and below the shorter ones. */
export function sideBySide(images: GreyImage[], gap = 8, background = 255): GreyImage {
  return besides(images, gap, background);
}

/** Side of a square cell for `pixels` values per row (28 for MNIST); non-square rows are drawn as
 * a single strip. */
function cellShape(pixels: number): { cellWidth: number; cellHeight: number } {
  const side = Math.round(Math.sqrt(pixels));
  return side * side === pixels ? { cellWidth: side, cellHeight: side } : { cellWidth: pixels, cellHeight: 1 };
}

/** A grid of the rows of `images` [n, pixels]: each row one cell, square (sqrt(pixels) on a side,
 * e.g. 28x28 for 784) when `pixels` is a square number, else a 1-pixel-high strip. Reads the tensor
 * back (a sync); does not dispose it. `opts` as for `grid`. */
export function tensorGrid(images: tf.Tensor, opts: GridOptions = {}): GreyImage {
  const [n, pixels] = images.shape as [number, number];
  return grid(images.dataSync() as Float32Array, n, { ...cellShape(pixels), ...opts });
}
