/**
 * The feature-map webview's script (bundled to dist/webview.js). It draws what the extension sends and
 * nothing else: the input as the network saw it, a diagram and the summary table, and per layer a
 * collapsible grid of its channels. Each open layer asks for its 8-bit pixels at the size its tiles
 * have on screen and is drawn onto one canvas when they arrive, so all of VGG16's ten thousand maps
 * are on the page within a second of the run. Clicking a unit draws its receptive field on the input
 * and asks for its exact value; the overlay shows a layer's summed channels or a class-activation map,
 * placed by the receptive-field geometry.
 *
 * Stable hooks for tests: #input-canvas, #overlay-canvas[data-overlay], #rf-box[data-*],
 * details.layer[data-layer], .maps[data-layer][data-state], canvas.layer-canvas[data-layer]
 * [data-first-channel][data-channels][data-cols][data-tile-width][data-tile-height][data-gap],
 * #layers[data-all-drawn][data-all-drawn-at][data-draw-queued], #unit-marker, #rf-info[data-value].
 */
import './featureMaps.css';
import { fmtInt, fmtSi } from '../../../server/src/language/format.js';
import { kernelsText, mapPlacement, receptiveFieldBox, tileSize, unshareTiles, type DisplayLayout } from '../../../server/src/run/display.js';
import { parseViewState, weightsText, type FromView, type LayerView, type RunView, type ToView, type ViewState } from '../run/messages.js';
import { colormapLut, type ColormapName } from './colormap.js';
import { diagramSvg } from './diagram.js';
import { isChain, readNames } from './graphLayout.js';
import { DEFAULT_OPEN_POLICY, geometry as layoutGeometry, initialOpen, mapsHeight, moveUnit, startUnit, type Geometry } from './layout.js';

interface VsCodeApi {
  postMessage(m: FromView): void;
  getState(): unknown;
  setState(s: ViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
// The saved state is checked like anything else from outside: a field of the wrong type is dropped.
let state: ViewState = parseViewState(vscode.getState());
let run: RunView | undefined;

/** Pixels of the layers received for the current run: channels tiles of tileH×tileW bytes. */
const pixels = new Map<number, { layout: DisplayLayout; tileH: number; tileW: number; pixels: Uint8Array }>();
/** Channel sums received for the current run, for the overlay. */
const heatmaps = new Map<number, { height: number; width: number; values: Float32Array }>();
/** When each layer's pixels were asked for (to report how long drawing took). */
const requestedAt = new Map<number, number>();
const reported = new Set<number>();

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

function setState(patch: Partial<ViewState>): void {
  state = { ...state, ...patch };
  vscode.setState(state);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<string, string>> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

const fmtShape = (s: readonly number[]): string => s.map(fmtInt).join('×');
const fmtMs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

// ---- drawing maps ------------------------------------------------------------------------------

/** The tile size chosen with the slider, in CSS pixels. */
const tileCss = (): number => state.tile ?? 72;

/** Pixel size the extension is asked to send tiles at: the tiles' size on screen in device pixels. */
const wantedSide = (): number => Math.ceil(tileCss() * Math.max(1, devicePixelRatio || 1));

/** A layer's tile geometry in `available` CSS pixels at the slider's tile size. */
const geometry = (layout: DisplayLayout, tw: number, th: number, available: number): Geometry => layoutGeometry(layout, tw, th, available, tileCss());

/** The CSS pixels a layer's tiles have across: the list's width less a layer's indent. */
function mapsWidth(): number {
  const grid = document.querySelector<HTMLElement>('.maps');
  if (!grid) return Math.max(40, $('layers').clientWidth - 16);
  const style = getComputedStyle(grid);
  return grid.clientWidth - (parseFloat(style.paddingLeft) || 0) - (parseFloat(style.paddingRight) || 0);
}

/**
 * Gives every layer not drawn yet the height its maps will take (the page's layout does not move when
 * they arrive, and a jump lands on its layer): a CSS variable that the stylesheet uses as the loading
 * layer's minimum height and an off-screen layer's intrinsic size.
 */
function reserveHeights(): void {
  if (!run) return;
  const width = mapsWidth();
  const side = wantedSide();
  for (const l of run.layers) {
    const grid = document.querySelector<HTMLElement>(`.maps[data-layer="${l.index}"]`);
    if (!grid || grid.dataset.state === 'drawn') continue;
    grid.style.setProperty('--grid-height', `${Math.ceil(mapsHeight(l.layout, side, width, tileCss()))}px`);
  }
}

/** The channel and unit under a point of a layer canvas (CSS pixels from its top left), if on a tile. */
function hit(canvas: HTMLCanvasElement, layout: DisplayLayout, x: number, y: number): { channel: number; y: number; x: number; flat: number } | undefined {
  const d = canvas.dataset;
  const cols = Number(d.cols), tileW = Number(d.tileWidth), tileH = Number(d.tileHeight), gap = Number(d.gap);
  const col = Math.floor(x / (tileW + gap));
  const row = Math.floor(y / (tileH + gap));
  const fx = (x - col * (tileW + gap)) / tileW;
  const fy = (y - row * (tileH + gap)) / tileH;
  if (col < 0 || col >= cols || row < 0 || fx < 0 || fx >= 1 || fy < 0 || fy >= 1) return undefined;
  const channel = Number(d.firstChannel) + row * cols + col;
  if (channel >= Number(d.firstChannel) + Number(d.channels)) return undefined;
  const ux = Math.min(layout.width - 1, Math.floor(fx * layout.width));
  const uy = Math.min(layout.height - 1, Math.floor(fy * layout.height));
  const flat = uy * layout.width + ux;
  if (flat >= layout.plane) return undefined;
  return { channel, y: uy, x: ux, flat };
}

/** One picture reused for every layer's pixels, grown as needed: a new one per layer is garbage by the megabyte. */
let scratch: ImageData | undefined;

/** The scratch picture, at least w×h. */
function scratchImage(ctx: CanvasRenderingContext2D, w: number, h: number): ImageData {
  if (!scratch || scratch.width < w || scratch.height < h) {
    scratch = ctx.createImageData(Math.max(w, scratch?.width ?? 0), Math.max(h, scratch?.height ?? 0));
  }
  return scratch;
}

/** Total milliseconds spent drawing layers for the current run (reported in #layers[data-draw-ms]). */
let drawMs = 0;

/**
 * Draws all of layer `index`'s tiles: one canvas per layer (a few when it is very tall) holding every
 * channel at the size it arrived, put through the colour map in one pass. A canvas per channel would
 * make VGG16 ten thousand canvases, which a browser draws and scrolls slowly; drawing at the tiles'
 * on-screen size would make its 512-channel 14×14 layers millions of pixels each.
 */
function drawLayer(index: number): boolean {
  const p = pixels.get(index);
  const grid = document.querySelector<HTMLElement>(`.maps[data-layer="${index}"]`);
  const details = grid?.parentElement as HTMLDetailsElement | null;
  if (!p || !grid || !details?.open) return false;
  const started = performance.now();
  const { layout, tileH: th, tileW: tw } = p;
  const style = getComputedStyle(grid);
  const g = geometry(layout, tw, th, grid.clientWidth - (parseFloat(style.paddingLeft) || 0) - (parseFloat(style.paddingRight) || 0));
  const lut = colormapLut(state.colormap === 'viridis' ? 'viridis' : 'grey');
  const src = p.pixels;
  const plane = th * tw;
  // A vector's last row may be partly empty: its cells stay transparent.
  const filled = layout.vector ? layout.plane : plane;
  const canvases: HTMLCanvasElement[] = [];
  for (let first = 0; first < layout.channels; first += g.rowsPerCanvas * g.cols) {
    const count = Math.min(layout.channels - first, g.rowsPerCanvas * g.cols);
    const rows = Math.ceil(count / g.cols);
    const cols = Math.min(g.cols, count);
    const W = cols * tw + (cols - 1) * g.gapPx;
    const H = rows * th + (rows - 1) * g.gapPx;
    const canvas = el('canvas', {
      class: layout.vector ? 'layer-canvas vector-canvas' : 'layer-canvas',
      'data-layer': String(index), 'data-first-channel': String(first), 'data-channels': String(count),
      'data-cols': String(cols), 'data-tile-width': String(g.tileW), 'data-tile-height': String(g.tileH), 'data-gap': String(g.gap),
      'data-drawn': 'true', tabindex: '0', role: 'img',
      'aria-label': `layer ${index}, channels ${first} to ${first + count - 1}: Enter selects a unit, arrows move it, Page Up/Down change channel`,
    });
    canvas.width = W;
    canvas.height = H;
    canvas.style.width = `${W * g.scale}px`;
    canvas.style.height = `${H * g.scale}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return false;
    const img = scratchImage(ctx, W, H);
    const stride = img.width;
    const out = new Uint32Array(img.data.buffer);
    // The scratch picture holds an older layer's pixels: clear the rectangle used, gaps included.
    for (let y = 0; y < H; y++) out.fill(0, y * stride, y * stride + W);
    for (let k = 0; k < count; k++) {
      const off = (first + k) * plane;
      const x0 = (k % cols) * (tw + g.gapPx);
      const y0 = Math.floor(k / cols) * (th + g.gapPx);
      for (let y = 0; y < th; y++) {
        const drow = (y0 + y) * stride + x0;
        const end = Math.min(tw, filled - y * tw);
        for (let x = 0; x < end; x++) out[drow + x] = lut[src[off + y * tw + x]];
      }
    }
    ctx.putImageData(img, 0, 0, 0, 0, W, H);
    canvases.push(canvas);
  }
  grid.style.setProperty('--grid-height', `${g.rows * (g.tileH + g.gap)}px`);
  grid.replaceChildren(...canvases);
  grid.dataset.state = 'drawn';
  // The selected unit keeps its outline when its layer is drawn again (new colours, a new width).
  if (selected?.layer === index) {
    const at = canvases.find((c) => selected && selected.channel >= Number(c.dataset.firstChannel) && selected.channel < Number(c.dataset.firstChannel) + Number(c.dataset.channels));
    if (at) placeMarker(at, layout, selected);
  }
  drawMs += performance.now() - started;
  $('layers').dataset.drawMs = drawMs.toFixed(0);
  return true;
}

/** Layers whose pixels arrived (or whose geometry changed) and wait for the next frame to be drawn. */
const dirty = new Set<number>();
let drawQueued = false;

/**
 * Layers arriving within this many milliseconds are drawn together: while a run streams VGG16's 39
 * layers in, one frame per layer would keep the browser repainting the whole workbench.
 */
const DRAW_BATCH_MS = 150;

/** When the last batch was drawn (performance.now()). */
let lastBatchAt = -Infinity;

/**
 * Draws the dirty layers soon: at the next frame when no batch was drawn in the last DRAW_BATCH_MS
 * (the first layer of a run is not kept waiting), else at a frame DRAW_BATCH_MS after the last batch.
 * Cheap to call often.
 */
function scheduleDraw(index?: number): void {
  if (index !== undefined) dirty.add(index);
  if (drawQueued) return;
  drawQueued = true;
  $('layers').dataset.drawQueued = 'true';
  setTimeout(() => requestAnimationFrame(() => {
    lastBatchAt = performance.now();
    drawQueued = false;
    $('layers').dataset.drawQueued = 'false';
    const todo = [...dirty];
    dirty.clear();
    for (const i of todo) {
      if (!drawLayer(i) || !run) continue;
      if (!reported.has(i)) {
        reported.add(i);
        const tiles = run.layers[i]?.layout.channels ?? 0;
        vscode.postMessage({ type: 'rendered', runId: run.runId, index: i, tiles, ms: performance.now() - (requestedAt.get(i) ?? performance.now()) });
      }
    }
    markAllDrawn();
    alignJump();
  }), Math.max(0, DRAW_BATCH_MS - (performance.now() - lastBatchAt)));
}

/**
 * Marks #layers with data-view-drawn once every expanded layer near the view is drawn (those waiting
 * for a scroll aside), with the time (Date.now()) in data-view-drawn-at; data-all-drawn and
 * data-all-drawn-at likewise once every expanded layer is; data-first-drawn-at when the first layer is
 * drawn: what the end-to-end benchmark waits for.
 */
function markAllDrawn(): void {
  const list = $('layers');
  const open = Array.from(document.querySelectorAll<HTMLDetailsElement>('details.layer')).filter((d) => d.open);
  const isDrawn = (d: HTMLDetailsElement): boolean => d.querySelector('.maps')?.getAttribute('data-state') === 'drawn';
  const drawn = open.filter(isDrawn);
  if (drawn.length && !list.dataset.firstDrawnAt) list.dataset.firstDrawnAt = String(Date.now());
  const mark = (flag: 'allDrawn' | 'viewDrawn', done: boolean): void => {
    if (done && list.dataset[flag] !== 'true') list.dataset[`${flag}At`] = String(Date.now());
    list.dataset[flag] = String(done);
  };
  mark('allDrawn', open.length > 0 && drawn.length === open.length);
  mark('viewDrawn', open.length > 0 && open.every((d) => isDrawn(d) || waiting.get(Number(d.dataset.layer)) === 'away'));
}

/** Asks for layer `index`'s pixels at the size its tiles have on screen (once per run and size). */
function requestLayer(index: number): void {
  if (!run) return;
  const layer = run.layers[index];
  if (!layer) return;
  const side = wantedSide();
  // Pixels sent whole, or at least as large as wanted, are good for any smaller tile.
  if (hasPixels(index, side)) return;
  if (requestedAt.has(index) && (requestedSide.get(index) ?? 0) >= side) return;
  requestedAt.set(index, performance.now());
  requestedSide.set(index, side);
  vscode.postMessage({ type: 'requestLayer', runId: run.runId, index, maxSide: side });
}

/** The side each layer's pixels were last asked for at. */
const requestedSide = new Map<number, number>();

/**
 * How far beyond the view (in view heights, above and below) an open layer's maps are asked for and
 * drawn. After "Expand all" ResNet-50's 175 layers hold 91,011 maps, dozens of screens: only those
 * near the view travel and are drawn, the others when a scroll or a jump brings them near.
 */
const NEAR_VIEWS = 1;

/**
 * Open layers whose maps wait to be asked for and drawn: 'unknown' until the observer has said where
 * they are (at its next frame), 'away' while they are farther than NEAR_VIEWS view heights from the view.
 */
const waiting = new Map<number, 'unknown' | 'away'>();

/** Watches the open layers' maps coming near the view, and loads those waiting. */
const nearObserver = new IntersectionObserver((entries) => {
  for (const e of entries) {
    const index = Number((e.target as HTMLElement).dataset.layer);
    if (!waiting.has(index)) continue;
    if (e.isIntersecting) {
      waiting.delete(index);
      loadLayer(index);
    } else {
      waiting.set(index, 'away');
    }
  }
  markAllDrawn();
  prefetchNext();
}, { rootMargin: `${NEAR_VIEWS * 100}% 0px` });

/**
 * Open layers whose pixels at the tiles' size make at most this many bytes in all are asked for at
 * once, wherever they are (about 0.3 s through code-server's connection, measured at ~7 MB/s): a
 * small network's page fills without scrolling.
 */
const EAGER_BYTES = 2_000_000;

/** The bytes of the open layers' pixels at the size their tiles are asked for. */
function openBytes(): number {
  if (!run) return 0;
  const side = wantedSide();
  let bytes = 0;
  for (const d of Array.from(document.querySelectorAll<HTMLDetailsElement>('details.layer'))) {
    const l = d.open ? run.layers[Number(d.dataset.layer)] : undefined;
    if (!l) continue;
    const t = tileSize(l.layout, side);
    bytes += l.layout.vector ? l.layout.plane : l.layout.channels * t.height * t.width;
  }
  return bytes;
}

/**
 * Opens a layer: its maps are drawn (their pixels asked for when not here) once the observer says
 * they are near the view, at once if they are or if the open layers are small (`eager`: callers that
 * open many layers measure the open layers once). Observing afresh makes it say so even for maps it
 * already watched (a redraw after a change of tile size).
 */
function openLayer(index: number, eager = openBytes() <= EAGER_BYTES): void {
  const grid = document.querySelector<HTMLElement>(`.maps[data-layer="${index}"]`);
  if (!grid || !run) return;
  if (eager) {
    waiting.delete(index);
    loadLayer(index);
    return;
  }
  waiting.set(index, 'unknown');
  if (grid.dataset.state !== 'drawn') grid.dataset.state = 'waiting';
  nearObserver.unobserve(grid);
  nearObserver.observe(grid);
}

/** Draws an open layer near the view if its pixels are here, and asks for them at the tile's size. */
function loadLayer(index: number): void {
  const grid = document.querySelector<HTMLElement>(`.maps[data-layer="${index}"]`);
  if (!grid || !run) return;
  if (pixels.has(index)) scheduleDraw(index);
  else {
    grid.dataset.state = 'loading';
    // A layer that comes near the view after it was marked drawn (a scroll, or drawn layers above
    // growing) makes the mark untrue until it is drawn too: markAllDrawn sets it again then.
    const list = $('layers');
    list.dataset.viewDrawn = list.dataset.allDrawn = 'false';
  }
  requestLayer(index);
}

/** The open layer away from the view whose pixels are being fetched ahead of a scroll, if any. */
let prefetching: number | undefined;

/**
 * Once the run has finished, fetches the pixels of the open layers away from the view one at a time,
 * those below the view first, without drawing them: a scroll or a jump then draws them with no wait
 * for the extension. One request at most is in flight, so what comes near the view waits for one
 * layer's pixels at most.
 */
function prefetchNext(): void {
  if (!run || run.runMs === undefined || prefetching !== undefined) return;
  const side = wantedSide();
  const away = [...waiting].filter(([i, where]) => where === 'away' && !hasPixels(i, side)).map(([i]) => i).sort((a, b) => a - b);
  // data-prefetched: every open layer's pixels are here (what the benchmark waits for).
  $('layers').dataset.prefetched = String(!away.length);
  if (!away.length) return;
  // The last open layer near the view: those after it come first, then those before it, nearest first.
  const near = Array.from(document.querySelectorAll<HTMLDetailsElement>('details.layer[open]'), (d) => Number(d.dataset.layer)).filter((i) => !waiting.has(i));
  const below = Math.max(-1, ...near);
  prefetching = away.find((i) => i > below) ?? away[away.length - 1];
  requestLayer(prefetching);
}

/** True when layer `index`'s pixels are here, whole or at least as large as tiles of `side` want. */
function hasPixels(index: number, side: number): boolean {
  const have = pixels.get(index);
  const layer = run?.layers[index];
  return !!have && !!layer && (have.tileH === layer.layout.height && have.tileW === layer.layout.width || Math.max(have.tileH, have.tileW) >= side);
}

/** Closes a layer: its canvases go (the pixels stay, so reopening it is instant). */
function closeLayer(index: number): void {
  const grid = document.querySelector<HTMLElement>(`.maps[data-layer="${index}"]`);
  if (!grid) return;
  waiting.delete(index);
  nearObserver.unobserve(grid);
  grid.replaceChildren();
  grid.dataset.state = pixels.has(index) ? 'ready' : 'empty';
  markAllDrawn();
}

/** Redraws every open layer (after a change of colour map, tile size or width); those away from the view when they come near. */
function redrawAll(): void {
  const eager = openBytes() <= EAGER_BYTES;
  for (const d of Array.from(document.querySelectorAll<HTMLDetailsElement>('details.layer'))) {
    if (d.open) openLayer(Number(d.dataset.layer), eager); // larger tiles may want larger pixels
  }
}

// ---- the input, the receptive field and the overlay --------------------------------------------

function drawInput(r: RunView): void {
  const canvas = $<HTMLCanvasElement>('input-canvas');
  canvas.width = r.input.width;
  canvas.height = r.input.height;
  const ctx = canvas.getContext('2d');
  if (ctx) ctx.putImageData(new ImageData(new Uint8ClampedArray(r.input.rgba), r.input.width, r.input.height), 0, 0);
  const overlay = $<HTMLCanvasElement>('overlay-canvas');
  overlay.width = r.input.width;
  overlay.height = r.input.height;
  const view = $('input-view');
  view.dataset.width = String(r.input.width);
  view.dataset.height = String(r.input.height);
}

// ---- the input kept in view, and the legends ------------------------------------------------------

/** True while the input's own place in the page is mostly scrolled out of view. */
let inputOutOfView = false;

/**
 * Floats the input (with its receptive-field box and overlay) in a corner of the view while its place
 * is scrolled away and a unit is selected or an overlay shown: in a narrow panel the input sits above
 * the maps, and a unit deep in the network is thousands of pixels below it. Its place keeps its height.
 */
function updateFloat(): void {
  const view = $('input-view');
  const home = $('input-home');
  const float = inputOutOfView && (!!selected || !$('overlay-canvas').hidden);
  if (float === view.classList.contains('floating')) return;
  if (float) home.style.height = `${home.offsetHeight}px`;
  else home.style.height = '';
  view.classList.toggle('floating', float);
  view.dataset.floating = String(float);
  view.title = float ? 'The input, kept in view; click to go to it' : '';
}

new IntersectionObserver((entries) => {
  const e = entries[entries.length - 1];
  inputOutOfView = !e || e.intersectionRatio < 0.5;
  updateFloat();
}, { threshold: [0, 0.5, 1] }).observe($('input-home'));

$('input-view').addEventListener('click', () => {
  if ($('input-view').classList.contains('floating')) $('input-home').scrollIntoView({ block: 'start' });
});

/** Paints a colour map's 256 colours, low to high, onto a legend bar. */
function drawLegend(canvas: HTMLCanvasElement, name: ColormapName): void {
  canvas.width = 256;
  canvas.height = 1;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(256, 1);
  new Uint32Array(img.data.buffer).set(colormapLut(name));
  ctx.putImageData(img, 0, 0);
  canvas.dataset.colormap = name;
}

/** The legend of the tiles' colours: each tile from its own channel's minimum to its maximum. */
function renderMapLegend(): void {
  drawLegend($<HTMLCanvasElement>('map-legend-bar'), state.colormap === 'viridis' ? 'viridis' : 'grey');
}

/** The legend of the overlay: turbo from the map's lowest to its highest value, or hidden. */
function renderOverlayLegend(min?: number, max?: number): void {
  const box = $('overlay-legend');
  if (min === undefined || max === undefined || $('overlay-canvas').hidden) {
    box.hidden = true;
    return;
  }
  drawLegend($<HTMLCanvasElement>('overlay-legend-bar'), 'turbo');
  $('overlay-legend-min').textContent = min.toPrecision(3);
  $('overlay-legend-max').textContent = max.toPrecision(3);
  box.hidden = false;
}

/** Shows the receptive field of a unit: a box on the input and a sentence saying what it covers. */
function selectUnit(layer: LayerView, canvas: HTMLCanvasElement, unit: { channel: number; y: number; x: number; flat: number }): void {
  if (!run) return;
  const { layout } = layer;
  const { channel } = unit;
  const box = $('rf-box');
  const info = $('rf-info');
  // In a vector every unit sees the same patch (the whole map it was computed from): use unit (0, 0).
  const [uy, ux] = layout.vector ? [0, 0] : [unit.y, unit.x];
  const where = layout.vector ? `unit ${fmtInt(unit.flat)}` : `channel ${channel}, unit (row ${uy}, column ${ux})`;
  // The exact value comes from the extension, which keeps the floats; it is filled in when it arrives.
  const head = `Layer ${layer.index} (${layer.text}), ${where}`;
  const say = (tail: string): void => info.replaceChildren(head, el('span', { id: 'rf-value' }), tail);
  probing = { runId: run.runId, index: layer.index, channel, flat: unit.flat };
  delete info.dataset.value;
  vscode.postMessage({ type: 'probe', ...probing });
  selected = { layer: layer.index, ...unit };
  placeMarker(canvas, layout, unit);
  updateFloat();
  if (!layer.field) {
    box.hidden = true;
    say(': its receptive field is unknown.');
    return;
  }
  const [H, W] = [run.input.height, run.input.width];
  const b = receptiveFieldBox(layer.field, uy, ux, H, W);
  const v = b.visible;
  Object.assign(box.dataset, {
    layer: String(layer.index), channel: String(channel), unitY: String(uy), unitX: String(ux),
    y0: String(b.y0), x0: String(b.x0), y1: String(b.y1), x1: String(b.x1),
    height: String(b.height), width: String(b.width),
    visibleHeight: String(v?.height ?? 0), visibleWidth: String(v?.width ?? 0),
    coversPadding: String(b.coversPadding), approximate: String(layer.field.approximate),
  });
  if (v) {
    box.style.left = `${(100 * v.x0) / W}%`;
    box.style.top = `${(100 * v.y0) / H}%`;
    box.style.width = `${(100 * v.width) / W}%`;
    box.style.height = `${(100 * v.height) / H}%`;
  }
  box.hidden = !v;
  const rows = `rows ${b.y0} to ${b.y1 - 1}`;
  const cols = `columns ${b.x0} to ${b.x1 - 1}`;
  let text = `: sees input ${rows} and ${cols}, a ${b.height}×${b.width} patch`;
  if (layer.field.approximate) text += ' (approximately: an upsampling makes the field inexact)';
  if (b.coversPadding) {
    const outside = v ? `; ${b.height * b.width - v.height * v.width} of its ${b.height * b.width} pixels are zero padding outside the image` : ', all of it padding outside the image';
    text += `${outside}`;
  }
  say(`${text}.`);
}

/** The unit clicked last, outlined on its tile. */
let selected: { layer: number; channel: number; y: number; x: number } | undefined;

/** The unit whose value was asked for last (an older answer is ignored). */
let probing: { runId: number; index: number; channel: number; flat: number } | undefined;

/** Puts a probed value into the sentence about the selected unit. */
function showValue(m: { runId: number; index: number; channel: number; flat: number; value: number }): void {
  const p = probing;
  if (!p || p.runId !== m.runId || p.index !== m.index || p.channel !== m.channel || p.flat !== m.flat) return;
  const info = $('rf-info');
  info.dataset.value = String(m.value);
  const span = document.getElementById('rf-value');
  if (span) span.textContent = Number.isFinite(m.value) ? `, value ${m.value.toPrecision(4)}` : '';
}

/** Outlines the clicked unit on its tile. */
function placeMarker(canvas: HTMLCanvasElement, layout: DisplayLayout, unit: { channel: number; y: number; x: number }): void {
  let marker = document.getElementById('unit-marker');
  if (!marker) marker = el('div', { id: 'unit-marker', class: 'unit-marker' });
  const grid = canvas.parentElement;
  if (!grid) return;
  grid.append(marker);
  const d = canvas.dataset;
  const cols = Number(d.cols), tileW = Number(d.tileWidth), tileH = Number(d.tileHeight), gap = Number(d.gap);
  const k = unit.channel - Number(d.firstChannel);
  const left = canvas.offsetLeft + (k % cols) * (tileW + gap);
  const top = canvas.offsetTop + Math.floor(k / cols) * (tileH + gap);
  const uw = tileW / layout.width, uh = tileH / layout.height;
  marker.style.left = `${left + unit.x * uw}px`;
  marker.style.top = `${top + unit.y * uh}px`;
  marker.style.width = `${uw}px`;
  marker.style.height = `${uh}px`;
  Object.assign(marker.dataset, { layer: d.layer ?? '', channel: String(unit.channel), unitY: String(unit.y), unitX: String(unit.x) });
}

/** Draws or hides the overlay chosen in the select: '' (none), 'sum:<layer>' or 'cam:<rank>'. */
function applyOverlay(): void {
  const overlay = $<HTMLCanvasElement>('overlay-canvas');
  const choice = $<HTMLSelectElement>('overlay-select').value;
  setState({ overlay: choice });
  overlay.style.opacity = String((state.opacity ?? 55) / 100);
  if (!run || !choice) {
    overlay.hidden = true;
    overlay.dataset.overlay = '';
    renderOverlayLegend();
    updateFloat();
    return;
  }
  const [kind, arg] = choice.split(':');
  const n = Number(arg);
  let values: Float32Array | undefined;
  let h = 0, w = 0, layerIndex = -1;
  if (kind === 'cam' && run.cam?.classes[n]) {
    values = run.cam.classes[n].map;
    h = run.cam.height;
    w = run.cam.width;
    layerIndex = run.cam.featureLayer;
  } else if (kind === 'sum') {
    const hm = heatmaps.get(n);
    if (!hm) {
      vscode.postMessage({ type: 'requestHeatmap', runId: run.runId, index: n });
      return; // drawn when it arrives
    }
    values = hm.values;
    h = hm.height;
    w = hm.width;
    layerIndex = n;
  }
  const field = run.layers[layerIndex]?.field;
  if (!values || !field) {
    overlay.hidden = true;
    renderOverlayLegend();
    updateFloat();
    return;
  }
  drawHeat(overlay, values, h, w, mapPlacement(field, h, w));
  overlay.hidden = false;
  renderOverlayLegend(Number(overlay.dataset.min), Number(overlay.dataset.max));
  updateFloat();
  overlay.dataset.overlay = choice;
  overlay.dataset.layer = String(layerIndex);
}

/** Paints an h×w map min–max scaled through turbo, stretched so each unit covers its cell of the input. */
function drawHeat(target: HTMLCanvasElement, values: Float32Array, h: number, w: number, at: { x: number; y: number; width: number; height: number }): void {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const k = hi > lo ? 255 / (hi - lo) : 0;
  const small = document.createElement('canvas');
  small.width = w;
  small.height = h;
  const sctx = small.getContext('2d');
  const ctx = target.getContext('2d');
  if (!sctx || !ctx) return;
  const img = sctx.createImageData(w, h);
  const out = new Uint32Array(img.data.buffer);
  const lut = colormapLut('turbo');
  for (let i = 0; i < values.length; i++) out[i] = lut[Number.isFinite(values[i]) ? Math.round((values[i] - lo) * k) : 0];
  sctx.putImageData(img, 0, 0);
  ctx.clearRect(0, 0, target.width, target.height);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, at.x, at.y, at.width, at.height);
  target.dataset.min = String(lo);
  target.dataset.max = String(hi);
}

// ---- the page for one run ----------------------------------------------------------------------

function show(r: RunView): void {
  // The user's expanded layers carry over to a re-run of the same network (and survive the page reloading).
  const key = `${r.origin.uri}#${r.network}#${r.layers.length}`;
  const sameNetwork = state.expandedFor === key;
  run = r;
  pixels.clear();
  heatmaps.clear();
  requestedAt.clear();
  requestedSide.clear();
  prefetching = undefined;
  drawMs = 0;
  stoppedAs = undefined;
  jumpTarget = undefined;
  reported.clear();
  dirty.clear();
  probing = undefined;
  selected = undefined;
  $('message').hidden = true;
  $('content').hidden = false;
  $('title').textContent = `${r.network}`;
  renderRunInfo(r);
  drawInput(r);
  $('rf-box').hidden = true;
  $('rf-info').textContent = 'Click a unit in a feature map to see the patch of the input it sees.';
  document.getElementById('unit-marker')?.remove();
  updateFloat();
  renderTop(r);
  renderOverlayChoices(r);
  $('diagram').innerHTML = diagramSvg(r.inputShape, r.layers);
  renderSummary(r);
  renderLayers(r, sameNetwork);
  setState({ expandedFor: key });
  setState({ origin: r.origin });
  applyOverlay();
}

/** Why the run shown stopped early ('cancelled', 'failed'), if it did: the header says so instead of "running…". */
let stoppedAs: string | undefined;

function renderRunInfo(r: RunView): void {
  const weights = weightsText(r);
  const time = r.runMs !== undefined ? `in ${fmtMs(r.runMs)}` : stoppedAs ?? 'running…';
  $('run-info').textContent = `${r.sourceName} · ${r.imageName} as ${fmtShape(r.inputShape)} · ${weights} · ${fmtSi(r.macs)}MACs ${time} `
    + `(${kernelsText(r.backend, r.kernelBuild)}; loading ${fmtMs(r.loadMs)}${r.paramsCached ? ', weights reused' : ''})`;
  // A slow fallback is said in the header, not only in the log: the user sees why the run is slow.
  const note = $('backend-note');
  note.textContent = r.backendNote ? `${r.backendNote[0].toUpperCase()}${r.backendNote.slice(1)}.` : '';
  note.hidden = !r.backendNote;
  $('content').dataset.running = String(r.runMs === undefined && !stoppedAs);
}

/** The run shown has finished: its time, its largest outputs and its class-activation maps. */
function finished(r: RunView): void {
  if (!run || r.runId !== run.runId) return;
  run = r;
  prefetchNext();
  renderRunInfo(r);
  renderTop(r);
  renderOverlayChoices(r);
  applyOverlay();
}

/** The run shown stopped early: layers still waiting will get no pixels. */
function stopped(runId: number, text: string): void {
  if (!run || runId !== run.runId) return;
  showMessage(text);
  document.querySelectorAll<HTMLElement>('.maps[data-state="loading"]').forEach((g) => { g.dataset.state = 'stopped'; });
  stoppedAs = /fail/i.test(text) ? 'failed' : 'cancelled';
  renderRunInfo(run);
}

function renderTop(r: RunView): void {
  const box = $('top-values');
  box.replaceChildren();
  const last = r.layers[r.layers.length - 1];
  if (!last || !r.top.length || !last.layout.vector) return;
  box.append(el('h3', {}, `Largest outputs of ${last.text}`));
  const ol = el('ol', { id: 'top-list' });
  for (const t of r.top) ol.append(el('li', { 'data-index': String(t.index), 'data-value': String(t.value) }, `#${t.index}: ${t.value.toPrecision(4)}`));
  box.append(ol);
  if (!r.weightsName && (r.kernels === 'random' || r.kernels === 'mixed')) {
    box.append(el('p', { class: 'hint' }, 'The weights are random, so these classes mean nothing yet; the maps of fixed kernels and the receptive fields do.'));
  }
}

function renderOverlayChoices(r: RunView): void {
  const select = $<HTMLSelectElement>('overlay-select');
  select.replaceChildren(el('option', { value: '' }, 'none'));
  r.cam?.classes.forEach((c, rank) => {
    select.append(el('option', { value: `cam:${rank}` }, `class-activation map: #${c.index} (${c.score.toPrecision(3)})`));
  });
  for (const l of r.layers) {
    if (l.shape.length === 3 && !l.layout.vector && l.field) {
      select.append(el('option', { value: `sum:${l.index}` }, `Σ channels of ${l.index}: ${l.text} (${fmtShape(l.shape)})`));
    }
  }
  const wanted = state.overlay && Array.from(select.options).some((o) => o.value === state.overlay) ? state.overlay : r.cam ? 'cam:0' : '';
  select.value = wanted;
  $<HTMLInputElement>('overlay-opacity').value = String(state.opacity ?? 55);
}

function renderSummary(r: RunView): void {
  const table = $<HTMLTableElement>('summary-table');
  const head = el('thead');
  const hr = el('tr');
  for (const h of ['#', 'Layer', 'Output shape', 'Params', 'MACs', 'RF']) hr.append(el('th', {}, h));
  head.append(hr);
  const body = el('tbody');
  r.table.rows.forEach((cells, i) => {
    const tr = el('tr', { 'data-layer': String(i), class: r.layers[i]?.auto ? 'auto' : '', tabindex: '0', title: 'Enter: show this layer\'s maps' });
    cells.forEach((c, j) => tr.append(el('td', { class: j === 1 ? '' : 'num' }, c)));
    body.append(tr);
  });
  table.replaceChildren(head, body);
  const dl = $('summary-totals');
  dl.replaceChildren();
  for (const [k, v] of r.table.totals) dl.append(el('dt', {}, k), el('dd', {}, v));
}

function renderLayers(r: RunView, keepExpanded: boolean): void {
  const list = $('layers');
  // A small network opens whole; a large one (VGG16's maps are a hundred screens tall) its first two
  // screens, the rest collapsed under their headings, to be opened one by one or with "Expand all".
  const side = wantedSide();
  const width = Math.max(40, list.clientWidth - 16);
  const heights = r.layers.map((l) => mapsHeight(l.layout, side, width, tileCss()));
  const expanded = new Set(keepExpanded && state.expanded ? state.expanded
    : initialOpen(heights, { ...DEFAULT_OPEN_POLICY, viewport: Math.max(300, window.innerHeight) }));
  list.dataset.defaultOpen = String(expanded.size);
  const frag = document.createDocumentFragment();
  const graph = !isChain(r.layers.map((l) => l.inputs));
  for (const l of r.layers) {
    const d = el('details', { class: 'layer', id: `layer-${l.index}`, 'data-layer': String(l.index), 'data-kind': l.kind, 'data-shape': l.shape.join('x') });
    const head = el('summary', { class: 'layer-head' });
    const rf = l.field ? `${l.field.approximate ? '≈' : ''}RF ${l.field.rf[0] === l.field.rf[1] ? l.field.rf[0] : `${l.field.rf[0]}×${l.field.rf[1]}`}` : '';
    head.append(
      el('span', { class: 'layer-index' }, String(l.index)),
      el('code', { class: 'layer-text' }, l.text),
      el('span', { class: 'layer-shape' }, fmtShape(l.shape)),
      el('span', { class: 'layer-params', title: l.formula }, l.params ? `${fmtInt(l.params)} params` : 'no params'),
      el('span', { class: 'layer-rf' }, rf),
      el('button', { class: 'reveal', type: 'button', 'data-line': String(l.line), title: 'Show this line in the editor' }, `line ${l.line + 1}`),
    );
    d.append(head);
    // In a branching network each section says what the layer reads (a merge names each of its inputs).
    if (graph) {
      const reads = el('div', { class: 'layer-reads', 'data-layer': String(l.index), 'data-inputs': l.inputs.join(',') }, 'reads: ');
      readNames(l.inputs, r.layers).forEach((n, k) => {
        if (k > 0) reads.append(', ');
        reads.append(n.line === undefined ? el('span', { class: 'layer-read' }, n.text)
          : el('button', { class: 'reveal layer-read', type: 'button', 'data-line': String(n.line), 'data-read': String(n.index), title: 'Show this line in the editor' }, `${n.text} (line ${n.line + 1})`));
      });
      d.append(reads);
    }
    d.append(el('div', { class: 'maps', 'data-layer': String(l.index), 'data-state': 'empty' }));
    if (expanded.has(l.index)) d.open = true;
    d.addEventListener('toggle', () => {
      if (d.open) openLayer(l.index);
      else closeLayer(l.index);
      saveExpanded();
    });
    frag.append(d);
  }
  nearObserver.disconnect();
  waiting.clear();
  list.replaceChildren(frag);
  reserveHeights();
  renderJumpList(r);
  list.dataset.allDrawn = 'false';
  list.dataset.viewDrawn = 'false';
  list.dataset.prefetched = 'false';
  delete list.dataset.allDrawnAt;
  delete list.dataset.viewDrawnAt;
  delete list.dataset.firstDrawnAt;
  // In order, so the layers at the top of the page (in view) are asked for first.
  const eager = openBytes() <= EAGER_BYTES;
  for (const i of [...expanded].sort((a, b) => a - b)) openLayer(i, eager);
  saveExpanded();
}

function saveExpanded(): void {
  const open = Array.from(document.querySelectorAll<HTMLDetailsElement>('details.layer')).filter((d) => d.open).map((d) => Number(d.dataset.layer));
  setState({ expanded: open });
}

function showMessage(text: string): void {
  const m = $('message');
  m.textContent = text;
  m.hidden = false;
  if (!run) $('content').hidden = true;
}

// ---- events ------------------------------------------------------------------------------------

window.addEventListener('message', (ev: MessageEvent<ToView>) => {
  const m = ev.data;
  switch (m?.type) {
    case 'show':
      show(m.run);
      break;
    case 'layerPixels': {
      if (!run || m.runId !== run.runId) return;
      let px = m.pixels;
      if (m.shared) {
        // Tiles shared with the layer this one reads, as the extension last sent it (messages come in order).
        const src = pixels.get(m.shared.from);
        if (!src || src.tileH !== m.tileHeight || src.tileW !== m.tileWidth) {
          console.error(`layer ${m.index}: its tiles are layer ${m.shared.from}'s, which this page does not have at ${m.tileHeight}×${m.tileWidth}`);
          return;
        }
        px = unshareTiles(src.pixels, m.shared.codes, m.pixels);
      }
      pixels.set(m.index, { layout: m.layout, tileH: m.tileHeight, tileW: m.tileWidth, pixels: px });
      // A layer away from the view is drawn when it comes near (its pixels were fetched ahead).
      if (waiting.get(m.index) !== 'away') scheduleDraw(m.index);
      if (prefetching === m.index) prefetching = undefined;
      prefetchNext();
      break;
    }
    case 'probeValue':
      showValue(m);
      break;
    case 'finished':
      finished(m.run);
      break;
    case 'stopped':
      stopped(m.runId, m.text);
      break;
    case 'heatmap':
      if (!run || m.runId !== run.runId) return;
      heatmaps.set(m.index, { height: m.height, width: m.width, values: m.values });
      if ($<HTMLSelectElement>('overlay-select').value === `sum:${m.index}`) applyOverlay();
      break;
    case 'message':
      if (m.origin && !run) setState({ origin: m.origin });
      showMessage(m.text);
      break;
  }
});

$('layers').addEventListener('click', (ev) => {
  const target = ev.target as HTMLElement;
  if (target instanceof HTMLButtonElement && target.classList.contains('reveal')) {
    ev.preventDefault();
    vscode.postMessage({ type: 'reveal', line: Number(target.dataset.line) });
    return;
  }
  if (!(target instanceof HTMLCanvasElement) || !target.classList.contains('layer-canvas') || !run) return;
  const layer = run.layers[Number(target.dataset.layer)];
  if (!layer) return;
  const unit = hit(target, layer.layout, ev.offsetX, ev.offsetY);
  if (unit) selectUnit(layer, target, unit);
});

// The keyboard reaches the tiles with Tab: Enter selects a unit (the one selected on this layer, else
// the centre of the canvas's first tile), arrows move it, Page Up/Down go to the previous or next channel.
$('layers').addEventListener('keydown', (ev) => {
  const target = ev.target as HTMLElement;
  if (!(target instanceof HTMLCanvasElement) || !target.classList.contains('layer-canvas') || !run) return;
  const layer = run.layers[Number(target.dataset.layer)];
  if (!layer) return;
  const here = selected?.layer === layer.index ? selected : undefined;
  let next;
  if (ev.key === 'Enter' || ev.key === ' ') {
    next = here ?? { ...startUnit(layer.layout), channel: Number(target.dataset.firstChannel) };
  } else if (here) {
    next = moveUnit(here, ev.key, layer.layout);
  }
  if (!next) return;
  ev.preventDefault();
  const unit = next;
  const canvas = Array.from(document.querySelectorAll<HTMLCanvasElement>(`canvas.layer-canvas[data-layer="${layer.index}"]`))
    .find((c) => unit.channel >= Number(c.dataset.firstChannel) && unit.channel < Number(c.dataset.firstChannel) + Number(c.dataset.channels));
  if (!canvas) return;
  if (canvas !== target) canvas.focus();
  selectUnit(layer, canvas, { ...unit, flat: unit.y * layer.layout.width + unit.x });
});

// The summary's rows and the diagram's blocks are reached with Tab; Enter jumps to the layer.
for (const id of ['summary-table', 'diagram']) {
  $(id).addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter' && ev.key !== ' ') return;
    const at = (ev.target as Element).closest('tr[data-layer], g.blk');
    const index = Number(at?.getAttribute('data-layer') ?? -1);
    if (index < 0) return;
    ev.preventDefault();
    goToLayer(index);
  });
}

$<HTMLSelectElement>('layer-jump').addEventListener('change', (ev) => {
  const v = (ev.target as HTMLSelectElement).value;
  if (v !== '') goToLayer(Number(v));
});

// The tile under the pointer is named in the canvas's tooltip (tiles have no captions).
$('layers').addEventListener('mousemove', (ev) => {
  const target = ev.target as HTMLElement;
  if (!(target instanceof HTMLCanvasElement) || !target.classList.contains('layer-canvas') || !run) return;
  const layer = run.layers[Number(target.dataset.layer)];
  const unit = layer && hit(target, layer.layout, ev.offsetX, ev.offsetY);
  const title = !unit ? '' : layer.layout.vector ? `unit ${fmtInt(unit.flat)}` : `channel ${unit.channel}, row ${unit.y}, column ${unit.x}`;
  if (target.title !== title) target.title = title;
});

/**
 * The layer a jump went to, kept in view until the user scrolls: layers above it may still change
 * height (a tile size asked again, a width change), and the jump must land where it said.
 */
let jumpTarget: { index: number; until: number } | undefined;

/**
 * Opens a layer and scrolls to it (from the jump list, the diagram or the summary table). Its height is
 * reserved first and the scroll waits for the layout, so it lands on the layer, not above it.
 */
function goToLayer(index: number): void {
  const d = document.getElementById(`layer-${index}`) as HTMLDetailsElement | null;
  if (!d) return;
  d.open = true; // the toggle event opens it (asks for its pixels)
  reserveHeights();
  jumpTarget = { index, until: performance.now() + 3000 };
  $('layers').dataset.jumpTarget = String(index);
  requestAnimationFrame(() => requestAnimationFrame(() => alignJump()));
}

/** Scrolls the jump's layer to the top of the view (under the sticky bar) while the jump holds. */
function alignJump(): void {
  const j = jumpTarget;
  if (!j) return;
  if (performance.now() > j.until) {
    jumpTarget = undefined;
    return;
  }
  document.getElementById(`layer-${j.index}`)?.scrollIntoView({ block: 'start', behavior: 'auto' });
}

// A scroll of the user's own ends the jump's hold.
for (const type of ['wheel', 'touchmove', 'keydown', 'mousedown']) {
  window.addEventListener(type, (ev) => {
    if (type === 'keydown' && (ev as KeyboardEvent).key === 'Enter') return;
    if (type === 'mousedown' && (ev.target as Element | null)?.closest('#jump-bar, #diagram, #summary-table')) return;
    jumpTarget = undefined;
  }, { passive: true, capture: true });
}

/** The compact list of layers in the sticky bar, to jump by. */
function renderJumpList(r: RunView): void {
  const select = $<HTMLSelectElement>('layer-jump');
  select.replaceChildren(el('option', { value: '' }, `Go to layer… (${r.layers.length})`));
  for (const l of r.layers) {
    select.append(el('option', { value: String(l.index) }, `${l.index}: ${l.text} → ${fmtShape(l.shape)}`));
  }
  select.value = '';
}

$('diagram').addEventListener('click', (ev) => {
  const g = (ev.target as Element).closest('g.blk');
  const index = Number(g?.getAttribute('data-layer') ?? -1);
  if (index >= 0) goToLayer(index);
});
$('summary-table').addEventListener('click', (ev) => {
  const tr = (ev.target as Element).closest('tr[data-layer]');
  if (tr) goToLayer(Number(tr.getAttribute('data-layer')));
});
$('rerun').addEventListener('click', () => vscode.postMessage({ type: 'rerun' }));
$<HTMLInputElement>('colormap-toggle').addEventListener('change', (ev) => {
  const on = (ev.target as HTMLInputElement).checked;
  setState({ colormap: on ? 'viridis' : 'grey' });
  document.body.dataset.colormap = on ? 'viridis' : 'grey';
  renderMapLegend();
  redrawAll();
});
$<HTMLInputElement>('tile-size').addEventListener('input', (ev) => {
  const v = Number((ev.target as HTMLInputElement).value);
  setState({ tile: v });
  $('layers').style.setProperty('--tile', `${v}px`);
  reserveHeights();
  redrawAll();
});
$('expand-all').addEventListener('click', () => document.querySelectorAll<HTMLDetailsElement>('details.layer').forEach((d) => { d.open = true; }));
$('collapse-all').addEventListener('click', () => document.querySelectorAll<HTMLDetailsElement>('details.layer').forEach((d) => { d.open = false; }));
$('overlay-select').addEventListener('change', () => applyOverlay());
// A change of width changes how many tiles fit in a row.
let lastWidth = 0;
new ResizeObserver(() => {
  const w = $('layers').clientWidth;
  if (w === lastWidth) return;
  lastWidth = w;
  reserveHeights();
  redrawAll();
}).observe($('layers'));
$<HTMLInputElement>('overlay-opacity').addEventListener('input', (ev) => {
  setState({ opacity: Number((ev.target as HTMLInputElement).value) });
  $('overlay-canvas').style.opacity = String((state.opacity ?? 55) / 100);
});

// Restore the controls, then ask for the run.
$<HTMLInputElement>('colormap-toggle').checked = state.colormap === 'viridis';
document.body.dataset.colormap = state.colormap ?? 'grey';
renderMapLegend();
if (state.tile) {
  $<HTMLInputElement>('tile-size').value = String(state.tile);
  $('layers').style.setProperty('--tile', `${state.tile}px`);
}
vscode.postMessage({ type: 'ready' });
