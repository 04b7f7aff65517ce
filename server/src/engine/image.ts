/**
 * Turning a PNG or JPEG file into the network's input tensor: decode, resize to the input H×W,
 * pick channels, scale to [0, 1] and optionally normalise, the way a torchvision pipeline would.
 */
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

/** Images over this many pixels are refused before decoding, so a hostile header cannot exhaust memory. */
const MAX_PIXELS = 100e6;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Decodes a PNG or JPEG (chosen by magic bytes); `label` (a file name) prefixes every error. */
export function decodeImage(bytes: Uint8Array, label = 'image'): DecodedImage {
  if (bytes.length >= 8 && PNG_MAGIC.every((b, i) => bytes[i] === b)) return decodePng(bytes, label);
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return decodeJpg(bytes, label);
  const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Error(`${label}: not a PNG or JPEG image (starts with ${head || 'nothing'})`);
}

function decodePng(bytes: Uint8Array, label: string): DecodedImage {
  // IHDR is the first chunk; reading its size first keeps a forged header from allocating gigabytes.
  const isIhdr = bytes.length >= 24 && bytes[12] === 0x49 && bytes[13] === 0x48 && bytes[14] === 0x44 && bytes[15] === 0x52;
  if (!isIhdr) throw new Error(`${label}: not a valid PNG (the IHDR chunk that must follow the signature is missing: the file is cut short or damaged)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width * height > MAX_PIXELS) {
    throw new Error(`${label}: PNG of ${width}×${height} pixels is over the limit of ${MAX_PIXELS.toLocaleString('en-US')} pixels`);
  }
  let png;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new Error(`${label}: not a valid PNG (${(e as Error).message})`);
  }
  const rgba = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
  if (rgba.length !== png.width * png.height * 4) throw new Error(`${label}: not a valid PNG (decoded ${rgba.length} bytes for ${png.width}×${png.height})`);
  return { format: 'png', width: png.width, height: png.height, rgba, grey: isGrey(rgba) };
}

function decodeJpg(bytes: Uint8Array, label: string): DecodedImage {
  let img;
  try {
    img = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
  } catch (e) {
    throw new Error(`${label}: not a valid JPEG (${(e as Error).message})`);
  }
  if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height * 4) {
    throw new Error(`${label}: not a valid JPEG (decoded ${img.data.length} bytes for ${img.width}×${img.height})`);
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

/** Decodes an image file and converts it for a network input of shape `inputShape` ([C, H, W]). */
export function loadImageTensor(bytes: Uint8Array, inputShape: readonly number[], norm?: Normalisation, label = 'image'): Tensor {
  return imageToTensor(decodeImage(bytes, label), inputShape, norm);
}
