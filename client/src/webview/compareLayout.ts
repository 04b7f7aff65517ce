/**
 * The comparison view's arithmetic, kept apart from the DOM so it can be tested: the order of the
 * networks when a column is sorted, the stages' legend and colours, and the geometry of the stacked
 * bars (one bar per network, one segment per stage, on a scale shared by every network).
 */
import type { CompareNetwork, CompareStage } from '../../../server/src/analysis/compare.js';

/** Columns the table sorts by; `file` is the order of the networks in the file. */
export type SortKey = 'file' | 'name' | 'weightLayers' | 'params' | 'macs' | 'activations' | 'paramBytes' | 'fcShare' | 'rf';

/** A sort direction. */
export type SortDir = 'asc' | 'desc';

/** What a network must have to be sorted and drawn (the comparison record, less what the view does not read). */
export type ComparedNetwork = Pick<CompareNetwork, 'name' | 'weightLayers' | 'params' | 'macs' | 'activations' | 'paramBytes' | 'fcShare' | 'rf' | 'stages'>;

/** The value a network sorts by: a field's area for rf (h·w), −1 when unknown so it sorts first ascending. */
function sortValue(n: ComparedNetwork, key: Exclude<SortKey, 'file' | 'name'>): number {
  if (key === 'rf') return n.rf ? n.rf[0] * n.rf[1] : -1;
  return n[key];
}

/**
 * The networks in the order of a column, ties kept in file order; returns indices into `networks`
 * so the caller can reorder rows and bars alike.
 */
export function sortOrder(networks: readonly ComparedNetwork[], key: SortKey, dir: SortDir): number[] {
  const idx = networks.map((_, i) => i);
  if (key === 'file') return dir === 'asc' ? idx : idx.reverse();
  const sign = dir === 'asc' ? 1 : -1;
  return idx.sort((a, b) => {
    const d = key === 'name'
      ? networks[a].name.localeCompare(networks[b].name)
      : sortValue(networks[a], key) - sortValue(networks[b], key);
    return d !== 0 ? sign * d : a - b;
  });
}

/** A column and direction the table is sorted by. */
export interface SortState { readonly key: SortKey; readonly dir: SortDir }

/**
 * The sort after a click on a heading: a new column sorts largest first (names A to Z), a second
 * click turns the order round, a third goes back to the file's order.
 */
export function nextSort(cur: SortState, key: SortKey): SortState {
  const first: SortDir = key === 'name' ? 'asc' : 'desc';
  if (cur.key !== key) return { key, dir: first };
  if (cur.dir === first) return { key, dir: first === 'asc' ? 'desc' : 'asc' };
  return { key: 'file', dir: 'asc' };
}

/** One entry of the stages' legend. */
export interface LegendEntry {
  readonly key: string;
  /** `stage 2`, `head`. */
  readonly label: string;
  readonly color: string;
}

/** Stage keys in order: s0, s1, … by number, the head last. */
function keyRank(key: string): number {
  return key === 'head' ? Number.MAX_SAFE_INTEGER : Number(key.slice(1));
}

/**
 * The colour of a stage: stage k at a hue that walks round the wheel (so neighbouring stages differ),
 * the head grey. The same key has the same colour in every network and every chart.
 */
export function stageColor(key: string): string {
  if (key === 'head') return 'hsl(0, 0%, 55%)';
  const k = keyRank(key);
  return `hsl(${(210 + k * 137.5) % 360}, 60%, 52%)`;
}

/**
 * The legend: every stage key that has parameters or MACs in some network (a stage of one pooling
 * layer draws nothing), in order; with its H×W when every network that has it agrees on it.
 */
export function legend(networks: readonly ComparedNetwork[]): LegendEntry[] {
  const sizes = new Map<string, Set<string>>();
  for (const n of networks) {
    for (const s of n.stages) {
      if (s.params <= 0 && s.macs <= 0) continue;
      const set = sizes.get(s.key) ?? new Set<string>();
      set.add(s.size ? `${s.size[0]}×${s.size[1]}` : '?');
      sizes.set(s.key, set);
    }
  }
  return [...sizes.keys()].sort((a, b) => keyRank(a) - keyRank(b)).map((key) => {
    const only = sizes.get(key)!.size === 1 ? [...sizes.get(key)!][0] : '?';
    const label = key === 'head' ? 'head' : `stage ${keyRank(key)}${only !== '?' ? ` (${only})` : ''}`;
    return { key, label, color: stageColor(key) };
  });
}

/** One stage's segment of a bar, in pixels from the bar's start. */
export interface Segment {
  readonly key: string;
  /** The stage's label with its size, e.g. `stage 1 (112×112)`. */
  readonly label: string;
  readonly value: number;
  readonly x: number;
  readonly width: number;
  readonly color: string;
}

/** One network's bar. */
export interface Bar {
  /** Index of the network in the array given (file order). */
  readonly index: number;
  readonly name: string;
  readonly total: number;
  /** The bar's length in pixels: total / the largest total × the chart width. */
  readonly width: number;
  /** Non-empty stages only, in stage order, laid end to end from x = 0. */
  readonly segments: readonly Segment[];
}

/** The figures a bar chart can show. */
export type BarMetric = 'params' | 'macs';

/**
 * Bars for one metric, in the given order, scaled so the largest total fills `width` pixels.
 * Segments are the stages' shares of the metric, so a bar's segments add up to its length.
 */
export function barLayout(networks: readonly ComparedNetwork[], order: readonly number[], metric: BarMetric, width: number): Bar[] {
  const max = Math.max(0, ...networks.map((n) => n[metric]));
  const scale = max > 0 ? width / max : 0;
  return order.map((index) => {
    const n = networks[index];
    let x = 0;
    const segments: Segment[] = [];
    for (const s of n.stages as readonly CompareStage[]) {
      const value = s[metric];
      if (value <= 0) continue;
      const w = value * scale;
      segments.push({ key: s.key, label: s.label, value, x, width: w, color: stageColor(s.key) });
      x += w;
    }
    return { index, name: n.name, total: n[metric], width: n[metric] * scale, segments };
  });
}

/** MB (10^6 bytes) with one decimal. */
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** 15.47 G, 1.79 M, 740 */
export function short(n: number): string {
  for (const [v, u] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) if (Math.abs(n) >= v) return `${(n / v).toFixed(2)} ${u}`;
  return String(n);
}

/** The text of each cell of a network's row, by column key (as the CLI's table has them). */
export function cells(n: ComparedNetwork & { readonly activationBytes: number; readonly rfApproximate?: boolean }): Record<Exclude<SortKey, 'file'>, string> {
  const rf = n.rf ? (n.rfApproximate ? '≈' : '') + (n.rf[0] === n.rf[1] ? String(n.rf[0]) : `${n.rf[0]}×${n.rf[1]}`) : '?';
  return {
    name: n.name, weightLayers: String(n.weightLayers), params: short(n.params), macs: short(n.macs),
    activations: mb(n.activationBytes), paramBytes: mb(n.paramBytes), fcShare: `${(100 * n.fcShare).toFixed(1)}%`, rf,
  };
}
