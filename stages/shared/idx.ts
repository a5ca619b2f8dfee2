// The IDX file format of MNIST and Fashion-MNIST: a big-endian header (magic, then one uint32 per
// dimension) followed by unsigned bytes. Pure parsing; errors name the file they come from.
import { gunzipSync } from 'node:zlib';

export const IMAGES_MAGIC = 0x00000803;
export const LABELS_MAGIC = 0x00000801;

export interface Idx {
  dims: number[];
  data: Uint8Array;
}

/** Gunzip when the bytes carry the gzip signature (1f 8b), else return them as they are. */
export function maybeGunzip(bytes: Uint8Array, path: string): Uint8Array {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return new Uint8Array(gunzipSync(bytes));
    } catch (err) {
      throw new Error(`${path}: not a valid gzip file (${(err as Error).message})`);
    }
  }
  return bytes;
}

export function parseIdx(raw: Uint8Array, path: string, magic: number): Idx {
  const bytes = maybeGunzip(raw, path);
  const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
  if (bytes.length < 4) throw new Error(`${path}: truncated IDX file (${bytes.length} bytes, no header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0);
  if (found !== magic) {
    throw new Error(
      `${path}: bad magic number ${hex(found)}, expected ${hex(magic)} ` + `(${magic === IMAGES_MAGIC ? 'an IDX image file' : 'an IDX label file'})`,
    );
  }
  const nd = magic & 0xff;
  const header = 4 + 4 * nd;
  if (bytes.length < header) throw new Error(`${path}: truncated IDX header (${bytes.length} bytes, need ${header})`);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - header < size) {
    throw new Error(`${path}: truncated: dimensions [${dims.join(', ')}] need ${size} data bytes ` + `but the file has ${bytes.length - header}`);
  }
  return { dims, data: bytes.subarray(header, header + size) };
}
