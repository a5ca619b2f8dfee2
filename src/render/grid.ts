// Pure picture building: rows of flattened grey cells -> one GreyImage grid. Each cell is min-max
// normalised on its own, as matplotlib's imshow does, so faint reconstructions stay visible.

/** A grey-scale picture, row-major, one byte per pixel (0 black .. 255 white). */
export interface GreyImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

export interface GridOptions {
  /** Cells per row; default ceil(sqrt(count)). */
  cols?: number;
  /** Cell size in source pixels; default 28x28 (MNIST). */
  cellWidth?: number;
  cellHeight?: number;
  /** Source pixels between cells, before scaling. */
  gap?: number;
  /** Integer nearest-neighbour magnification. */
  scale?: number;
  /** Grey level of gaps and empty slots (0..255): mid grey sets cells apart from both ink and paper. */
  background?: number;
}

/** Side of the square grid that holds `count` cells. */
export function gridSide(count: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(count)));
}

/** Map one cell's values to 0..255: its minimum to black, its maximum to white. */
export function normaliseCell(values: ArrayLike<number>, start: number, size: number): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < size; i++) {
    const v = values[start + i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Uint8Array(size);
  const range = hi - lo;
  if (!(range > 0)) return out; // constant (or all non-finite): black, as imshow shows it
  for (let i = 0; i < size; i++) {
    const v = values[start + i];
    out[i] = Number.isFinite(v) ? Math.round(((v - lo) / range) * 255) : 0;
  }
  return out;
}

/** Lay out `count` cells (row-major, `cellWidth*cellHeight` values each) in a grid. */
export function grid(values: ArrayLike<number>, count: number, opts: GridOptions = {}): GreyImage {
  const cw = opts.cellWidth ?? 28;
  const ch = opts.cellHeight ?? 28;
  const gap = opts.gap ?? 1;
  const scale = opts.scale ?? 2;
  const bg = opts.background ?? 128;
  const size = cw * ch;
  if (values.length < count * size) {
    throw new Error(`grid: ${count} cells of ${cw}x${ch} need ${count * size} values, got ${values.length}`);
  }
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`grid: scale must be a positive integer, got ${scale}`);
  const cols = Math.max(1, opts.cols ?? gridSide(count));
  const rows = Math.max(1, Math.ceil(count / cols));
  const w = cols * cw + (cols - 1) * gap;
  const h = rows * ch + (rows - 1) * gap;
  const small = new Uint8Array(w * h).fill(bg);
  for (let c = 0; c < count; c++) {
    const cell = normaliseCell(values, c * size, size);
    const x0 = (c % cols) * (cw + gap);
    const y0 = Math.floor(c / cols) * (ch + gap);
    for (let y = 0; y < ch; y++) small.set(cell.subarray(y * cw, (y + 1) * cw), (y0 + y) * w + x0);
  }
  return upscale({ width: w, height: h, pixels: small }, scale);
}

/** Nearest-neighbour magnification by an integer factor. */
export function upscale(img: GreyImage, scale: number): GreyImage {
  if (scale === 1) return img;
  const w = img.width * scale;
  const h = img.height * scale;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const src = Math.floor(y / scale) * img.width;
    for (let x = 0; x < w; x++) out[y * w + x] = img.pixels[src + Math.floor(x / scale)];
  }
  return { width: w, height: h, pixels: out };
}

/** Place pictures left to right, top-aligned, `gap` pixels of `background` between them. */
export function sideBySide(images: GreyImage[], gap = 8, background = 255): GreyImage {
  const width = images.reduce((s, im) => s + im.width, 0) + gap * Math.max(0, images.length - 1);
  const height = images.reduce((m, im) => Math.max(m, im.height), 0);
  const pixels = new Uint8Array(width * height).fill(background);
  let x0 = 0;
  for (const im of images) {
    for (let y = 0; y < im.height; y++) {
      pixels.set(im.pixels.subarray(y * im.width, (y + 1) * im.width), y * width + x0);
    }
    x0 += im.width + gap;
  }
  return { width, height, pixels };
}
