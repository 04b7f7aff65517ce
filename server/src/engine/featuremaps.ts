/**
 * Pictures of a layer's output: every channel of a (C, H, W) map tiled in a near-square grid, each
 * channel stretched from its own min..max to 0..255 so weak and strong channels are equally visible.
 */
import { PNG } from 'pngjs';
import type { Tensor } from './tensor.js';

/** A greyscale image, row-major, one byte per pixel. */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

/** How the grid is drawn. */
export interface GridOptions {
  /** Each map pixel becomes scale×scale image pixels (default 1; the webview can also scale with CSS). */
  readonly scale?: number;
  /** Grey level of the 1-pixel lines between tiles (default 128, so black and white tiles both show edges). */
  readonly separator?: number;
}

/**
 * The channels of `t` tiled cols = ⌈√C⌉ wide with 1-pixel separators. A vector [N] is drawn as one tile
 * of ⌈√N⌉ columns normalised as a whole (its entries are not separate maps). Constant channels
 * (a dead ReLU, say) are drawn black.
 */
export function featureGrid(t: Tensor, opts: GridOptions = {}): GreyImage {
  const scale = Math.max(1, Math.floor(opts.scale ?? 1));
  const sepValue = opts.separator ?? 128;
  let c: number, h: number, w: number;
  if (t.shape.length === 3) {
    [c, h, w] = t.shape;
  } else {
    c = 1;
    w = Math.max(1, Math.ceil(Math.sqrt(t.data.length)));
    h = Math.max(1, Math.ceil(t.data.length / w));
  }
  const cols = Math.max(1, Math.ceil(Math.sqrt(c)));
  const rows = Math.max(1, Math.ceil(c / cols));
  const tw = w * scale;
  const th = h * scale;
  const width = cols * tw + (cols - 1);
  const height = rows * th + (rows - 1);
  const pixels = new Uint8Array(width * height).fill(sepValue);
  const plane = t.shape.length === 3 ? h * w : t.data.length;
  for (let ch = 0; ch < c; ch++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = ch * plane; i < (ch + 1) * plane; i++) {
      const v = t.data[i];
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    const k = hi > lo ? 255 / (hi - lo) : 0;
    const ox = (ch % cols) * (tw + 1);
    const oy = Math.floor(ch / cols) * (th + 1);
    // Cells past the end of a vector's data, inside the last row of its tile, stay black.
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const idx = Math.floor(y / scale) * w + Math.floor(x / scale);
        const v = idx < plane ? t.data[ch * plane + idx] : lo;
        pixels[(oy + y) * width + ox + x] = k === 0 ? 0 : Math.round(Math.min(Math.max((v - lo) * k, 0), 255));
      }
    }
  }
  return { width, height, pixels };
}

/** Encodes a greyscale image as an 8-bit greyscale PNG file. */
export function encodeGreyPng(img: GreyImage): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height, colorType: 0, inputColorType: 0, bitDepth: 8 });
  png.data = Buffer.from(img.pixels.buffer, img.pixels.byteOffset, img.pixels.byteLength);
  const out = PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 8 });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** A layer's output as a PNG grid of its channels (featureGrid, then encodeGreyPng). */
export function featureGridPng(t: Tensor, opts: GridOptions = {}): Uint8Array {
  return encodeGreyPng(featureGrid(t, opts));
}
