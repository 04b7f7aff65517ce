/**
 * A reader for the safetensors format: 8-byte little-endian header length N, N bytes of JSON
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}, then the data section,
 * offsets being relative to its start. Every field is validated before any byte of data is read, so a
 * truncated or lying file is an Error that says what is wrong, never an out-of-bounds read. As the
 * format requires, the tensors' byte ranges must tile the data section exactly: sorted by begin, each
 * begins where the previous one ends, the first at 0 and the last ending at the section's end (no two
 * tensors share bytes, and no byte belongs to none).
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

/** A name or value from the header as a message shows it: at most 80 characters, so a hostile header cannot make a huge message. */
function clip(text: string): string {
  return text.length <= 80 ? text : `${text.slice(0, 77)}…`;
}

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
    // The parser's own words (a position, a token) stay in the cause, for a log.
    throw new Error(`${label}: not a valid safetensors file: its header is not valid UTF-8 JSON`, { cause: e });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');

  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const entries: (Range & { dtype: string; shape: number[]; count: number })[] = [];
  for (const [key, entry] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') continue;
    const name = clip(key);
    if (typeof entry !== 'object' || entry === null) fail(`entry '${name}' is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== 'string') fail(`tensor '${name}' has no dtype string`);
    if ((dtype as string).length > 16) fail(`tensor '${name}' has dtype '${clip(dtype as string)}', which does not exist`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}' has shape ${clip(JSON.stringify(shape) ?? String(shape))}, not a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor '${name}' has data_offsets ${clip(JSON.stringify(offsets) ?? String(offsets))}, not two non-negative integers`);
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
    entries.push({ name: key, dtype: dtype as string, shape: dims, count, begin, end });
  }
  checkTiling(entries, dataLen, fail);
  return entries.map(({ name, dtype, shape, count, begin, end }) => ({
    name, dtype, shape, data: toFloat32(dtype, bytes.subarray(dataStart + begin, dataStart + end), count),
  }));
}

/** A tensor's bytes in the data section: [begin, end). */
interface Range {
  readonly name: string;
  readonly begin: number;
  readonly end: number;
}

/** Throws (through `fail`) unless the byte ranges tile [0, dataLen) exactly, naming the tensors at the first fault. */
function checkTiling(ranges: readonly Range[], dataLen: number, fail: (msg: string) => never): void {
  const sorted = [...ranges].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev: Range | undefined;
  for (const r of sorted) {
    if (r.begin < at) {
      fail(`tensor '${clip(r.name)}' (data_offsets [${r.begin}, ${r.end}]) overlaps tensor '${clip(prev!.name)}' ([${prev!.begin}, ${prev!.end}])`);
    }
    if (r.begin > at) {
      fail(prev
        ? `bytes ${at}–${r.begin} of the data section belong to no tensor (between tensor '${clip(prev.name)}', which ends at ${at}, and tensor '${clip(r.name)}')`
        : `bytes 0–${r.begin} of the data section belong to no tensor (the first, tensor '${clip(r.name)}', begins at ${r.begin})`);
    }
    at = r.end;
    prev = r;
  }
  if (at !== dataLen) {
    fail(prev
      ? `the data section has ${dataLen - at} bytes after the last tensor, '${clip(prev.name)}', which ends at ${at} of ${dataLen}`
      : `the data section has ${dataLen} bytes but the header lists no tensor`);
  }
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

/** IEEE 754 half precision bits to a number (subnormals, infinities and NaN included); the .pth reader uses it too. */
export function halfToFloat(h: number): number {
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
