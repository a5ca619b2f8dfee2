// A stored tensor as a NumPy .npy file (format version 1.0), so `numpy.load` opens an exported
// cache output directly. Data is little-endian and C-ordered, exactly as the blob holds it.
import { endianness } from 'node:os';
import { decodeStored, type RawTensor, type StoredDtype } from './tensor-bytes.js';

const DESCR: Record<Exclude<StoredDtype, 'unorm8'>, string> = { float32: '<f4', int32: '<i4', uint8: '|u1', bool: '|b1' };
const MAGIC = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0]);

export function npyHeader(dtype: Exclude<StoredDtype, 'unorm8'>, shape: number[]): Buffer {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${dims}, }`;
  // Magic (8) + length (2) + dict + padding + '\n' is a multiple of 64, so the data is aligned.
  const total = Math.ceil((MAGIC.length + 2 + dict.length + 1) / 64) * 64;
  const text = `${dict.padEnd(total - MAGIC.length - 2 - 1)}\n`;
  if (text.length > 0xffff) throw new Error(`npy: header too long for format 1.0 (${text.length} bytes)`);
  const len = Buffer.alloc(2);
  len.writeUInt16LE(text.length);
  return Buffer.concat([MAGIC, len, Buffer.from(text, 'latin1')]);
}

export function encodeNpy(stored: RawTensor): Buffer {
  const raw = decodeStored(stored) as RawTensor & { dtype: Exclude<StoredDtype, 'unorm8'> };
  // Blobs hold the host's byte order; every machine this runs on is little-endian, but say so.
  if (endianness() !== 'LE') throw new Error('npy export needs a little-endian machine');
  const count = raw.shape.reduce((a, b) => a * b, 1);
  const width = raw.dtype === 'float32' || raw.dtype === 'int32' ? 4 : 1;
  if (raw.bytes.byteLength !== count * width) {
    throw new Error(`npy: ${raw.dtype} [${raw.shape.join(', ')}] needs ${count * width} bytes, got ${raw.bytes.byteLength}`);
  }
  return Buffer.concat([npyHeader(raw.dtype, raw.shape), raw.bytes]);
}
