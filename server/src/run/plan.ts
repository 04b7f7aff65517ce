/**
 * Which network a run runs and whether it may: pick the network, refuse one with errors or over
 * budget (saying the estimate). Shared by `cnnlab run` and the VS Code run worker, which the extension
 * asks before it asks for an image (the Budget itself is in budget.ts).
 */
import type { Analysis, NetworkResult } from '../analysis/analyze.js';
import { KINDS } from '../language/kinds.js';
import type { LayerSpec } from '../language/types.js';
import { fmtInt, fmtBytes, fmtSi } from '../language/format.js';
import { DEFAULT_BUDGET, type Budget } from './budget.js';
import { modulePaths } from '../language/paths.js';

/** A network ready to run, with what it will cost. */
export interface RunPlan {
  readonly network: NetworkResult;
  readonly inputShape: readonly [number, number, number];
  readonly layers: readonly LayerSpec[];
  /** Each layer's input layers (−1: the network input), in execution order: the graph's edges for forward. */
  readonly inputs: readonly (readonly number[])[];
  readonly normalise?: 'imagenet';
  /** Each layer's module path (language/paths.ts; undefined for merges): the weights load by these names. */
  readonly paths: readonly (string | undefined)[];
  /** Each layer's 1-based line in the file, for messages. */
  readonly lines: readonly number[];
  readonly macs: number;
  /** Which outputs the run keeps (forward's `keep`): 'all' for the panel, 'last' for the CLI. */
  readonly keep: 'all' | 'last';
  /**
   * What the run holds at its fullest, in bytes: the input, the parameters and the outputs — all of them
   * with keep 'all', else the most that are alive at once (an output lives until its last reader has run).
   * A layer that passes its input on (flatten, dropout) shares its buffer and is not counted again.
   */
  readonly memoryBytes: number;
}

/** Who asks for the run, which decides how the budget refusal says to raise the budget. */
export type BudgetCaller = 'cli' | 'editor';

/** How each caller raises the budget: the editor's settings, or the command line's flags. */
const RAISE: Record<BudgetCaller, string> = {
  cli: 'raise the MACs budget with --max-gmacs',
  editor: 'raise the budget in the settings cnnLab.run.maxGigaMacs / cnnLab.run.maxMemoryMB',
};

/**
 * Picks a network by name (or the only/first one) and checks it can run. Throws with a clear message.
 * `keep` is what the run will keep (forward's option), which decides the memory it needs.
 */
export function planRun(a: Analysis, name?: string, budget: Budget = DEFAULT_BUDGET, keep: 'all' | 'last' = 'all', caller: BudgetCaller = 'cli'): RunPlan {
  const network = name === undefined ? a.networks[0] : a.networks.find((n) => n.name === name);
  if (!network) {
    throw new Error(name === undefined ? 'the file has no network' : `no network named '${name}' (the file has: ${a.networks.map((n) => n.name).join(', ') || 'none'})`);
  }
  const input = network.decl.input;
  if (!input) throw new Error(`network '${network.name}' has no \`input\` line`);
  const errors = a.diagnostics.filter((d) => d.severity === 'error' && d.span.start >= network.decl.span.start && d.span.start <= network.decl.span.end);
  if (errors.length || !network.totals.complete) {
    const first = errors[0];
    const where = first ? ` (line ${a.lines.position(first.span.start).line + 1}: ${first.message})` : '';
    throw new Error(`network '${network.name}' has ${errors.length || 'some'} error${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} before running${where}`);
  }
  const t = network.totals;
  const inputs = network.layers.map((l) => l.inputs);
  const sizes = network.layers.map((l) => (l.out ?? []).reduce((x, y) => x * y, 1));
  const shares = network.layers.map((l) => KINDS[l.decl.spec.kind].sharesInput === true);
  const memoryBytes = 4 * heldActivations(inputs, sizes, shares, keep) + t.paramBytes + 4 * input.shape.reduce((x, y) => x * y, 1);
  const plan: RunPlan = {
    network, inputShape: input.shape, layers: network.layers.map(concreteSpec), inputs, normalise: input.normalise, macs: t.macs, keep, memoryBytes,
    paths: modulePaths(network.decl.layers), lines: network.layers.map((l) => a.lines.position(l.decl.stmt.span.start).line + 1),
  };
  if (plan.macs > budget.maxMacs || plan.memoryBytes > budget.maxMemoryBytes) {
    throw new Error(`this run would take ${fmtSi(plan.macs)}MACs (${fmtInt(plan.macs)}) and ${fmtBytes(plan.memoryBytes)} of memory, over the budget of ` +
      `${fmtSi(budget.maxMacs)}MACs and ${fmtBytes(budget.maxMemoryBytes)}; ${RAISE[caller]} if you mean it`);
  }
  return plan;
}

/** The spec as the engine runs it: a `dwconv` gets its channel count (groups = in = out channels) from the analysis. */
function concreteSpec(l: NetworkResult['layers'][number]): LayerSpec {
  const s = l.decl.spec;
  if (s.kind !== 'conv' || !s.depthwise || !l.in) return s;
  return { ...s, outChannels: l.in[0], groups: l.in[0] };
}

/**
 * The most output values a run holds at once, following forward's schedule: layer i's output is
 * allocated while its inputs are alive; after it, every output whose last reader was i goes (and, with
 * keep 'last', an output nobody reads, except the last). An output that shares its input's buffer
 * (`shares`) adds nothing, and the buffer goes when the last output over it does. With keep 'all'
 * nothing goes, so this is every buffer's size.
 */
export function heldActivations(
  inputs: readonly (readonly number[])[], sizes: readonly number[], shares: readonly boolean[], keep: 'all' | 'last',
): number {
  const n = inputs.length;
  const lastReader = inputs.map((_, i) => i);
  inputs.forEach((ids, i) => {
    for (const j of ids) if (j >= 0) lastReader[j] = Math.max(lastReader[j], i);
  });
  // Each output's buffer: its own, or (for a pass-through) the buffer of what it reads; −1 is the input's.
  const buffer = inputs.map(() => -1);
  const holders = new Map<number, number>();
  let live = 0;
  let peak = 0;
  const release = (j: number): void => {
    const b = buffer[j];
    const left = holders.get(b)! - 1;
    holders.set(b, left);
    if (left === 0 && b >= 0) live -= sizes[b];
  };
  for (let i = 0; i < n; i++) {
    const from = inputs[i][0];
    buffer[i] = shares[i] ? (from < 0 ? -1 : buffer[from]) : i;
    if (!shares[i]) live += sizes[i];
    holders.set(buffer[i], (holders.get(buffer[i]) ?? 0) + 1);
    peak = Math.max(peak, live);
    if (keep === 'all') continue;
    for (const j of new Set(inputs[i])) if (j >= 0 && j < n - 1 && lastReader[j] === i) release(j);
    if (i < n - 1 && lastReader[i] === i) release(i);
  }
  return peak;
}
