/**
 * The network drawn as in the VGG paper's figure: each layer that changes the shape is a slab whose
 * height follows the map's height, whose depth follows its width and whose thickness grows with the
 * number of channels (logarithmically, or VGG's 512-channel slabs would fill the page); vectors are
 * thin bars. Layers that keep the shape (activations, dropout, batch norm) are left out, as the figure
 * leaves out the ReLUs. Returns SVG markup with presentation attributes only (the page's policy
 * forbids inline styles); colours come from the stylesheet by class.
 */
import type { LayerView } from '../run/messages.js';
import { graphLayout, isChain } from './graphLayout.js';

/** Layer kinds drawn as blocks. */
const DRAWN = new Set(['conv', 'maxpool', 'avgpool', 'gap', 'fc', 'upsample', 'softmax']);

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface Block {
  readonly layer: number;
  readonly kind: string;
  readonly label: string;
  readonly title: string;
  readonly shape: readonly number[];
}

/** The SVG of the network: the strip of slabs for a chain, the graph of its branches and joins otherwise. */
export function diagramSvg(inputShape: readonly number[], layers: readonly LayerView[]): string {
  return isChain(layers.map((l) => l.inputs)) ? stripSvg(inputShape, layers) : graphSvg(inputShape, layers);
}

/** The input then every drawn layer, left to right. */
function stripSvg(inputShape: readonly number[], layers: readonly LayerView[]): string {
  const blocks: Block[] = [{ layer: -1, kind: 'input', label: shapeLabel(inputShape), title: `input ${shapeLabel(inputShape)}`, shape: inputShape }];
  for (const l of layers) {
    if (DRAWN.has(l.kind)) blocks.push({ layer: l.index, kind: l.kind, label: shapeLabel(l.shape), title: `${l.index}: ${l.text} → ${shapeLabel(l.shape)}`, shape: l.shape });
  }
  const maps = blocks.filter((b) => b.shape.length === 3);
  const maxH = Math.max(1, ...maps.map((b) => b.shape[1]));
  const maxW = Math.max(1, ...maps.map((b) => b.shape[2]));
  const FRONT = 130;
  const DEPTH = 44;
  const sizes = blocks.map((b) => {
    if (b.shape.length === 3 && b.shape[1] * b.shape[2] > 1) {
      const [c, h, w] = b.shape;
      return { thick: 3 + 2.4 * Math.log2(c + 1), tall: Math.max(6, (FRONT * h) / maxH), deep: Math.max(3, (DEPTH * w) / maxW) };
    }
    const n = b.shape.reduce((x, y) => x * y, 1);
    return { thick: 6, tall: Math.min(FRONT, 10 + 9 * Math.log2(n + 1)), deep: 3 };
  });
  const top = 10 + DEPTH * 0.5;
  const mid = top + FRONT / 2;
  let x = 8;
  const parts: string[] = [];
  const labels: string[] = [];
  blocks.forEach((b, i) => {
    const { thick, tall, deep } = sizes[i];
    const dx = deep * 0.7;
    const dy = deep * 0.5;
    const y0 = mid - tall / 2;
    const y1 = mid + tall / 2;
    const x1 = x + thick;
    const pts = (p: number[][]) => p.map(([a, c]) => `${a.toFixed(1)},${c.toFixed(1)}`).join(' ');
    parts.push(
      `<g class="blk blk-${b.kind}" data-layer="${b.layer}" data-shape="${b.shape.join('x')}" tabindex="0"><title>${esc(b.title)}</title>`
      + `<polygon class="face side" points="${pts([[x1, y0], [x1 + dx, y0 - dy], [x1 + dx, y1 - dy], [x1, y1]])}"/>`
      + `<polygon class="face top" points="${pts([[x, y0], [x + dx, y0 - dy], [x1 + dx, y0 - dy], [x1, y0]])}"/>`
      + `<rect class="face front" x="${x.toFixed(1)}" y="${y0.toFixed(1)}" width="${thick.toFixed(1)}" height="${tall.toFixed(1)}"/></g>`,
    );
    const prev = blocks[i - 1];
    if (!prev || prev.label !== b.label) {
      const lx = x + thick / 2;
      const ly = top + FRONT + 14;
      labels.push(`<text class="blk-label" x="${lx.toFixed(1)}" y="${ly.toFixed(1)}" transform="rotate(40 ${lx.toFixed(1)} ${ly.toFixed(1)})">${esc(b.label)}</text>`);
    }
    const next = blocks[i + 1];
    x = x1 + (next && next.label !== b.label ? dx + 10 : 3);
  });
  const width = Math.ceil(x + DEPTH + 60);
  const height = Math.ceil(top + FRONT + 90);
  return `<svg xmlns="http://www.w3.org/2000/svg" id="diagram-svg" class="diagram-svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="network diagram">${parts.join('')}${labels.join('')}</svg>`;
}

function shapeLabel(shape: readonly number[]): string {
  return shape.join('×');
}

/** Layers that merge several inputs: drawn as joins. */
const MERGES = new Set(['add', 'concat', 'mul']);
/** Element-wise layers left out of the graph, as the strip leaves them out: their edges pass through. */
const QUIET = new Set(['relu', 'relu6', 'sigmoid', 'tanh', 'silu', 'hardswish', 'hardsigmoid', 'leakyrelu', 'bn', 'dropout']);
/** Kinds with a colour of their own in the stylesheet (the rest are `blk-other`). */
const COLOURED = new Set([...DRAWN, 'add', 'concat', 'mul']);

/**
 * A branching network as a graph: a box per layer (element-wise layers left out), placed by graphLayout
 * (a column per step, a row per branch), and an edge from each input to its reader, so a merge is a
 * box with several incoming edges. Each edge carries data-from and data-to (layer indices, −1 the input).
 */
function graphSvg(inputShape: readonly number[], layers: readonly LayerView[]): string {
  // The drawn layer that stands for each layer: itself, or for a quiet layer the one it reads.
  const rep: number[] = [];
  const drawn: LayerView[] = [];
  for (const l of layers) {
    const quiet = QUIET.has(l.kind) && l.inputs.length === 1;
    rep.push(quiet ? (l.inputs[0] < 0 ? -1 : rep[l.inputs[0]]) : l.index);
    if (!quiet) drawn.push(l);
  }
  const position = new Map(drawn.map((l, i) => [l.index, i]));
  const from = drawn.map((l) => l.inputs.map((j) => (j < 0 || rep[j] < 0 ? -1 : position.get(rep[j])!)));
  const g = graphLayout(from);
  const W = 70, H = 22, DX = 88, DY = 38, PAD = 8, TOP = 30;
  const at = (c: { col: number; row: number }) => ({ x: PAD + c.col * DX, y: TOP + c.row * DY });
  const cellOf = (i: number) => (i < 0 ? g.input : g.layers[i]);
  const layerOf = (i: number) => (i < 0 ? -1 : drawn[i].index);
  const edges: string[] = [];
  from.forEach((ins, t) => {
    for (const s of ins) {
      const a = at(cellOf(s)), b = at(cellOf(t));
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
      // A shortcut along its own row passes over the boxes between as an arc; other edges are S-curves.
      const d = y1 === y2 && cellOf(t).col - cellOf(s).col > 1
        ? `M${x1 - W / 2},${a.y} C${x1 - W / 2},${a.y - 26} ${x2 + W / 2},${b.y - 26} ${x2 + W / 2},${b.y}`
        : `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`;
      edges.push(`<path class="gedge" data-from="${layerOf(s)}" data-to="${layerOf(t)}" d="${d}"/>`);
    }
  });
  const node = (layer: number, kind: string, label: string, title: string, c: { col: number; row: number }, join: boolean, shape: readonly number[]) => {
    const p = at(c);
    return `<g class="blk gnode blk-${COLOURED.has(kind) ? kind : kind === 'input' ? 'input' : 'other'}${join ? ' join' : ''}" data-layer="${layer}" data-kind="${esc(kind)}" data-shape="${shape.join('x')}" tabindex="0">`
      + `<title>${esc(title)}</title><rect class="face front" x="${p.x}" y="${p.y}" width="${W}" height="${H}" rx="3"/>`
      + `<text class="gnode-label" x="${p.x + W / 2}" y="${p.y + H / 2 + 3.5}" text-anchor="middle">${esc(label)}</text></g>`;
  };
  const nodes = [node(-1, 'input', 'input', `input ${shapeLabel(inputShape)}`, g.input, false, inputShape)];
  drawn.forEach((l, i) => {
    const join = MERGES.has(l.kind);
    const label = join ? l.kind : l.text.replace(/^[\w.-]+:\s*/, '').split(/\s+/)[0].slice(0, 11);
    nodes.push(node(l.index, l.kind, label, `${l.index}: ${l.text} → ${shapeLabel(l.shape)}`, g.layers[i], join, l.shape));
  });
  const width = PAD * 2 + (g.cols - 1) * DX + W;
  const height = TOP + (g.rows - 1) * DY + H + PAD;
  return `<svg xmlns="http://www.w3.org/2000/svg" id="diagram-svg" class="diagram-svg diagram-graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="network graph">${edges.join('')}${nodes.join('')}</svg>`;
}
