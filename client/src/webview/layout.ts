/**
 * The feature-map page's layout as arithmetic, with no DOM: where a layer's tiles go, how tall a layer
 * is before its pixels arrive, which layers open by default, and how a unit moves under the keyboard.
 * The page reserves each layer's height from these figures, so the page does not grow while a run
 * streams in and a jump lands where it says. Pure, so unit tests check it.
 */
import { tileSize, type DisplayLayout } from '../../../server/src/run/display.js';

/** CSS pixels between tiles, as near as whole pixels of the tiles allow. */
export const GAP = 4;
/** A canvas taller than this (in pixels) is split: browsers refuse very tall canvases. */
export const MAX_CANVAS_HEIGHT = 8192;
/** CSS pixels between the canvases of one layer when it is split. */
export const CANVAS_GAP = 4;

/**
 * Where a layer's tiles sit. A layer's canvas holds its tiles at the size they arrived (tw×th pixels,
 * gapPx apart) and CSS scales it by `scale`, so a 14×14 map costs 196 pixels however large its tile
 * is shown, and the browser's pixelated scaling keeps each unit a crisp square.
 */
export interface Geometry {
  readonly cols: number;
  readonly rows: number;
  /** A tile's size and the gap between tiles in CSS pixels. */
  readonly tileW: number;
  readonly tileH: number;
  readonly gap: number;
  /** The gap in the canvas's pixels. */
  readonly gapPx: number;
  /** CSS pixels per canvas pixel. */
  readonly scale: number;
  /** Rows per canvas (a layer is drawn on one canvas, or several stacked when it would be too tall). */
  readonly rowsPerCanvas: number;
}

/** The geometry of a layer whose tiles are tw×th pixels, shown `tile` CSS pixels wide in `available` CSS pixels. */
export function geometry(layout: DisplayLayout, tw: number, th: number, available: number, tile: number): Geometry {
  const avail = Math.max(40, available);
  const tileW = layout.vector ? Math.min(avail, tile * 3) : tile;
  const scale = tileW / tw;
  const gapPx = Math.max(1, Math.round(GAP / scale));
  const gap = gapPx * scale;
  const cols = layout.vector ? 1 : Math.max(1, Math.min(layout.channels, Math.floor((avail + gap) / (tileW + gap))));
  const rows = Math.ceil(layout.channels / cols);
  const rowsPerCanvas = Math.max(1, Math.floor((MAX_CANVAS_HEIGHT + gapPx) / (th + gapPx)));
  return { cols, rows, tileW, tileH: th * scale, gap, gapPx, scale, rowsPerCanvas };
}

/**
 * The height in CSS pixels a layer's maps take once drawn: its rows of tiles and the gaps, plus the
 * gaps between canvases when it is split. Known before its pixels arrive, from the tile size the
 * page will ask for (`side` device pixels) and the width available.
 */
export function mapsHeight(layout: DisplayLayout, side: number, available: number, tile: number): number {
  const t = tileSize(layout, side);
  const g = geometry(layout, t.width, t.height, available, tile);
  const canvases = Math.ceil(g.rows / g.rowsPerCanvas);
  return g.rows * g.tileH + (g.rows - canvases) * g.gap + (canvases - 1) * CANVAS_GAP;
}

/** What decides which layers open when a run is first shown. */
export interface OpenPolicy {
  /** The viewport's height in CSS pixels. */
  readonly viewport: number;
  /** A network whose maps fit in this many screens opens whole. */
  readonly wholeScreens: number;
  /** Otherwise the layers that fit in the first this many screens open (the first layer always). */
  readonly firstScreens: number;
  /** The height of a layer's heading, CSS pixels. */
  readonly head: number;
}

/** Opens small networks whole; a large one (VGG16: over 100 screens) only its first two screens. */
export const DEFAULT_OPEN_POLICY: Omit<OpenPolicy, 'viewport'> = { wholeScreens: 6, firstScreens: 2, head: 28 };

/**
 * The layers that open by default, given each layer's height when open (mapsHeight): all of them
 * when the page fits in `wholeScreens` screens, else those that start within the first `firstScreens`.
 */
export function initialOpen(heights: readonly number[], p: OpenPolicy): number[] {
  const total = heights.reduce((s, h) => s + h + p.head, 0);
  if (total <= p.wholeScreens * p.viewport) return heights.map((_, i) => i);
  const open: number[] = [];
  let y = 0;
  for (let i = 0; i < heights.length; i++) {
    if (i > 0 && y >= p.firstScreens * p.viewport) break;
    open.push(i);
    y += heights[i] + p.head;
  }
  return open;
}

/** A unit of a layer: its channel and position (row, column; a vector's units are column = index, row 0). */
export interface Unit {
  readonly channel: number;
  readonly y: number;
  readonly x: number;
}

/**
 * The unit the keyboard moves to from `u`: arrows move within the map, PageUp/PageDown to the previous
 * or next channel, Home to the first channel; undefined for other keys. A vector is shown as a grid
 * (layout.height × layout.width, its last row partly empty): a move past its last unit stays put.
 */
export function moveUnit(u: Unit, key: string, layout: DisplayLayout): Unit | undefined {
  const clamp = (v: number, n: number) => Math.max(0, Math.min(n - 1, v));
  const { width, height } = layout;
  const next = step(u, key, width, height, layout.channels, clamp);
  return next && next.y * width + next.x < layout.plane ? next : next && u;
}

function step(u: Unit, key: string, width: number, height: number, channels: number, clamp: (v: number, n: number) => number): Unit | undefined {
  switch (key) {
    case 'ArrowLeft': return { ...u, x: clamp(u.x - 1, width) };
    case 'ArrowRight': return { ...u, x: clamp(u.x + 1, width) };
    case 'ArrowUp': return { ...u, y: clamp(u.y - 1, height) };
    case 'ArrowDown': return { ...u, y: clamp(u.y + 1, height) };
    case 'PageUp': return { ...u, channel: clamp(u.channel - 1, channels) };
    case 'PageDown': return { ...u, channel: clamp(u.channel + 1, channels) };
    case 'Home': return { ...u, channel: 0 };
    default: return undefined;
  }
}

/** The unit a layer's keyboard selection starts at: the centre of its first channel. */
export function startUnit(layout: DisplayLayout): Unit {
  return layout.vector ? { channel: 0, y: 0, x: 0 } : { channel: 0, y: Math.floor(layout.height / 2), x: Math.floor(layout.width / 2) };
}
