/**
 * A reader for the safetensors format: 8-byte little-endian header length N, N bytes of JSON
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}, then the data section,
 * offsets being relative to its start. Every field is validated before any byte of data is read, so a
 * truncated or lying file is an Error that says what is wrong, never an out-of-bounds read.
 */
import { shapeStr } from './tensor.js';

/** One tensor of a safetensors file, converted to float32 when its dtype is a float type. */
export interface SafeTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /**
   * float32 values for F32/F16/BF16/F64 tensors (an aligned little-endian F32 tensor is a view into the
   * file's bytes, not a copy); null for other dtypes (e.g. I64 num_batches_tracked).
   */
  readonly data: Float32Array | null;
}

const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
  F8_E4M3: 1, F8_E5M2: 1,
};

/** Headers larger than this are rejected before parsing, as the format's reference reader does. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Parses a safetensors file; `label` (a file name) prefixes every error message. */
export function parseSafetensors(bytes: Uint8Array, label = 'safetensors'): SafeTensor[] {
  const fail = (msg: string): never => {
    throw new Error(`${label}: not a valid safetensors file: ${msg}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(bytes.length - 8)) fail(`header length ${headerLen} exceeds the ${bytes.length - 8} bytes after it`);
  const n = Number(headerLen);
  if (n > MAX_HEADER_BYTES) fail(`header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit`);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');

  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const tensors: SafeTensor[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    if (typeof entry !== 'object' || entry === null) fail(`entry '${name}' is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== 'string') fail(`tensor '${name}' has no dtype string`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}' has shape ${JSON.stringify(shape)}, not a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor '${name}' has data_offsets ${JSON.stringify(offsets)}, not two non-negative integers`);
    }
    const dims = shape as number[];
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`tensor '${name}' has data_offsets [${begin}, ${end}] with begin after end`);
    if (end > dataLen) fail(`tensor '${name}' ends at byte ${end} of the data section, which has only ${dataLen} bytes (truncated file?)`);
    const itemSize = DTYPE_BYTES[dtype as string];
    const count = dims.reduce((a, b) => a * b, 1);
    if (itemSize !== undefined && count * itemSize !== end - begin) {
      fail(`tensor '${name}' (${dtype} ${shapeStr(dims)}) needs ${count * itemSize} bytes, data_offsets give ${end - begin}`);
    }
    const raw = bytes.subarray(dataStart + begin, dataStart + end);
    tensors.push({ name, dtype: dtype as string, shape: dims, data: toFloat32(dtype as string, raw, count) });
  }
  return tensors;
}

/** Converts raw little-endian float data to float32; null for dtypes that are not floats. */
function toFloat32(dtype: string, raw: Uint8Array, count: number): Float32Array | null {
  if (dtype !== 'F32' && dtype !== 'F64' && dtype !== 'F16' && dtype !== 'BF16') return null;
  if (dtype === 'F32' && LITTLE_ENDIAN_HOST && raw.byteOffset % 4 === 0) {
    // A view, not a copy: a VGG16 checkpoint is half a gigabyte and need not exist twice.
    return new Float32Array(raw.buffer, raw.byteOffset, count);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      if (LITTLE_ENDIAN_HOST) {
        // Copying the bytes gives an aligned buffer whatever the tensor's offset in the file was.
        new Uint8Array(out.buffer).set(raw);
      } else {
        for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      }
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u32[i] = view.getUint16(i * 2, true) << 16;
      break;
    }
  }
  return out;
}

/** IEEE 754 half precision bits to a number (subnormals, infinities and NaN included). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Serialises float32 tensors as a safetensors file (header entries in the given order); for tests and dumps. */
export function writeSafetensors(tensors: readonly { name: string; shape: readonly number[]; data: Float32Array }[]): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.length * 4] };
    offset += t.data.length * 4;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // The format pads the header with spaces so the data section starts 8-byte aligned.
  const headerBytes = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors) {
    const view = new DataView(out.buffer, pos, t.data.length * 4);
    for (let i = 0; i < t.data.length; i++) view.setFloat32(i * 4, t.data[i], true);
    pos += t.data.length * 4;
  }
  return out;
}
