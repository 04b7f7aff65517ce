/**
 * Hostile files for the readers' tests, made in memory in milliseconds: decompression bombs, images
 * whose headers lie about their size, and safetensors whose offsets overlap. Each is small; what it
 * declares or inflates to is not.
 */
import { deflateRawSync, constants as zlibConstants } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as PNG chunks carry it. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: length, type, data and the CRC of type and data. */
export function pngChunk(type: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** What an IHDR chunk declares. */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth?: number;
  readonly colorType?: number;
  readonly interlace?: 0 | 1;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A PNG file with the given header and chunks between IHDR and IEND (e.g. IDATs), built byte by byte. */
export function rawPng(h: PngHeader, chunks: readonly Uint8Array[]): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, h.width);
  v.setUint32(4, h.height);
  ihdr[8] = h.bitDepth ?? 8;
  ihdr[9] = h.colorType ?? 0;
  ihdr[12] = h.interlace ?? 0;
  return concat([new Uint8Array(SIGNATURE), pngChunk('IHDR', ihdr), ...chunks, pngChunk('IEND')]);
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A valid zlib stream that inflates to `mib` MiB of zero bytes, about a thousandth of that in size:
 * one compressed MiB of zeros, ended by a full flush so it does not refer to what came before, repeated,
 * then an empty final block and the Adler-32 of the whole (for n zeros: a = 1, b = n mod 65521).
 */
export function zlibZeros(mib: number): Uint8Array {
  const piece = deflateRawSync(new Uint8Array(1 << 20), { level: 9, finishFlush: zlibConstants.Z_FULL_FLUSH });
  const last = deflateRawSync(new Uint8Array(0));
  const n = mib * 2 ** 20;
  const adler = new Uint8Array(4);
  new DataView(adler.buffer).setUint32(0, ((n % 65521) * 65536 + 1) >>> 0);
  return concat([new Uint8Array([0x78, 0xda]), ...Array<Uint8Array>(mib).fill(piece), last, adler]);
}

/** An interlaced 1×1 greyscale PNG whose single IDAT inflates to `mib` MiB (a 1×1 image needs 2 bytes). */
export function pngBomb(mib: number): Uint8Array {
  return rawPng({ width: 1, height: 1, interlace: 1 }, [pngChunk('IDAT', zlibZeros(mib))]);
}

/** A real PNG of width×height (RGBA gradient) encoded by pngjs. */
export function goodPng(width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([i % 256, (i * 7) % 256, 90, 255], i * 4);
  return new Uint8Array(PNG.sync.write(png));
}

/** A real JPEG of width×height encoded by jpeg-js. */
export function goodJpeg(width: number, height: number): Uint8Array {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([(i * 3) % 256, 120, 40, 255], i * 4);
  return new Uint8Array(jpeg.encode({ width, height, data }, 90).data);
}

/** Offset of the first SOFn marker segment's height field (SOF0: FF C0, length, precision, height, width). */
function sofOffset(file: Uint8Array): number {
  for (let i = 2; i + 9 < file.length; i++) if (file[i] === 0xff && file[i + 1] === 0xc0) return i + 5;
  throw new Error('no SOF0 marker');
}

/**
 * A small JPEG whose frame header is rewritten to declare width×height and which is then cut to
 * `bytes` bytes (so it has no end-of-image marker): the scan data a decoder expects is missing.
 */
export function truncatedJpeg(width: number, height: number, bytes = 1024): Uint8Array {
  const file = goodJpeg(64, 64).slice();
  const at = sofOffset(file);
  new DataView(file.buffer).setUint16(at, height);
  new DataView(file.buffer).setUint16(at + 2, width);
  if (file.length < bytes) throw new Error(`the JPEG is only ${file.length} bytes`);
  return file.slice(0, bytes);
}

/** A whole JPEG (with its end marker) whose frame header is rewritten to declare width×height. */
export function lyingJpeg(width: number, height: number): Uint8Array {
  const file = goodJpeg(16, 16).slice();
  const at = sofOffset(file);
  new DataView(file.buffer).setUint16(at, height);
  new DataView(file.buffer).setUint16(at + 2, width);
  return file;
}

/** A safetensors file with a hand-written header and `dataBytes` zero bytes of data. */
export function rawSafetensors(header: unknown, dataBytes: number, headerLenOverride?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLenOverride ?? json.length), true);
  out.set(json, 8);
  return out;
}
