// Stage pictures: tensors of flattened 28x28 cells -> GreyImage grids.
import type * as tf from '@tensorflow/tfjs-core';
import type { GreyImage } from './stage.js';
import { grid, type GridOptions } from '../render/grid.js';

export { grid, sideBySide, type GridOptions } from '../render/grid.js';

/** Side of a square cell for `pixels` values per row (28 for MNIST); non-square rows are drawn as
 * a single strip. */
function cellShape(pixels: number): { cellWidth: number; cellHeight: number } {
  const side = Math.round(Math.sqrt(pixels));
  return side * side === pixels ? { cellWidth: side, cellHeight: side } : { cellWidth: pixels, cellHeight: 1 };
}

/** A grid of the rows of `images` [n, pixels]. */
export function tensorGrid(images: tf.Tensor, opts: GridOptions = {}): GreyImage {
  const [n, pixels] = images.shape as [number, number];
  return grid(images.dataSync() as Float32Array, n, { ...cellShape(pixels), ...opts });
}
