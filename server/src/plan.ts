/**
 * Which network a run runs and whether it may: pick the network, refuse one with errors or over
 * budget (saying the estimate). Shared by `cnnlab run`, the VS Code worker and the extension, which
 * checks before asking for an image; no engine here, so the extension's bundle carries no decoders.
 */
import type { Analysis, NetworkResult } from './analysis/analyze.js';
import type { LayerSpec } from './language/types.js';
import { fmtInt, fmtBytes, fmtSi } from './analysis/summary.js';

/** A network ready to run, with what it will cost. */
export interface RunPlan {
  readonly network: NetworkResult;
  readonly inputShape: readonly [number, number, number];
  readonly layers: readonly LayerSpec[];
  readonly normalise?: 'imagenet';
  readonly macs: number;
  /** Every layer's output kept (the panel shows them all) plus the parameters, in bytes. */
  readonly memoryBytes: number;
}

/** Limits a run must stay within, so a typo like conv3-99999 cannot freeze the machine. */
export interface Budget {
  readonly maxMacs: number;
  readonly maxMemoryBytes: number;
}

/** The default budget: a few VGG16 forwards, and 2 GB of memory. */
export const DEFAULT_BUDGET: Budget = { maxMacs: 100e9, maxMemoryBytes: 2e9 };

/** Picks a network by name (or the only/first one) and checks it can run. Throws with a clear message. */
export function planRun(a: Analysis, name?: string, budget: Budget = DEFAULT_BUDGET): RunPlan {
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
  if (network.decl.branching) {
    throw new Error(`network '${network.name}' branches (residual, parallel or merge lines); the engine runs straight chains only so far — its shapes, parameters and MACs are all analysed`);
  }
  const t = network.totals;
  const memoryBytes = t.activationBytes + t.paramBytes + 4 * input.shape.reduce((x, y) => x * y, 1);
  const plan: RunPlan = {
    network, inputShape: input.shape, layers: network.layers.map(concreteSpec), normalise: input.normalise, macs: t.macs, memoryBytes,
  };
  if (plan.macs > budget.maxMacs || plan.memoryBytes > budget.maxMemoryBytes) {
    throw new Error(`this run would take ${fmtSi(plan.macs)}MACs (${fmtInt(plan.macs)}) and ${fmtBytes(plan.memoryBytes)} of memory, over the budget of ` +
      `${fmtSi(budget.maxMacs)}MACs and ${fmtBytes(budget.maxMemoryBytes)}; raise the budget (cnnLab.run.maxGigaMacs / maxMemoryMB, or --max-gmacs) if you mean it`);
  }
  return plan;
}

/** The spec as the engine runs it: a `dwconv` gets its channel count (groups = in = out channels) from the analysis. */
function concreteSpec(l: NetworkResult['layers'][number]): LayerSpec {
  const s = l.decl.spec;
  if (s.kind !== 'conv' || !s.depthwise || !l.in) return s;
  return { ...s, outChannels: l.in[0], groups: l.in[0] };
}
