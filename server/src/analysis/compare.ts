/**
 * The networks of a file side by side, as the VGG paper's Table 2 and beyond: depth in weight layers,
 * parameters, MACs, activation and parameter memory, the fc layers' share and the receptive field at
 * the last feature map, plus parameters and MACs per stage for a stacked bar chart. A pure function of
 * the analysis, read by `cnnlab compare`, the `cnnLab/compare` request and the comparison view.
 */
import type { Analysis, LayerResult, NetworkResult } from './analyze.js';
import type { LayerKind, Pair } from '../language/types.js';
import { fmtInt } from './summary.js';

/**
 * The kinds the depth counts: the VGG paper's "weight layers" are its convs and fcs; a transposed conv
 * is a conv too. Batch norm has parameters but is not counted, as the paper's convention (and ResNet's
 * "18 layers") does not count it. A depthwise conv is a conv. Projection shortcuts are counted (they
 * are weight layers), so ResNet-18 has 21, not 18.
 */
const WEIGHT_KINDS: ReadonlySet<LayerKind> = new Set<LayerKind>(['conv', 'deconv', 'fc']);

/** The kinds that end the feature extractor: the first of them in execution order starts the head. */
const HEAD_KINDS: ReadonlySet<LayerKind> = new Set<LayerKind>(['fc', 'gap', 'flatten']);

/**
 * One stage of a network. Stages split at each spatial downsampling: a layer whose output H×W is
 * smaller than its input's starts the next stage (so does an upsampling, whose output is larger: a
 * U-Net's decoder gets stages of its own). A layer's stage is the highest of its inputs' stages, plus
 * one when it changes the resolution itself, so the two stride-2 paths of a ResNet block land in the
 * same stage. The first fc/gap/flatten in execution order and every layer after it form the head.
 */
export interface CompareStage {
  /** `s0`, `s1`, … (stage 0 is at the input's resolution), or `head`: the same key in every network. */
  readonly key: string;
  /** `stage 1 (112×112)`, `head`. */
  readonly label: string;
  /** H×W of the stage's feature maps (the output of its first layer), null for the head or when unknown. */
  readonly size: Pair | null;
  readonly params: number;
  readonly macs: number;
  /** Layers in the stage (every node of the graph, activations and merges included). */
  readonly layers: number;
}

/** One network's row of the comparison. */
export interface CompareNetwork {
  readonly name: string;
  /** 1-based line of the network's `network` statement (of its first statement when it has none). */
  readonly line: number;
  /** Conv, deconv and fc layers in execution order (each use of a block counts), shortcuts included. */
  readonly weightLayers: number;
  readonly params: number;
  readonly macs: number;
  /** Values in every layer's output, batch 1 (4 bytes each in float32). */
  readonly activations: number;
  readonly activationBytes: number;
  readonly paramBytes: number;
  /** fc parameters / all parameters, 0 when there are none. */
  readonly fcShare: number;
  /**
   * Receptive field [h, w] at the last feature map: the input of the first fc/gap/flatten in execution
   * order, or the last layer's output when there is none; null when that shape is unknown.
   */
  readonly rf: Pair | null;
  /** Index of the layer whose output `rf` is measured at (−1: the network input), null when unknown. */
  readonly rfLayer: number | null;
  /** Where the receptive field is measured, in words (`input of FC-4096 (#21)`). */
  readonly rfAt: string;
  /** True when an upsampling before that point made the field an approximation (shown as `≈200`). */
  readonly rfApproximate: boolean;
  readonly stages: readonly CompareStage[];
  /** False when some shape is unknown, so the figures cover only part of the network. */
  readonly complete: boolean;
}

/** The comparison of every network of a text, in file order. */
export interface Comparison {
  readonly networks: readonly CompareNetwork[];
}

/** The `--json` contract of `cnnlab compare`: exactly these keys per network. */
export interface ComparisonJson {
  readonly networks: readonly { name: string; weightLayers: number; params: number; macs: number; activations: number; fcShare: number; rf: Pair | null }[];
}

/** Compares every network of an analysis. */
export function compareNetworks(a: Analysis): Comparison {
  return { networks: a.networks.map((n) => compareNetwork(a, n)) };
}

/** Index of the first fc/gap/flatten in execution order, −1 when the network has none. */
function headStart(layers: readonly LayerResult[]): number {
  return layers.findIndex((l) => HEAD_KINDS.has(l.decl.spec.kind));
}

/** True when a layer's output map has another H×W than its input map (a downsampling or an upsampling). */
function resizes(l: LayerResult): boolean {
  const i = l.in, o = l.out;
  return !!i && !!o && i.length === 3 && o.length === 3 && (o[1] !== i[1] || o[2] !== i[2]);
}

/** One network's row. */
export function compareNetwork(a: Analysis, n: NetworkResult): CompareNetwork {
  const layers = n.layers;
  const head = headStart(layers);
  const t = n.totals;
  let weightLayers = 0;
  for (const l of layers) if (WEIGHT_KINDS.has(l.decl.spec.kind)) weightLayers++;

  // The last feature map: what the head reads, else the last layer's output.
  let rfLayer: number | null;
  let rfAt: string;
  if (head >= 0) {
    rfLayer = layers[head].inputs[0] ?? -1;
    rfAt = `input of ${layers[head].decl.text} (#${head})`;
  } else if (layers.length) {
    rfLayer = layers.length - 1;
    rfAt = `output of ${layers[rfLayer].decl.text} (#${rfLayer}, the last layer)`;
  } else {
    rfLayer = -1;
    rfAt = 'the input (no layers)';
  }
  let rf: Pair | null;
  if (rfLayer < 0) rf = n.input ? [1, 1] : null;
  else rf = layers[rfLayer].out && layers[rfLayer].rf ? layers[rfLayer].rf! : null;
  const rfApproximate = rf !== null && rfLayer! >= 0 && !!layers[rfLayer!].approximateField;
  if (rf === null) rfLayer = null;

  return {
    name: n.name,
    line: a.lines.position(n.decl.span.start).line + 1,
    weightLayers,
    params: t.params,
    macs: t.macs,
    activations: t.activations,
    activationBytes: t.activationBytes,
    paramBytes: t.paramBytes,
    fcShare: t.fcShare,
    rf: rf ? [rf[0], rf[1]] : null,
    rfLayer,
    rfAt,
    rfApproximate,
    stages: stagesOf(n, head),
    complete: t.complete,
  };
}

/** Parameters and MACs per stage (see CompareStage for the definition), stages in order, head last. */
function stagesOf(n: NetworkResult, head: number): CompareStage[] {
  const layers = n.layers;
  const stage = new Array<number>(layers.length);
  const acc = new Map<number, { size: Pair | null; params: number; macs: number; layers: number }>();
  const inputSize: Pair | null = n.input && n.input.length === 3 ? [n.input[1], n.input[2]] : null;
  const HEAD = -1;
  for (const l of layers) {
    let s: number;
    if (head >= 0 && l.index >= head) s = HEAD;
    else {
      s = 0;
      for (const j of l.inputs) if (j >= 0 && stage[j] > s) s = stage[j];
      if (resizes(l)) s++;
    }
    stage[l.index] = s;
    let e = acc.get(s);
    if (!e) {
      const out = l.out && l.out.length === 3 ? ([l.out[1], l.out[2]] as Pair) : null;
      e = { size: s === HEAD ? null : s === 0 ? inputSize ?? out : out, params: 0, macs: 0, layers: 0 };
      acc.set(s, e);
    }
    e.params += l.params;
    e.macs += l.macs;
    e.layers++;
  }
  const keys = [...acc.keys()].sort((x, y) => (x === HEAD ? 1 : y === HEAD ? -1 : x - y));
  return keys.map((s) => {
    const e = acc.get(s)!;
    const size = e.size ? `${e.size[0]}×${e.size[1]}` : '?';
    return {
      key: s === HEAD ? 'head' : `s${s}`,
      label: s === HEAD ? 'head' : `stage ${s} (${size})`,
      size: e.size, params: e.params, macs: e.macs, layers: e.layers,
    };
  });
}

/** The `--json` form: exactly name, weightLayers, params, macs, activations, fcShare and rf. */
export function comparisonJson(c: Comparison): ComparisonJson {
  return {
    networks: c.networks.map((n) => ({
      name: n.name, weightLayers: n.weightLayers, params: n.params, macs: n.macs, activations: n.activations, fcShare: n.fcShare, rf: n.rf,
    })),
  };
}

/** MB (10^6 bytes), one decimal. */
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** Parameters in millions, whole as the VGG paper's Table 2 has them, with one decimal below 10 M. */
const millions = (p: number): string => (p >= 9.95e6 ? String(Math.round(p / 1e6)) : (p / 1e6).toFixed(1));

/** The rows of the comparison table, one per network. */
export function comparisonRows(c: Comparison): string[][] {
  return c.networks.map((n) => [
    n.name, String(n.weightLayers), fmtInt(n.params), millions(n.params), fmtInt(n.macs), (n.macs / 1e9).toFixed(2),
    mb(n.activationBytes), mb(n.paramBytes), `${(100 * n.fcShare).toFixed(1)}%`,
    n.rf ? (n.rfApproximate ? '≈' : '') + (n.rf[0] === n.rf[1] ? String(n.rf[0]) : `${n.rf[0]}×${n.rf[1]}`) : '?',
  ]);
}

/** Column headings of the comparison table. */
export const COMPARE_HEAD = ['Network', 'Weight layers', 'Params', 'Params (M)', 'MACs', 'GMACs', 'Activations', 'Param memory', 'fc share', 'RF'] as const;

/** What the columns mean, printed under the table. */
export const COMPARE_NOTES: readonly string[] = [
  'Weight layers: conv, deconv and fc layers (the VGG paper\'s depth), shortcut projections included; bn not counted.',
  'Activations: every layer\'s output, float32, batch 1. Param memory: float32.',
  'RF: receptive field at the last feature map, the input of the first fc/gap/flatten in execution order (else the last layer\'s output); ≈ after an upsampling.',
];

/** A plain-text table of the comparison, in the style of `cnnlab summary`. */
export function formatComparison(c: Comparison): string {
  const rows = comparisonRows(c);
  const head = [...COMPARE_HEAD];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  const rule = '─'.repeat(widths.reduce((x, y) => x + y + 2, -2));
  const partial = c.networks.filter((n) => !n.complete).map((n) => n.name);
  return [
    rule, line(head), rule, ...rows.map(line), rule, ...COMPARE_NOTES,
    ...(partial.length ? [`Partial: some shapes are unknown in ${partial.join(', ')} (see \`cnnlab check\`); their figures cover only the layers before.`] : []),
  ].join('\n');
}
