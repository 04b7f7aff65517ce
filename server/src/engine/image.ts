/**
 * Turning a PNG or JPEG file into the network's input tensor: decode, resize to the input H×W,
 * pick channels, scale to [0, 1] and optionally normalise, the way a torchvision pipeline would.
 */
import { crc32, inflateSync } from 'node:zlib';
import { decode as decodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { assert, shapeStr, tensor, type Tensor } from './tensor.js';

/** A decoded 8-bit image; `rgba` is row-major (H, W, 4) whatever the file's own format was. */
export interface DecodedImage {
  readonly format: 'png' | 'jpeg';
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
  /** True when every pixel has R = G = B (a greyscale file, or a colour file with only greys). */
  readonly grey: boolean;
}

/** ImageNet channel means torchvision's pretrained models expect after scaling to [0, 1]. */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations matching IMAGENET_MEAN. */
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

/**
 * Limits on decoding one image, checked against what the file's header declares before anything is
 * allocated: a 1 KB file can declare 10000×10000 pixels, and a 1 MB PNG can inflate to a gigabyte.
 */
export interface DecodeLimits {
  /** Largest width × height decoded. */
  readonly maxPixels?: number;
  /** Memory the decoder (and, for loadImageTensor, the conversion to floats) may use, in bytes. */
  readonly maxBytes?: number;
}

/** The limits when the caller gives none: 100 megapixels and 1 GiB. */
export const DEFAULT_DECODE_LIMITS: Required<DecodeLimits> = { maxPixels: 100e6, maxBytes: 2 ** 30 };

/** An image refused for its size (pixels or memory) before decoding; the message says both figures. */
export class ImageTooLarge extends Error {
  override readonly name = 'ImageTooLarge';
}

/** What an image file declares, read from its header and structure without decoding its pixels. */
export interface ImageHeader {
  readonly format: 'png' | 'jpeg';
  readonly width: number;
  readonly height: number;
  /** Bytes the decoder needs at its peak, estimated from the header (its RGBA output included). */
  readonly decodeBytes: number;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const isPng = (b: Uint8Array): boolean => b.length >= 8 && PNG_MAGIC.every((m, i) => b[i] === m);
const isJpeg = (b: Uint8Array): boolean => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** A memory size for messages: 2.1 GB, 670 MB, 12 KB, 300 bytes. */
function fmtMemory(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} KB`;
  return `${Math.round(bytes)} bytes`;
}

/**
 * An error about a damaged or unsupported file in the user's terms, prefixed by `label` (the file
 * name); what a library said about it, if anything, goes along as the cause (for a log, not the user).
 */
function fileError(label: string, what: string, cause?: unknown): Error {
  return new Error(`${label}: ${what}`, cause === undefined ? undefined : { cause });
}

/** Reads what a PNG or JPEG declares (chosen by magic bytes), checking its structure; throws in the user's terms. */
export function readImageHeader(bytes: Uint8Array, label = 'image'): ImageHeader {
  if (isPng(bytes)) return pngLayout(bytes, label).header;
  if (isJpeg(bytes)) return jpegLayout(bytes, label);
  const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Error(`${label}: not a PNG or JPEG image (starts with ${head || 'nothing'})`);
}

/** Refuses an image whose pixels or memory (`bytes`, for `what`) are over `limits`. */
function checkLimits(h: ImageHeader, bytes: number, limits: DecodeLimits | undefined, label: string, what: string): void {
  const maxPixels = limits?.maxPixels ?? DEFAULT_DECODE_LIMITS.maxPixels;
  const maxBytes = limits?.maxBytes ?? DEFAULT_DECODE_LIMITS.maxBytes;
  const kind = h.format === 'png' ? 'PNG' : 'JPEG';
  if (h.width * h.height > maxPixels) {
    throw new ImageTooLarge(`${label}: a ${kind} of ${h.width}×${h.height} pixels is over the limit of ${maxPixels.toLocaleString('en-US')} pixels`);
  }
  if (bytes > maxBytes) {
    throw new ImageTooLarge(`${label}: ${what} this ${h.width}×${h.height} ${kind} needs about ${fmtMemory(bytes)} of memory, more than the ${fmtMemory(Math.max(0, maxBytes))} it may use`);
  }
}

/**
 * Decodes a PNG or JPEG (chosen by magic bytes); `label` (a file name) prefixes every error. The
 * header is read and checked against `limits` before any pixel is decoded.
 */
export function decodeImage(bytes: Uint8Array, label = 'image', limits?: DecodeLimits): DecodedImage {
  const layout = readLayout(bytes, label);
  checkLimits(layout.header, layout.header.decodeBytes, limits, label, 'decoding');
  return decodeLayout(bytes, label, layout, limits);
}

/** A file's checked layout: its header, and for a PNG its chunks. */
interface Layout {
  readonly header: ImageHeader;
  readonly png?: PngLayout;
}

/** Walks a PNG's chunks or a JPEG's markers once (readImageHeader's checks), keeping what decoding needs. */
function readLayout(bytes: Uint8Array, label: string): Layout {
  if (isPng(bytes)) {
    const png = pngLayout(bytes, label);
    return { png, header: png.header };
  }
  return { header: readImageHeader(bytes, label) };
}

/** Decodes a file whose layout has been read and whose limits have been checked. */
function decodeLayout(bytes: Uint8Array, label: string, layout: Layout, limits?: DecodeLimits): DecodedImage {
  return layout.png ? decodePng(bytes, label, layout.png) : decodeJpg(bytes, label, layout.header, limits);
}

// ---- PNG ----------------------------------------------------------------------------------------

/** Channels per pixel of each PNG colour type: grey, RGB, palette, grey + alpha, RGBA. */
const PNG_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** The bit depths each colour type allows. */
const PNG_DEPTHS: Readonly<Record<number, readonly number[]>> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Adam7's passes: first column, first row, column step, row step. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

/** A PNG's header, its compressed image data and the exact number of bytes that data must inflate to. */
interface PngLayout {
  readonly header: ImageHeader;
  readonly idat: Uint8Array[];
  readonly inflatedBytes: number;
}

/**
 * Walks a PNG's chunks: the IHDR header first (its fields valid, its size non-zero), every chunk whole
 * and with a matching checksum, image data present, an IEND at the end. Computes from the header
 * alone how many bytes the image data must inflate to: one filter byte plus the packed pixels per row,
 * over the seven passes of an interlaced image.
 */
function pngLayout(bytes: Uint8Array, label: string): PngLayout {
  const fail = (what: string): never => {
    throw fileError(label, `not a valid PNG: ${what}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0, height = 0, depth = 0, colorType = 0, interlaced = false;
  let sawHeader = false, sawPalette = false, sawEnd = false;
  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  for (let at = 8; !sawEnd;) {
    if (at + 12 > bytes.length) fail(at === 8 ? 'the file ends after the signature (it is cut short)' : 'the file ends before its IEND chunk (it is cut short)');
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    // A chunk type is four letters; anything else is a damaged type, named by its place instead.
    const chunk = /^[A-Za-z]{4}$/.test(type) ? `${type} chunk` : `chunk at byte ${at}`;
    if (length > bytes.length - at - 12) fail(`its ${chunk} runs past the end of the file (it is cut short)`);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) {
      fail(`its ${chunk} is damaged (its checksum does not match)`);
    }
    if (!sawHeader && type !== 'IHDR') fail('the IHDR header chunk that must follow the signature is missing (the file is damaged)');
    switch (type) {
      case 'IHDR': {
        if (sawHeader) fail('it has two IHDR header chunks');
        if (length !== 13) fail(`its IHDR header chunk has ${length} bytes instead of 13`);
        sawHeader = true;
        const hv = new DataView(data.buffer, data.byteOffset, 13);
        width = hv.getUint32(0);
        height = hv.getUint32(4);
        depth = data[8];
        colorType = data[9];
        if (width === 0 || height === 0) fail(`it is ${width}×${height} pixels: an image needs at least one pixel each way`);
        if (width > 0x7fffffff || height > 0x7fffffff) fail(`it declares ${width}×${height} pixels, beyond what the format allows`);
        if (!PNG_DEPTHS[colorType]) fail(`its colour type ${colorType} does not exist`);
        if (!PNG_DEPTHS[colorType].includes(depth)) fail(`colour type ${colorType} cannot have ${depth}-bit samples`);
        if (data[10] !== 0 || data[11] !== 0) fail('it uses a compression or filter method that does not exist');
        if (data[12] > 1) fail(`its interlace method ${data[12]} does not exist`);
        interlaced = data[12] === 1;
        break;
      }
      case 'PLTE':
        sawPalette = true;
        break;
      case 'IDAT':
        idat.push(data);
        idatBytes += length;
        break;
      case 'IEND':
        sawEnd = true;
        break;
      default:
        // Lower case first letter: an ancillary chunk, safe to ignore. Upper case: the image needs it.
        if (!(bytes[at + 4] & 0x20)) fail(`it has a critical ${chunk} this decoder does not know`);
    }
    at += 12 + length;
  }
  if (colorType === 3 && !sawPalette) fail('its palette (PLTE chunk) is missing');
  if (!idat.length) fail('it has no image data (no IDAT chunk)');
  const bitsPerPixel = PNG_CHANNELS[colorType] * depth;
  const rowBytes = (w: number): number => 1 + Math.ceil((w * bitsPerPixel) / 8);
  let inflatedBytes = 0;
  if (!interlaced) {
    inflatedBytes = height * rowBytes(width);
  } else {
    for (const [x0, y0, dx, dy] of ADAM7) {
      const pw = width > x0 ? Math.ceil((width - x0) / dx) : 0;
      const ph = height > y0 ? Math.ceil((height - y0) / dy) : 0;
      if (pw > 0 && ph > 0) inflatedBytes += ph * rowBytes(pw);
    }
  }
  // Peak of the decode: the compressed data gathered twice (here and by pngjs), the inflated data
  // three times (here, pngjs's inflate, its unfiltered copy), pngjs's bitmap and its RGBA output.
  const decodeBytes = 2 * idatBytes + 3 * inflatedBytes + width * height * 4 * (depth === 16 ? 3 : 2);
  return { header: { format: 'png', width, height, decodeBytes }, idat, inflatedBytes };
}

/**
 * Decodes a PNG whose layout has been checked: first inflates its image data with the output capped
 * at the exact size the header implies (a decompression bomb stops at that size, before it costs
 * anything), then has pngjs decode it, knowing its inflate is bounded by the same size.
 */
function decodePng(bytes: Uint8Array, label: string, layout: PngLayout): DecodedImage {
  const { header, idat, inflatedBytes } = layout;
  const { width, height } = header;
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat), { maxOutputLength: inflatedBytes });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw fileError(label, `not a valid PNG: its image data inflates to more than the ${inflatedBytes.toLocaleString('en-US')} bytes ` +
        `a ${width}×${height} image needs (a decompression bomb, or a damaged file)`, e);
    }
    throw fileError(label, `not a valid PNG: its image data is damaged or cut short (it does not decompress)`, e);
  }
  if (inflated.length !== inflatedBytes) {
    throw fileError(label, `not a valid PNG: its image data is cut short (${inflated.length.toLocaleString('en-US')} of the ` +
      `${inflatedBytes.toLocaleString('en-US')} bytes a ${width}×${height} image needs)`);
  }
  let png;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw fileError(label, 'not a valid PNG: its image data is damaged (its rows cannot be unfiltered)', e);
  }
  const rgba = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
  if (png.width !== width || png.height !== height || rgba.length !== width * height * 4) {
    throw fileError(label, `not a valid PNG: decoded ${rgba.length} bytes for ${width}×${height}`);
  }
  return { format: 'png', width, height, rgba, grey: isGrey(rgba) };
}

// ---- JPEG ---------------------------------------------------------------------------------------

/** What the SOFn markers this decoder does not read are: lossless, hierarchical, arithmetic coding. */
function unsupportedJpegCoding(marker: number): string | undefined {
  if (marker === 0xc3 || marker === 0xc7 || marker === 0xcb || marker === 0xcf) return 'lossless';
  if (marker === 0xc5 || marker === 0xc6) return 'hierarchical';
  if (marker >= 0xc9) return 'arithmetic-coded';
  return undefined;
}

/**
 * Walks a JPEG's markers to its end: every segment whole, one frame header (SOF) declaring a non-zero
 * size in a coding this decoder reads, at least one scan whose entropy-coded data ends at a marker,
 * and the end-of-image marker. A file cut short is found here, before the decoder would spend seconds
 * and gigabytes decoding the missing rest of a large frame.
 */
function jpegLayout(bytes: Uint8Array, label: string): ImageHeader {
  const fail = (what: string): never => {
    throw fileError(label, what);
  };
  const truncated = (): never => fail('the JPEG is truncated: the file ends before its end-of-image marker');
  let frame: { width: number; height: number; components: number } | undefined;
  let scans = 0;
  let at = 2;
  for (;;) {
    if (at + 2 > bytes.length) truncated();
    if (bytes[at] !== 0xff) fail(`the JPEG is damaged: byte ${at} should start a marker`);
    let marker = bytes[at + 1];
    while (marker === 0xff) {
      // Fill bytes before a marker.
      at++;
      if (at + 2 > bytes.length) truncated();
      marker = bytes[at + 1];
    }
    if (marker === 0xd9) break;
    if (marker < 0xc0 && marker !== 0x01) fail(`the JPEG is damaged: byte ${at} holds no valid marker`);
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a segment
      continue;
    }
    if (at + 4 > bytes.length) truncated();
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    if (length < 2) fail(`the JPEG is damaged: the segment at byte ${at} has length ${length}`);
    const end = at + 2 + length;
    if (end > bytes.length) fail('the JPEG is truncated or damaged: a segment runs past the end of the file');
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const coding = unsupportedJpegCoding(marker);
      if (coding) fail(`the JPEG is ${coding}, which this decoder does not read; save it as a baseline or progressive JPEG`);
      if (frame) fail('the JPEG has more than one frame, which this decoder does not read');
      if (length < 8) fail('the JPEG is damaged: its frame header is too short');
      const height = (bytes[at + 5] << 8) | bytes[at + 6];
      const width = (bytes[at + 7] << 8) | bytes[at + 8];
      const components = bytes[at + 9];
      if (width === 0 || height === 0) fail(`the JPEG declares ${width}×${height} pixels: an image needs at least one pixel each way`);
      if (components < 1 || components > 4 || length < 8 + 3 * components) fail(`the JPEG is damaged: its frame header declares ${components} colour components`);
      frame = { width, height, components };
    }
    at = end;
    if (marker === 0xda) {
      if (!frame) fail('the JPEG is damaged: its image data comes before its frame header');
      scans++;
      // The entropy-coded data runs to the next marker: 0xFF followed by neither 0 (a stuffed 0xFF) nor a restart marker.
      let next = at;
      for (;;) {
        next = bytes.indexOf(0xff, next);
        if (next < 0 || next + 1 >= bytes.length) truncated();
        const b = bytes[next + 1];
        if (b !== 0 && !(b >= 0xd0 && b <= 0xd7) && b !== 0xff) break;
        next += b === 0xff ? 1 : 2;
      }
      at = next;
    }
  }
  if (!frame) return fail('the JPEG is damaged: it has no frame header (SOF)');
  if (!scans) return fail('the JPEG has no image data (no scan)');
  const { width, height, components } = frame;
  // jpeg-js keeps each component as 8×8 blocks of int32 (256 bytes each, plus the typed array's own
  // overhead), then as 8-bit lines, then interleaves them and writes RGBA: about 9 bytes per pixel per
  // component plus the output, whatever the subsampling.
  return { format: 'jpeg', width, height, decodeBytes: width * height * (9 * components + 4) };
}

function decodeJpg(bytes: Uint8Array, label: string, header: ImageHeader, limits?: DecodeLimits): DecodedImage {
  const maxPixels = limits?.maxPixels ?? DEFAULT_DECODE_LIMITS.maxPixels;
  const maxBytes = limits?.maxBytes ?? DEFAULT_DECODE_LIMITS.maxBytes;
  let img;
  try {
    // jpeg-js's own limits as a second guard behind the header check.
    img = decodeJpeg(bytes, {
      useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: Math.max(1, Math.ceil(maxBytes / 2 ** 20)),
    });
  } catch (e) {
    throw fileError(label, 'the JPEG is damaged: its compressed data cannot be decoded', e);
  }
  if (img.width !== header.width || img.height !== header.height || img.data.length !== img.width * img.height * 4) {
    throw fileError(label, `the JPEG is damaged: decoded ${img.data.length} bytes for ${img.width}×${img.height}`);
  }
  return { format: 'jpeg', width: img.width, height: img.height, rgba: img.data, grey: isGrey(img.data) };
}

function isGrey(rgba: Uint8Array): boolean {
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) return false;
  return true;
}

/**
 * Bilinear resize of a (C, H, W) float map to (C, OH, OW) with align_corners=False and no antialiasing,
 * exactly F.interpolate(mode='bilinear', align_corners=False): output pixel o samples the input at
 * (o + 0.5)·H/OH − 0.5, clamped at 0 below and at H − 1 above. (torchvision's Resize on a PIL image
 * antialiases when shrinking, so large downscales differ slightly from it.)
 */
export function resizeBilinear(src: Float32Array, c: number, h: number, w: number, oh: number, ow: number): Float32Array {
  // src is (C, H, W), the result is (C, OH, OW).
  assert(src.length === c * h * w, () => `resizeBilinear: src has ${src.length} values, shape ${shapeStr([c, h, w])}`);
  const out = new Float32Array(c * oh * ow);
  const [y0, y1, fy] = bilinearTaps(h, oh);
  const [x0, x1, fx] = bilinearTaps(w, ow);
  for (let ch = 0; ch < c; ch++) {
    const plane = ch * h * w;
    for (let y = 0; y < oh; y++) {
      const r0 = plane + y0[y] * w;
      const r1 = plane + y1[y] * w;
      const wy = fy[y];
      for (let x = 0; x < ow; x++) {
        const top = src[r0 + x0[x]] * (1 - fx[x]) + src[r0 + x1[x]] * fx[x];
        const bottom = src[r1 + x0[x]] * (1 - fx[x]) + src[r1 + x1[x]] * fx[x];
        out[(ch * oh + y) * ow + x] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return out;
}

/** For each output index: the two input indices and the weight of the second, as PyTorch computes them. */
function bilinearTaps(inLen: number, outLen: number): [Int32Array, Int32Array, Float64Array] {
  const i0 = new Int32Array(outLen);
  const i1 = new Int32Array(outLen);
  const f = new Float64Array(outLen);
  const scale = inLen / outLen;
  for (let o = 0; o < outLen; o++) {
    const s = Math.max((o + 0.5) * scale - 0.5, 0);
    const lo = Math.min(Math.floor(s), inLen - 1);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, inLen - 1);
    f[o] = s - lo;
  }
  return [i0, i1, f];
}

/** Per-channel normalisation applied after scaling to [0, 1]: x ↦ (x − mean[c]) / std[c]. */
export interface Normalisation {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/**
 * The input tensor for a network whose input is `inputShape` = [C, H, W]: the image resized to H×W,
 * scaled to [0, 1], as RGB for C = 3 (a grey image replicated) or as luminance 0.299R + 0.587G + 0.114B
 * for C = 1, then normalised if `norm` is given (one mean/std per channel, or one for all).
 */
export function imageToTensor(img: DecodedImage, inputShape: readonly number[], norm?: Normalisation): Tensor {
  assert(inputShape.length === 3 && (inputShape[0] === 1 || inputShape[0] === 3),
    () => `an image can feed a [1, H, W] or [3, H, W] input, not ${shapeStr(inputShape)}`);
  const [c, oh, ow] = inputShape;
  const { width: w, height: h, rgba } = img;
  assert(w > 0 && h > 0 && rgba.length === w * h * 4, () => `an image of ${w}×${h} pixels (${rgba.length} bytes) cannot feed a network`);
  const plane = w * h;
  // Channel selection is linear, so doing it before the resize gives the same result for less work.
  const src = new Float32Array(c * plane);
  for (let p = 0; p < plane; p++) {
    const r = rgba[p * 4] / 255;
    const g = rgba[p * 4 + 1] / 255;
    const b = rgba[p * 4 + 2] / 255;
    if (c === 1) {
      src[p] = img.grey ? r : 0.299 * r + 0.587 * g + 0.114 * b;
    } else {
      src[p] = r;
      src[plane + p] = g;
      src[2 * plane + p] = b;
    }
  }
  const data = oh === h && ow === w ? src : resizeBilinear(src, c, h, w, oh, ow);
  if (norm) normalise(data, c, oh * ow, norm);
  return tensor([c, oh, ow], data);
}

/** Applies (x − mean[c]) / std[c] in place; mean and std have C entries or a single shared one. */
export function normalise(data: Float32Array, channels: number, plane: number, norm: Normalisation): void {
  const { mean, std } = norm;
  assert((mean.length === channels || mean.length === 1) && (std.length === channels || std.length === 1),
    () => `normalisation has ${mean.length} means and ${std.length} stds for a ${channels}-channel input`);
  for (let c = 0; c < channels; c++) {
    const m = mean[mean.length === 1 ? 0 : c];
    const s = std[std.length === 1 ? 0 : c];
    assert(s > 0, () => `normalisation std for channel ${c} is ${s}; it must be positive`);
    for (let i = c * plane; i < (c + 1) * plane; i++) data[i] = (data[i] - m) / s;
  }
}

/**
 * Decodes an image file and converts it for a network input of shape `inputShape` ([C, H, W]). The
 * memory `limits` cover the decoding and the conversion to floats (the image's channels as float32,
 * and the resized copy), checked from the header before either starts.
 */
export function loadImageTensor(
  bytes: Uint8Array, inputShape: readonly number[], norm?: Normalisation, label = 'image', limits?: DecodeLimits,
): Tensor {
  const layout = readLayout(bytes, label);
  const { header } = layout;
  const c = inputShape[0] ?? 3;
  const conversion = 4 * c * header.width * header.height + 4 * inputShape.reduce((a, b) => a * b, 1);
  checkLimits(header, header.decodeBytes + conversion, limits, label, 'decoding and converting');
  return imageToTensor(decodeLayout(bytes, label, layout, limits), inputShape, norm);
}
