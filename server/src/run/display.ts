/**
 * What the feature-map panel computes from a run, as pure functions of plain numbers and typed arrays
 * (no I/O, no VS Code, no DOM) so the worker, the extension, the webview and the tests share them:
 * the input patch a unit sees, where a map's units sit over the input, class-activation maps, and
 * the 8-bit scaling of channels for display.
 */

/** Receptive-field geometry of a layer per axis (height, width), as the analysis reports it. */
export interface FieldGeometry {
  /** Receptive field size r: input pixels one unit sees. */
  readonly rf: readonly [number, number];
  /** Effective stride S: input pixels between adjacent units. */
  readonly jump: readonly [number, number];
  /** Effective padding P: unit i sees input pixels [i·S − P, i·S − P + r − 1]. */
  readonly padding: readonly [number, number];
}

/** A rectangle of input pixels: rows [y0, y1) and columns [x0, x1). */
export interface PixelRect {
  readonly y0: number;
  readonly x0: number;
  readonly y1: number;
  readonly x1: number;
}

/** The input patch one unit sees, and how much of it lies outside the image (zero padding). */
export interface RfBox extends PixelRect {
  /** r along each axis: the full patch, whatever the image's borders. */
  readonly height: number;
  readonly width: number;
  /** The patch clipped to the image; null if it lies wholly outside (a unit that sees only padding). */
  readonly visible: (PixelRect & { readonly height: number; readonly width: number }) | null;
  /** True when part of the patch is outside the image, i.e. the unit sees padding zeros there. */
  readonly coversPadding: boolean;
}

/**
 * The input pixels unit (unitY, unitX) of a layer sees on an inputH×inputW image: rows
 * [y·S − P, y·S − P + r) and likewise for columns, clipped to the image in `visible`.
 */
export function receptiveFieldBox(g: FieldGeometry, unitY: number, unitX: number, inputH: number, inputW: number): RfBox {
  const y0 = unitY * g.jump[0] - g.padding[0];
  const x0 = unitX * g.jump[1] - g.padding[1];
  const y1 = y0 + g.rf[0];
  const x1 = x0 + g.rf[1];
  const vy0 = Math.max(0, y0);
  const vx0 = Math.max(0, x0);
  const vy1 = Math.min(inputH, y1);
  const vx1 = Math.min(inputW, x1);
  const visible = vy1 > vy0 && vx1 > vx0 ? { y0: vy0, x0: vx0, y1: vy1, x1: vx1, height: vy1 - vy0, width: vx1 - vx0 } : null;
  return {
    y0, x0, y1, x1, height: g.rf[0], width: g.rf[1], visible,
    coversPadding: y0 < 0 || x0 < 0 || y1 > inputH || x1 > inputW,
  };
}

/**
 * Where to draw an h×w map over the input so each unit's cell is centred on the centre of its
 * receptive field: unit i's centre is i·S − P + r/2 (pixel p covers [p, p + 1)), and cells are S wide.
 * For VGG's pool5 (r 212, S 32, P 90) this is exactly the 224×224 image split into 32×32 cells.
 */
export function mapPlacement(g: FieldGeometry, h: number, w: number): { x: number; y: number; width: number; height: number } {
  return {
    y: -g.padding[0] + g.rf[0] / 2 - g.jump[0] / 2,
    x: -g.padding[1] + g.rf[1] / 2 - g.jump[1] / 2,
    height: h * g.jump[0],
    width: w * g.jump[1],
  };
}

/**
 * How a layer's output is shown: a (C, H, W) map as C tiles of H×W; a vector [N], or a map whose
 * tiles would be single pixels (C×1×1, after gap), as one tile of ⌈√N⌉ columns scaled as a whole.
 */
export interface DisplayLayout {
  readonly vector: boolean;
  /** Tiles (channels scaled separately). */
  readonly channels: number;
  /** Size of each tile's plane; for a vector, the last row may be partly empty. */
  readonly height: number;
  readonly width: number;
  /** Values per tile: H·W for maps, N for a vector. */
  readonly plane: number;
}

/** The display layout of a layer output of `shape`. */
export function displayLayout(shape: readonly number[]): DisplayLayout {
  if (shape.length === 3 && shape[1] * shape[2] > 1) {
    return { vector: false, channels: shape[0], height: shape[1], width: shape[2], plane: shape[1] * shape[2] };
  }
  const n = shape.reduce((a, b) => a * b, 1);
  const width = Math.max(1, Math.ceil(Math.sqrt(n)));
  return { vector: true, channels: 1, height: Math.max(1, Math.ceil(n / width)), width, plane: n };
}

/** Each channel's smallest and largest finite value over `plane` values; both 0 for a channel with none. */
export function channelRanges(data: Float32Array, channels: number, plane: number): { min: Float32Array; max: Float32Array } {
  const min = new Float32Array(channels);
  const max = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    const end = (c + 1) * plane;
    for (let i = c * plane; i < end; i++) {
      const v = data[i];
      // Branch-free min/max; NaN fails both compares, ±Infinity is filtered after.
      lo = v < lo && v > -Infinity ? v : lo;
      hi = v > hi && v < Infinity ? v : hi;
    }
    min[c] = lo <= hi ? lo : 0;
    max[c] = lo <= hi ? hi : 0;
  }
  return { min, max };
}

/**
 * Scales each channel from its [min, max] to 0..255 (8 bits are all a screen shows). A constant
 * channel (a dead ReLU, say) becomes 0; NaN becomes 0; values outside the range are clamped.
 */
export function quantizeChannels(data: Float32Array, channels: number, plane: number, min: Float32Array, max: Float32Array): Uint8Array {
  const out = new Uint8Array(channels * plane);
  for (let c = 0; c < channels; c++) {
    const lo = min[c];
    const k = max[c] > lo ? 255 / (max[c] - lo) : 0;
    const end = (c + 1) * plane;
    for (let i = c * plane; i < end; i++) {
      const v = (data[i] - lo) * k + 0.5;
      // A Uint8Array store truncates and wraps, so clamp first; NaN compares false and lands on 0.
      out[i] = v >= 255 ? 255 : v > 0 ? v : 0;
    }
  }
  return out;
}

/**
 * The size a tile is sent at for display: a map no larger than `maxSide` either way stays as it is;
 * a larger one shrinks, keeping its aspect, so its larger side is `maxSide`. A vector is never shrunk.
 */
export function tileSize(layout: DisplayLayout, maxSide: number): { height: number; width: number } {
  const side = Math.max(1, Math.floor(maxSide));
  const big = Math.max(layout.height, layout.width);
  if (layout.vector || big <= side) return { height: layout.height, width: layout.width };
  const k = side / big;
  return { height: Math.max(1, Math.round(layout.height * k)), width: Math.max(1, Math.round(layout.width * k)) };
}

/**
 * Shrinks each h×w channel to th×tw by averaging the block of units each display pixel covers
 * (rows [⌊r·h/th⌋, ⌊(r+1)·h/th⌋), likewise columns), then scales it from the channel's [min, max] to
 * 0..255 as quantizeChannels does. A VGG16 run holds 114 MB of floats; the panel shows a tile at
 * the size of its pixels on screen, so only what can be seen travels to the webview.
 */
export function quantizeResized(
  data: Float32Array, channels: number, h: number, w: number, th: number, tw: number, min: Float32Array, max: Float32Array,
): Uint8Array {
  if (th === h && tw === w) return quantizeChannels(data, channels, h * w, min, max);
  if (th > h || tw > w || th < 1 || tw < 1) throw new Error(`quantizeResized: cannot shrink ${h}×${w} to ${th}×${tw}`);
  const out = new Uint8Array(channels * th * tw);
  // Each display row first sums its block of source rows into `acc` (long contiguous loops), then
  // each display pixel sums its few columns of `acc`: about one addition per source value.
  const acc = new Float64Array(w);
  const x0 = new Int32Array(tw + 1);
  for (let c = 0; c <= tw; c++) x0[c] = Math.floor((c * w) / tw);
  for (let ch = 0; ch < channels; ch++) {
    const lo = min[ch];
    const k = max[ch] > lo ? 255 / (max[ch] - lo) : 0;
    const src = ch * h * w;
    const dst = ch * th * tw;
    for (let r = 0; r < th; r++) {
      const y0 = Math.floor((r * h) / th);
      const y1 = Math.floor(((r + 1) * h) / th);
      let row = src + y0 * w;
      for (let x = 0; x < w; x++) acc[x] = data[row + x];
      for (let y = y0 + 1; y < y1; y++) {
        row += w;
        for (let x = 0; x < w; x++) acc[x] += data[row + x];
      }
      const rows = y1 - y0;
      for (let c = 0; c < tw; c++) {
        const a = x0[c];
        const b = x0[c + 1];
        let s = 0;
        for (let x = a; x < b; x++) s += acc[x];
        const v = (s / (rows * (b - a)) - lo) * k + 0.5;
        out[dst + r * tw + c] = v >= 255 ? 255 : v > 0 ? v : 0;
      }
    }
  }
  return out;
}

/** How a tile is had from the tile of the same channel of another layer (shareTiles). */
export const TileSource = {
  /** Its own bytes, which follow in the shared message's pixels. */
  Own: 0,
  /** The other layer's tile as it is. */
  Same: 1,
  /** The other layer's tile inverted (255 − v). */
  Inverted: 2,
} as const;

/**
 * The tiles of a layer that are byte for byte those of the layer it reads (its input, at the same tile
 * size), or those inverted: a batch norm's tiles are its convolution's, since each tile is scaled from
 * its own channel's [min, max] and a per-channel affine map (inverted where its scale is negative) keeps
 * that scaling; so are an identity's. `codes` says per channel where its tile comes from (TileSource)
 * and `pixels` holds only the Own tiles, in order. Undefined when no tile can be shared. Exact: a tile
 * is shared only when every byte matches, so what is drawn is what the layer's own pixels would draw.
 */
export function shareTiles(source: Uint8Array, own: Uint8Array, channels: number): { codes: Uint8Array; pixels: Uint8Array } | undefined {
  if (source.length !== own.length || channels < 1 || own.length % channels !== 0) return undefined;
  const plane = own.length / channels;
  const codes = new Uint8Array(channels);
  let shared = 0;
  for (let c = 0; c < channels; c++) {
    const off = c * plane;
    let same = true;
    let inverted = true;
    for (let i = off; i < off + plane && (same || inverted); i++) {
      same &&= own[i] === source[i];
      inverted &&= own[i] === 255 - source[i];
    }
    codes[c] = same ? TileSource.Same : inverted ? TileSource.Inverted : TileSource.Own;
    if (codes[c] !== TileSource.Own) shared++;
  }
  if (shared === 0) return undefined;
  const pixels = new Uint8Array((channels - shared) * plane);
  let at = 0;
  for (let c = 0; c < channels; c++) {
    if (codes[c] !== TileSource.Own) continue;
    pixels.set(own.subarray(c * plane, (c + 1) * plane), at);
    at += plane;
  }
  return { codes, pixels };
}

/** A layer's whole tiles again from `source` (the tiles it shares with) and shareTiles' codes and own pixels. */
export function unshareTiles(source: Uint8Array, codes: Uint8Array, pixels: Uint8Array): Uint8Array {
  const channels = codes.length;
  if (channels < 1 || source.length % channels !== 0) throw new Error(`unshareTiles: ${source.length} bytes do not hold ${channels} tiles`);
  const plane = source.length / channels;
  const own = codes.reduce((n, c) => n + (c === TileSource.Own ? 1 : 0), 0);
  if (pixels.length !== own * plane) throw new Error(`unshareTiles: ${own} own tiles of ${plane} bytes, but ${pixels.length} bytes came`);
  const out = new Uint8Array(source.length);
  let at = 0;
  for (let c = 0; c < channels; c++) {
    const off = c * plane;
    if (codes[c] === TileSource.Same) out.set(source.subarray(off, off + plane), off);
    else if (codes[c] === TileSource.Inverted) for (let i = off; i < off + plane; i++) out[i] = 255 - source[i];
    else if (codes[c] === TileSource.Own) {
      out.set(pixels.subarray(at, at + plane), off);
      at += plane;
    } else throw new Error(`unshareTiles: channel ${c} has the unknown source ${codes[c]}`);
  }
  return out;
}

/**
 * The words for the kernels a run uses, as the panel's header, the progress notification and
 * `cnnlab run` say them: the WebAssembly SIMD kernels in their FMA (relaxed SIMD) or plain build, or
 * the TypeScript ones.
 */
export function kernelsText(backend: 'simd' | 'typescript', build?: 'fma' | 'plain'): string {
  if (backend === 'typescript') return 'TypeScript kernels';
  return build ? `WebAssembly SIMD kernels, ${build === 'fma' ? 'FMA' : 'plain'} build` : 'WebAssembly SIMD kernels';
}

/** The sum of a (C, H, W) map's channels, an H×W map: the lecture's "where the layer responds". */
export function sumChannels(data: Float32Array, channels: number, plane: number): Float32Array {
  const out = new Float32Array(plane);
  for (let c = 0; c < channels; c++) {
    const off = c * plane;
    for (let i = 0; i < plane; i++) out[i] += data[off + i];
  }
  return out;
}

/** Indices of the gap and fc layers when a network ends in global average pooling followed by one fc. */
export interface CamLayers {
  /** The layer whose output the gap averages (the maps A_c of the CAM). */
  readonly feature: number;
  readonly gap: number;
  readonly fc: number;
}

/**
 * Finds the gap + fc ending a class-activation map needs: the last gap, then only flatten or dropout,
 * exactly one fc, and after it only softmax, sigmoid or dropout (monotone, so the top class is the
 * fc's). Anything else between (a hidden fc with a ReLU) makes the score non-linear in the maps and
 * the CAM undefined, so the result is undefined. With a graph's `inputs`, the maps are what the gap
 * reads and every layer after it must read only its predecessor.
 */
export function findCamLayers(kinds: readonly string[], inputs?: readonly (readonly number[])[]): CamLayers | undefined {
  const gap = kinds.lastIndexOf('gap');
  if (gap < 1) return undefined;
  if (inputs) {
    for (let i = gap + 1; i < kinds.length; i++) if (inputs[i].length !== 1 || inputs[i][0] !== i - 1) return undefined;
    const feature = inputs[gap][0];
    const found = findCamLayers(kinds);
    return found && feature >= 0 ? { ...found, feature } : undefined;
  }
  let fc = -1;
  for (let i = gap + 1; i < kinds.length; i++) {
    const k = kinds[i];
    if (k === 'fc') {
      if (fc >= 0) return undefined;
      fc = i;
    } else if (k === 'dropout' || (fc < 0 && k === 'flatten') || (fc >= 0 && (k === 'softmax' || k === 'sigmoid'))) {
      continue;
    } else {
      return undefined;
    }
  }
  return fc < 0 ? undefined : { feature: gap - 1, gap, fc };
}

/**
 * CAM_k = Σ_c w[k, c] · A_c for class k: `features` A is (C, H, W) with `plane` = H·W, `weight` is the
 * fc weight (K, C) as nn.Linear stores it. The bias is left out (it shifts every position equally).
 */
export function classActivationMap(features: Float32Array, channels: number, plane: number, weight: Float32Array, k: number): Float32Array {
  if (features.length !== channels * plane) {
    throw new Error(`classActivationMap: features have ${features.length} values, not ${channels}×${plane}`);
  }
  if (weight.length % channels !== 0 || k < 0 || (k + 1) * channels > weight.length) {
    throw new Error(`classActivationMap: an fc weight of ${weight.length} values has no row ${k} of ${channels}`);
  }
  const out = new Float32Array(plane);
  const row = k * channels;
  for (let c = 0; c < channels; c++) {
    const w = weight[row + c];
    if (w === 0) continue;
    const off = c * plane;
    for (let i = 0; i < plane; i++) out[i] += w * features[off + i];
  }
  return out;
}

/** How input values map back to 0..1 for display. */
export type InputScaling =
  /** Values are already in [0, 1] (an image). */
  | { readonly kind: 'unit' }
  /** Values are (x − mean) / std of an image in [0, 1]: undo it per channel. */
  | { readonly kind: 'normalised'; readonly mean: readonly number[]; readonly std: readonly number[] }
  /** Arbitrary values (a .npy input): stretch the whole tensor's range to 0..1. */
  | { readonly kind: 'range' };

/**
 * An RGBA picture of a (C, H, W) input: RGB for C = 3, grey for C = 1, the channel mean otherwise.
 * With `range` scaling the tensor's own minimum and maximum map to black and white.
 */
export function inputToRgba(data: Float32Array, shape: readonly number[], scaling: InputScaling): { width: number; height: number; rgba: Uint8ClampedArray } {
  const [c, h, w] = shape.length === 3 ? shape : [1, 1, shape[0] ?? 0];
  const plane = h * w;
  const rgba = new Uint8ClampedArray(plane * 4);
  let lo = 0;
  let scale = 1;
  if (scaling.kind === 'range') {
    const { min, max } = channelRanges(data, 1, data.length);
    lo = min[0];
    scale = max[0] > min[0] ? 1 / (max[0] - min[0]) : 0;
  }
  const value = (ch: number, p: number): number => {
    const v = data[ch * plane + p];
    if (scaling.kind === 'normalised') {
      const m = scaling.mean[scaling.mean.length === 1 ? 0 : ch] ?? 0;
      const s = scaling.std[scaling.std.length === 1 ? 0 : ch] ?? 1;
      return v * s + m;
    }
    return scaling.kind === 'range' ? (v - lo) * scale : v;
  };
  for (let p = 0; p < plane; p++) {
    let r: number, g: number, b: number;
    if (c === 3) {
      r = value(0, p); g = value(1, p); b = value(2, p);
    } else {
      let s = 0;
      for (let ch = 0; ch < c; ch++) s += value(ch, p);
      r = g = b = c ? s / c : 0;
    }
    // Uint8ClampedArray rounds and clamps on store.
    rgba[p * 4] = r * 255;
    rgba[p * 4 + 1] = g * 255;
    rgba[p * 4 + 2] = b * 255;
    rgba[p * 4 + 3] = 255;
  }
  return { width: w, height: h, rgba };
}

/** The k largest finite values of `data` with their indices, largest first (one pass, no full sort). */
export function topValues(data: Float32Array, k: number): { index: number; value: number }[] {
  const top: { index: number; value: number }[] = [];
  if (k <= 0) return top;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v > -Infinity && v < Infinity)) continue;
    if (top.length === k && v <= top[k - 1].value) continue;
    let j = top.length < k ? top.length : k - 1;
    if (top.length < k) top.push({ index: i, value: v });
    // Insertion keeps the list sorted; ties keep the lower index first.
    while (j > 0 && top[j - 1].value < v) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = { index: i, value: v };
  }
  return top;
}
