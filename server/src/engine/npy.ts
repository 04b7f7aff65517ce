/**
 * NumPy .npy arrays: reading float inputs (an input tensor saved from Python) and writing float32
 * outputs (`--dump`). The header is validated field by field before any data is read.
 */
import { numel, shapeStr } from './tensor.js';

/** A float32 array with its shape, as read from or written to a .npy file. */
export interface NpyArray {
  readonly shape: number[];
  readonly data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/**
 * Reads a C-order .npy of float32 or float64 (either byte order; float64 is rounded to float32).
 * `label` (a file name) prefixes every error message.
 */
export function readNpy(bytes: Uint8Array, label = 'npy'): NpyArray {
  const fail = (msg: string): never => {
    throw new Error(`${label}: not a valid .npy file: ${msg}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('missing the \\x93NUMPY magic');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('file ends inside the header length');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`unsupported format version ${major}.${bytes[7]}`);
  }
  if (headerStart + headerLen > bytes.length) fail(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail(`header ${JSON.stringify(header.trim())} lacks descr, fortran_order or shape`);
  if (fortran === 'True') fail('Fortran-order arrays are not supported; save with np.ascontiguousarray');
  const dims = shapeText!.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (!dims.every((d) => /^\d+L?$/.test(d))) fail(`shape (${shapeText}) is not a tuple of non-negative integers`);
  const shape = dims.map((d) => parseInt(d, 10));

  const m = /^([<>|=])f([48])$/.exec(descr!);
  if (!m) return fail(`dtype '${descr}' is not float32 or float64`);
  const little = m[1] !== '>';
  const itemSize = Number(m[2]);
  const count = numel(shape);
  const dataStart = headerStart + headerLen;
  const have = bytes.length - dataStart;
  if (count * itemSize !== have) fail(`shape ${shapeStr(shape)} of ${descr} needs ${count * itemSize} data bytes, the file has ${have}`);

  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    data[i] = itemSize === 4 ? view.getFloat32(dataStart + i * 4, little) : view.getFloat64(dataStart + i * 8, little);
  }
  return { shape, data };
}

/** Serialises a float32 array as a version 1.0 little-endian C-order .npy file. */
export function writeNpy(shape: readonly number[], data: Float32Array): Uint8Array {
  if (numel(shape) !== data.length) throw new Error(`writeNpy: shape ${shapeStr(shape)} needs ${numel(shape)} values, got ${data.length}`);
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  // The format pads the header with spaces and a newline so the data starts 64-byte aligned.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  for (let i = 0; i < data.length; i++) view.setFloat32(total + i * 4, data[i], true);
  return out;
}
