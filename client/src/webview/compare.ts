/**
 * The comparison view's script (bundled to dist/compare.js): fills the table and draws the two stacked
 * bar charts from the 'show' message, sorts on a heading click (rows and bars alike) and asks the
 * extension to reveal a network when its row or bar is clicked. It draws; the figures come from the
 * server's `cnnLab/compare`, and the arithmetic from compareLayout.ts.
 */
import { fmtInt } from '../../../server/src/language/format.js';
import type { CompareNetworkResult } from '../../../server/src/protocol.js';
import type { FromCompareView, ToCompareView } from '../compareMessages.js';
import { barLayout, cells, legend, nextSort, short, sortOrder, type BarMetric, type SortKey, type SortState } from './compareLayout.js';

/** What the view keeps across reloads: the sort. */
type CompareViewState = SortState;

interface VsCodeApi {
  postMessage(m: FromCompareView): void;
  getState(): CompareViewState | undefined;
  setState(s: CompareViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let sort: CompareViewState = vscode.getState() ?? { key: 'file', dir: 'asc' };
let networks: readonly CompareNetworkResult[] = [];

const SVG = 'http://www.w3.org/2000/svg';
const byId = (id: string) => document.getElementById(id)!;
/** Room on the left of a chart for the networks' names, and on the right for the totals, in px. */
const NAME_W = 130, TOTAL_W = 80, BAR_H = 18, GAP = 6;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const reveal = (name: string) => vscode.postMessage({ type: 'reveal', network: name });

function renderTable(order: readonly number[]): void {
  const body = byId('rows');
  body.replaceChildren(...order.map((i) => {
    const n = networks[i];
    const c = cells(n);
    const tr = document.createElement('tr');
    tr.dataset.network = n.name;
    tr.title = `line ${n.line}; RF at the ${n.rfAt}${n.complete ? '' : '; partial: some shapes are unknown'}`;
    const td = (text: string, title?: string, num = true) => {
      const d = document.createElement('td');
      d.textContent = text;
      if (num) d.className = 'num';
      if (title) d.title = title;
      return d;
    };
    tr.append(
      td(c.name, undefined, false), td(c.weightLayers), td(c.params, fmtInt(n.params)), td(c.macs, fmtInt(n.macs)),
      td(c.activations, `${fmtInt(n.activations)} values`), td(c.paramBytes), td(c.fcShare), td(c.rf, n.rfAt),
    );
    tr.addEventListener('click', () => reveal(n.name));
    return tr;
  }));
  for (const h of Array.from(document.querySelectorAll<HTMLElement>('th[data-key]'))) {
    if (h.dataset.key === sort.key) h.setAttribute('data-dir', sort.dir);
    else h.removeAttribute('data-dir');
  }
}

function renderChart(container: HTMLElement, metric: BarMetric, order: readonly number[]): void {
  const width = Math.max(200, (container.clientWidth || 600) - NAME_W - TOTAL_W);
  const bars = barLayout(networks, order, metric, width);
  const root = svg('svg', { viewBox: `0 0 ${NAME_W + width + TOTAL_W} ${bars.length * (BAR_H + GAP)}`, role: 'img', 'aria-label': `${metric} by stage` });
  bars.forEach((b, row) => {
    const y = row * (BAR_H + GAP);
    const g = svg('g', { class: 'bar', transform: `translate(0 ${y})` });
    g.append(svg('text', { x: NAME_W - 8, y: BAR_H * 0.75, 'text-anchor': 'end' }, b.name));
    for (const s of b.segments) {
      const rect = svg('rect', { x: NAME_W + s.x, y: 0, width: Math.max(s.width, 0.5), height: BAR_H, fill: s.color });
      rect.append(svg('title', {}, `${b.name}, ${s.label}: ${fmtInt(s.value)} ${metric === 'params' ? 'params' : 'MACs'} (${((100 * s.value) / (b.total || 1)).toFixed(1)}%)`));
      g.append(rect);
    }
    g.append(svg('text', { x: NAME_W + b.width + 6, y: BAR_H * 0.75 }, short(b.total)));
    g.addEventListener('click', () => reveal(b.name));
    root.append(g);
  });
  container.replaceChildren(root);
}

function renderLegend(): void {
  byId('legend').replaceChildren(...legend(networks).map((e) => {
    const li = document.createElement('li');
    const swatch = svg('svg', { width: 12, height: 12 });
    swatch.append(svg('rect', { width: 12, height: 12, fill: e.color }));
    li.append(swatch, document.createTextNode(e.label));
    return li;
  }));
}

function render(): void {
  const order = sortOrder(networks, sort.key, sort.dir);
  renderTable(order);
  renderChart(byId('chart-params'), 'params', order);
  renderChart(byId('chart-macs'), 'macs', order);
}

for (const h of Array.from(document.querySelectorAll<HTMLElement>('th[data-key]'))) {
  h.addEventListener('click', () => {
    sort = nextSort(sort, h.dataset.key as SortKey);
    vscode.setState(sort);
    render();
  });
}

window.addEventListener('message', (e: MessageEvent<ToCompareView>) => {
  const m = e.data;
  if (m?.type !== 'show') return;
  networks = m.networks;
  byId('title').textContent = `Compare networks: ${m.file}`;
  const message = byId('message');
  message.hidden = networks.length > 0;
  message.textContent = 'This file has no network.';
  byId('content').hidden = networks.length === 0;
  renderLegend();
  render();
});

let resizeTimer: number | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => { if (networks.length) render(); }, 100);
});

vscode.postMessage({ type: 'ready' });
