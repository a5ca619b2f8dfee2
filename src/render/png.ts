// GreyImage -> PNG bytes. 8-bit grey-scale (colour type 0): a third the size of RGBA and exactly
// what the pictures are.
import pngjs from 'pngjs';
import type { GreyImage } from './grid.js';

export function encodePng(img: GreyImage): Buffer {
  if (img.pixels.length !== img.width * img.height) {
    throw new Error(`encodePng: ${img.width}x${img.height} image needs ${img.width * img.height} bytes, got ${img.pixels.length}`);
  }
  const data = Buffer.from(img.pixels.buffer, img.pixels.byteOffset, img.pixels.byteLength);
  // pngjs's sync writer only reads width, height and data from its first argument.
  const meta = { width: img.width, height: img.height, data } as unknown as pngjs.PNG;
  return pngjs.PNG.sync.write(meta, { colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
}
