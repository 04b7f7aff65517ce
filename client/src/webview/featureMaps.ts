/**
 * The feature-map webview's script (bundled to dist/webview.js). It draws what the extension sends and
 * nothing else: the input as the network saw it, a diagram and the summary table, and per layer a
 * collapsible grid with one canvas per channel. A layer's pixels are asked for when it is expanded
 * and each canvas is drawn when it comes near the view and released when far from it, so VGG16's ten
 * thousand maps cost little more than the screenful being looked at. Clicking a unit draws its
 * receptive field on the input; the overlay shows a layer's summed channels or a class-activation map,
 * placed by the receptive-field geometry.
 *
 * Stable hooks for tests: #input-canvas, #overlay-canvas[data-overlay], #rf-box[data-*],
 * details.layer[data-layer], canvas.map-canvas[data-layer][data-channel][data-drawn], #unit-marker.
 */
import './featureMaps.css';
import { fmtInt, fmtSi, tableRows, totalLines } from '../../../server/src/analysis/summary.js';
import { mapPlacement, receptiveFieldBox, type DisplayLayout } from '../../../server/src/interpret.js';
import type { FromView, LayerView, RunView, ToView, ViewState } from '../run/messages.js';
import { colormapLut } from './colormap.js';
import { diagramSvg } from './diagram.js';

interface VsCodeApi {
  postMessage(m: FromView): void;
  getState(): ViewState | undefined;
  setState(s: ViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let state: ViewState = vscode.getState() ?? {};
let run: RunView | undefined;

/** Pixels of the layers received for the current run. */
const pixels = new Map<number, { layout: DisplayLayout; pixels: Uint8Array; min: Float32Array; max: Float32Array }>();
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

/** Draws channel `ch` of layer `index` into its canvas, through the chosen colour map. */
function drawTile(canvas: HTMLCanvasElement, index: number, ch: number): boolean {
  const p = pixels.get(index);
  if (!p) return false;
  const { layout } = p;
  // Sizing the canvas allocates its backing store (release() gives it back).
  if (canvas.width !== layout.width || canvas.height !== layout.height) {
    canvas.width = layout.width;
    canvas.height = layout.height;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return false;
  const img = ctx.createImageData(layout.width, layout.height);
  const out = new Uint32Array(img.data.buffer);
  const lut = colormapLut(state.colormap === 'viridis' ? 'viridis' : 'grey');
  const src = p.pixels;
  const off = ch * layout.plane;
  // A vector's last row may be partly empty: those cells stay transparent.
  for (let i = 0; i < layout.plane; i++) out[i] = lut[src[off + i]];
  ctx.putImageData(img, 0, 0);
  canvas.dataset.drawn = 'true';
  return true;
}

/**
 * Gives a canvas's pixels back by putting a fresh, empty canvas in its place. A canvas that ever had a
 * context stays a compositor layer even when shrunk to nothing, and every layer costs on every frame:
 * with VGG16's ten thousand maps drawn, scrolling slows five-fold. Only tiles near the view are drawn.
 */
function release(canvas: HTMLCanvasElement): void {
  const fresh = canvas.cloneNode(false) as HTMLCanvasElement;
  fresh.width = 0;
  fresh.height = 0;
  fresh.dataset.drawn = 'false';
  canvas.replaceWith(fresh);
}

/** The drawn canvases of each layer, so those far from the view can be released. */
const live = new Map<number, Set<HTMLCanvasElement>>();
let drawQueued = false;
/** How far beyond the view (in screens) tiles are drawn ahead of scrolling. */
const BAND = 0.75;

/** Draws (soon) what has come near the view; cheap to call often. */
function scheduleDraw(): void {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    drawNearView();
  });
}

/**
 * Draws the tiles within a screen of the view and releases the others. Tiles sit in a CSS grid of
 * equal cells, so the rows in view follow from the grid's position and its first cell's size: no
 * per-tile geometry (an IntersectionObserver on ten thousand canvases costs more per frame than the
 * drawing itself).
 */
function drawNearView(): void {
  const top = -BAND * innerHeight;
  const bottom = (1 + BAND) * innerHeight;
  // Measure every grid first, then draw and release: interleaving would force a layout per grid.
  const plans: { index: number; grid: HTMLElement; first: number; last: number }[] = [];
  document.querySelectorAll<HTMLElement>('.maps[data-state="ready"]').forEach((grid) => {
    const index = Number(grid.dataset.layer);
    const cells = grid.children;
    const open = (grid.parentElement as HTMLDetailsElement | null)?.open ?? false;
    let first = 0;
    let last = -1;
    if (open && cells.length) {
      const rect = grid.getBoundingClientRect();
      if (rect.bottom >= top && rect.top <= bottom) {
        const cell = (cells[0] as HTMLElement).getBoundingClientRect();
        const style = getComputedStyle(grid);
        const cols = Math.max(1, style.gridTemplateColumns.split(' ').filter(Boolean).length);
        const pitch = cell.height + (parseFloat(style.rowGap) || 0);
        const r0 = Math.max(0, Math.floor((top - cell.top) / pitch));
        const r1 = Math.floor((bottom - cell.top) / pitch);
        first = r0 * cols;
        last = Math.min(cells.length - 1, (r1 + 1) * cols - 1);
      }
    }
    if (last >= first || live.get(index)?.size) plans.push({ index, grid, first, last });
  });
  const drawnPerLayer = new Map<number, number>();
  for (const { index, grid, first, last } of plans) {
    const set = live.get(index) ?? new Set<HTMLCanvasElement>();
    live.set(index, set);
    for (const c of set) {
      const ch = Number(c.dataset.channel);
      if (ch < first || ch > last || !c.isConnected) {
        release(c);
        set.delete(c);
      }
    }
    const cells = grid.children;
    for (let ch = first; ch <= last; ch++) {
      const c = cells[ch]?.firstElementChild as HTMLCanvasElement | null;
      if (!c || c.dataset.drawn === 'true') continue;
      if (drawTile(c, index, ch)) {
        set.add(c);
        drawnPerLayer.set(index, (drawnPerLayer.get(index) ?? 0) + 1);
      }
    }
  }
  for (const [index, tiles] of drawnPerLayer) {
    if (reported.has(index) || !run) continue;
    reported.add(index);
    vscode.postMessage({ type: 'rendered', runId: run.runId, index, tiles, ms: performance.now() - (requestedAt.get(index) ?? performance.now()) });
  }
}

/** Builds a layer's grid (once) and asks for its pixels (once per run). */
function openLayer(index: number): void {
  if (!run) return;
  const layer = run.layers[index];
  const grid = document.querySelector<HTMLElement>(`.maps[data-layer="${index}"]`);
  if (!grid || !layer) return;
  if (grid.dataset.state === 'empty') {
    buildGrid(grid, layer);
    grid.dataset.state = pixels.has(index) ? 'ready' : 'loading';
  }
  if (!pixels.has(index) && !requestedAt.has(index)) {
    requestedAt.set(index, performance.now());
    vscode.postMessage({ type: 'requestLayer', runId: run.runId, index });
  }
  scheduleDraw();
}

function buildGrid(grid: HTMLElement, layer: LayerView): void {
  const { layout } = layer;
  const frag = document.createDocumentFragment();
  grid.classList.toggle('vector', layout.vector);
  // Every cell has the same size, fixed from outside, so drawing a tile never re-lays out the page.
  grid.style.setProperty('--aspect', String(layout.height / layout.width));
  // A first guess of the grid's height for an off-screen grid (content-visibility: auto) until laid out.
  const perRow = Math.max(1, Math.floor((grid.clientWidth || 600) / ((state.tile ?? 72) + 4)));
  const rows = layout.vector ? 1 : Math.ceil(layout.channels / perRow);
  grid.style.setProperty('--grid-height', `${Math.round(rows * (((state.tile ?? 72) * layout.height) / layout.width + 18))}px`);
  for (let ch = 0; ch < layout.channels; ch++) {
    const fig = el('figure', { class: layout.vector ? 'map vector' : 'map', 'data-layer': String(layer.index), 'data-channel': String(ch) });
    // No pixels until drawn: the aspect ratio holds the tile's place.
    const canvas = el('canvas', {
      class: layout.vector ? 'map-canvas vector-canvas' : 'map-canvas', width: '0', height: '0',
      'data-layer': String(layer.index), 'data-channel': String(ch), 'data-drawn': 'false',
      title: layout.vector ? `${fmtInt(layout.plane)} values` : `channel ${ch}`,
    });
    canvas.style.aspectRatio = `${layout.width} / ${layout.height}`;
    fig.append(canvas, el('figcaption', {}, layout.vector ? `${fmtInt(layout.plane)} values` : String(ch)));
    frag.append(fig);
  }
  grid.replaceChildren(frag);
}

/** Redraws every drawn canvas (after a colour-map change). */
function redrawAll(): void {
  for (const [index, set] of live) for (const c of set) drawTile(c, index, Number(c.dataset.channel));
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

/** The unit a click on a map canvas landed on. */
function unitAt(canvas: HTMLCanvasElement, ev: MouseEvent, layout: DisplayLayout): { y: number; x: number; flat: number } | undefined {
  const rect = canvas.getBoundingClientRect();
  const x = Math.min(layout.width - 1, Math.max(0, Math.floor(((ev.clientX - rect.left) / rect.width) * layout.width)));
  const y = Math.min(layout.height - 1, Math.max(0, Math.floor(((ev.clientY - rect.top) / rect.height) * layout.height)));
  const flat = y * layout.width + x;
  if (flat >= layout.plane) return undefined;
  return { y, x, flat };
}

/** Shows the receptive field of a unit: a box on the input and a sentence saying what it covers. */
function selectUnit(layer: LayerView, channel: number, unit: { y: number; x: number; flat: number }, figure: HTMLElement): void {
  if (!run) return;
  const { layout } = layer;
  const box = $('rf-box');
  const info = $('rf-info');
  const p = pixels.get(layer.index);
  const q = p ? p.pixels[channel * layout.plane + unit.flat] : undefined;
  const value = p && q !== undefined ? p.min[channel] + (q / 255) * (p.max[channel] - p.min[channel]) : undefined;
  // In a vector every unit sees the same patch (the whole map it was computed from): use unit (0, 0).
  const [uy, ux] = layout.vector ? [0, 0] : [unit.y, unit.x];
  const where = layout.vector ? `unit ${fmtInt(unit.flat)}` : `channel ${channel}, unit (row ${uy}, column ${ux})`;
  const valueText = value !== undefined ? `, value ≈ ${value.toPrecision(4)}` : '';
  placeMarker(figure, layout, unit);
  if (!layer.field) {
    box.hidden = true;
    info.textContent = `Layer ${layer.index} (${layer.text}), ${where}${valueText}: its receptive field is unknown.`;
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
  let text = `Layer ${layer.index} (${layer.text}), ${where}${valueText}: sees input ${rows} and ${cols}, a ${b.height}×${b.width} patch`;
  if (layer.field.approximate) text += ' (approximately: an upsampling makes the field inexact)';
  if (b.coversPadding) {
    const outside = v ? `; ${b.height * b.width - v.height * v.width} of its ${b.height * b.width} pixels are zero padding outside the image` : ', all of it padding outside the image';
    text += `${outside}`;
  }
  info.textContent = `${text}.`;
}

function placeMarker(figure: HTMLElement, layout: DisplayLayout, unit: { y: number; x: number }): void {
  let marker = document.getElementById('unit-marker');
  if (!marker) marker = el('div', { id: 'unit-marker', class: 'unit-marker' });
  figure.append(marker);
  const canvas = figure.querySelector('canvas');
  const top = canvas ? canvas.offsetTop : 0;
  marker.style.left = `${(100 * unit.x) / layout.width}%`;
  marker.style.width = `${100 / layout.width}%`;
  marker.style.top = `${top + ((canvas?.clientHeight ?? 0) * unit.y) / layout.height}px`;
  marker.style.height = `${(canvas?.clientHeight ?? 0) / layout.height}px`;
  Object.assign(marker.dataset, { layer: figure.dataset.layer ?? '', channel: figure.dataset.channel ?? '', unitY: String(unit.y), unitX: String(unit.x) });
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
    return;
  }
  drawHeat(overlay, values, h, w, mapPlacement(field, h, w));
  overlay.hidden = false;
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
  reported.clear();
  live.clear();
  $('message').hidden = true;
  $('content').hidden = false;
  $('title').textContent = `${r.network}`;
  const weights = r.weightsName ?? `He-initialised weights (seed ${r.origin.seed})`;
  $('run-info').textContent = `${r.sourceName} · ${r.imageName} as ${fmtShape(r.inputShape)} · ${weights} · ${fmtSi(r.macs)}MACs in ${fmtMs(r.runMs)} `
    + `(${r.backend === 'simd' ? 'WebAssembly SIMD' : 'TypeScript'} kernels; loading ${fmtMs(r.loadMs)}${r.paramsCached ? ', weights reused' : ''})`;
  drawInput(r);
  $('rf-box').hidden = true;
  $('rf-info').textContent = 'Click a unit in a feature map to see the patch of the input it sees.';
  document.getElementById('unit-marker')?.remove();
  renderTop(r);
  renderOverlayChoices(r);
  $('diagram').innerHTML = diagramSvg(r.inputShape, r.layers);
  renderSummary(r);
  renderLayers(r, sameNetwork);
  setState({ expandedFor: key });
  setState({ origin: r.origin });
  applyOverlay();
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
  if (!r.weightsName) box.append(el('p', { class: 'hint' }, 'The weights are random, so these classes mean nothing yet; the maps of fixed kernels and the receptive fields do.'));
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
  tableRows(r.summary).forEach((cells, i) => {
    const tr = el('tr', { 'data-layer': String(i), class: r.summary.layers[i]?.auto ? 'auto' : '' });
    cells.forEach((c, j) => tr.append(el('td', { class: j === 1 ? '' : 'num' }, c)));
    body.append(tr);
  });
  table.replaceChildren(head, body);
  const dl = $('summary-totals');
  dl.replaceChildren();
  for (const [k, v] of totalLines(r.summary)) dl.append(el('dt', {}, k), el('dd', {}, v));
}

function renderLayers(r: RunView, keepExpanded: boolean): void {
  const list = $('layers');
  const total = r.layers.reduce((s, l) => s + l.layout.channels * l.layout.plane, 0);
  const expanded = new Set(keepExpanded && state.expanded ? state.expanded
    // A small network opens whole; a big one opens its first layer only.
    : total <= 2e6 ? r.layers.map((l) => l.index) : r.layers.slice(0, 1).map((l) => l.index));
  const frag = document.createDocumentFragment();
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
    d.append(head, el('div', { class: 'maps', 'data-layer': String(l.index), 'data-state': 'empty' }));
    if (expanded.has(l.index)) d.open = true;
    d.addEventListener('toggle', () => {
      if (d.open) openLayer(l.index);
      else scheduleDraw(); // releases the closed layer's canvases
      saveExpanded();
    });
    frag.append(d);
  }
  list.replaceChildren(frag);
  for (const i of expanded) openLayer(i);
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
      pixels.set(m.index, { layout: m.layout, pixels: m.pixels, min: m.min, max: m.max });
      const grid = document.querySelector<HTMLElement>(`.maps[data-layer="${m.index}"]`);
      if (grid && grid.dataset.state !== 'empty') {
        grid.dataset.state = 'ready';
        scheduleDraw();
      }
      break;
    }
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
  if (!(target instanceof HTMLCanvasElement) || !target.classList.contains('map-canvas') || !run) return;
  const layer = run.layers[Number(target.dataset.layer)];
  if (!layer) return;
  const unit = unitAt(target, ev, layer.layout);
  if (unit) selectUnit(layer, Number(target.dataset.channel), unit, target.parentElement as HTMLElement);
});

/** Opens a layer and scrolls to it (from the diagram or the summary table). */
function goToLayer(index: number): void {
  const d = document.getElementById(`layer-${index}`) as HTMLDetailsElement | null;
  if (!d) return;
  d.open = true;
  d.scrollIntoView({ block: 'start', behavior: 'smooth' });
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
  redrawAll();
});
$<HTMLInputElement>('tile-size').addEventListener('input', (ev) => {
  const v = Number((ev.target as HTMLInputElement).value);
  setState({ tile: v });
  $('layers').style.setProperty('--tile', `${v}px`);
  scheduleDraw();
});
$('expand-all').addEventListener('click', () => document.querySelectorAll<HTMLDetailsElement>('details.layer').forEach((d) => { d.open = true; }));
$('collapse-all').addEventListener('click', () => document.querySelectorAll<HTMLDetailsElement>('details.layer').forEach((d) => { d.open = false; }));
$('overlay-select').addEventListener('change', () => applyOverlay());
window.addEventListener('scroll', scheduleDraw, { passive: true });
window.addEventListener('resize', scheduleDraw);
$<HTMLInputElement>('overlay-opacity').addEventListener('input', (ev) => {
  setState({ opacity: Number((ev.target as HTMLInputElement).value) });
  $('overlay-canvas').style.opacity = String((state.opacity ?? 55) / 100);
});

// Restore the controls, then ask for the run.
$<HTMLInputElement>('colormap-toggle').checked = state.colormap === 'viridis';
document.body.dataset.colormap = state.colormap ?? 'grey';
if (state.tile) {
  $<HTMLInputElement>('tile-size').value = String(state.tile);
  $('layers').style.setProperty('--tile', `${state.tile}px`);
}
vscode.postMessage({ type: 'ready' });
