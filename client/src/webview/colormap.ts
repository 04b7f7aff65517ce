/**
 * Colour look-up tables for 8-bit maps: greyscale, viridis (perceptually uniform, for feature maps)
 * and turbo (the usual rainbow of class-activation overlays). Each table is 256 RGBA words whose bytes
 * are R, G, B, A in memory, so storing a word into a Uint32Array view of canvas ImageData writes one
 * pixel on any byte order.
 */

/** The colour maps the panel offers. */
export type ColormapName = 'grey' | 'viridis' | 'turbo';

/** Anchor colours, evenly spaced from 0 to 255; the table interpolates linearly between them. */
const ANCHORS: Record<Exclude<ColormapName, 'grey'>, readonly string[]> = {
  viridis: ['#440154', '#472c7a', '#3b518b', '#2c718e', '#21908d', '#27ad81', '#5cc863', '#aadc32', '#fde725'],
  turbo: ['#30123b', '#4145ab', '#4675ed', '#39a2fc', '#1bcfd4', '#24eca6', '#61fc6c', '#a4fc3b', '#d1e834', '#f3c63a', '#fe9b2d', '#f36315', '#d93806', '#b11901', '#7a0403'],
};

const cache = new Map<ColormapName, Uint32Array>();

/** The RGBA words for values 0..255 of `name` (alpha 255). */
export function colormapLut(name: ColormapName): Uint32Array {
  const hit = cache.get(name);
  if (hit) return hit;
  const lut = new Uint32Array(256);
  const bytes = new Uint8Array(lut.buffer);
  for (let v = 0; v < 256; v++) {
    let r: number, g: number, b: number;
    if (name === 'grey') {
      r = g = b = v;
    } else {
      const anchors = ANCHORS[name];
      const t = (v / 255) * (anchors.length - 1);
      const i = Math.min(anchors.length - 2, Math.floor(t));
      const f = t - i;
      const a = hex(anchors[i]);
      const c = hex(anchors[i + 1]);
      r = a[0] + (c[0] - a[0]) * f;
      g = a[1] + (c[1] - a[1]) * f;
      b = a[2] + (c[2] - a[2]) * f;
    }
    bytes[v * 4] = Math.round(r);
    bytes[v * 4 + 1] = Math.round(g);
    bytes[v * 4 + 2] = Math.round(b);
    bytes[v * 4 + 3] = 255;
  }
  cache.set(name, lut);
  return lut;
}

function hex(s: string): [number, number, number] {
  const n = parseInt(s.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
