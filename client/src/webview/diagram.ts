/**
 * The network drawn as in the VGG paper's figure: each layer that changes the shape is a slab whose
 * height follows the map's height, whose depth follows its width and whose thickness grows with the
 * number of channels (logarithmically, or VGG's 512-channel slabs would fill the page); vectors are
 * thin bars. Layers that keep the shape (activations, dropout, batch norm) are left out, as the figure
 * leaves out the ReLUs. Returns SVG markup with presentation attributes only (the page's policy
 * forbids inline styles); colours come from the stylesheet by class.
 */
import type { LayerView } from '../run/messages.js';

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

/** The SVG of the network: the input then every drawn layer, left to right. */
export function diagramSvg(inputShape: readonly number[], layers: readonly LayerView[]): string {
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
