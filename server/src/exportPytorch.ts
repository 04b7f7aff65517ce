/**
 * `cnnlab export --format pytorch` and the extension's "Export as PyTorch…": write the `.py`, and with
 * weights (a file, or a seed for the deterministic initialisation) the safetensors file beside it.
 */
import type { Analysis } from './analysis/analyze.js';
import { exportPytorch, stateDict, writeStateDict } from './interop/pytorch.js';
import { paramsFromSafetensors } from './engine/loadweights.js';
import { initParams } from './engine/weights.js';
import { planRun } from './run/plan.js';

/** What to write: the source, and the weights' bytes when asked for. */
export interface PytorchFiles {
  readonly source: string;
  readonly weights?: Uint8Array;
  readonly className: string;
  readonly tensors?: number;
}

/**
 * The files of a PyTorch export of network `name` (or the first): `weights` (a safetensors file's
 * bytes, loaded by our rule) or `seed` (He initialisation) make the state_dict file too.
 */
export function pytorchFiles(a: Analysis, source: string, opts: { network?: string; weights?: { bytes: Uint8Array; fileName: string }; seed?: number } = {}): PytorchFiles {
  const net = opts.network === undefined ? a.networks[0] : a.networks.find((n) => n.name === opts.network);
  if (!net) throw new Error(opts.network === undefined ? 'the file has no network' : `no network named '${opts.network}' (the file has: ${a.networks.map((n) => n.name).join(', ') || 'none'})`);
  const exp = exportPytorch(a, net, source);
  if (!opts.weights && opts.seed === undefined) return { source: exp.source, className: exp.className };
  // Weights need a runnable network (shapes known, no errors); no budget: nothing runs here.
  const plan = planRun(a, net.name, { maxMacs: Infinity, maxMemoryBytes: Infinity }, 'last');
  // The weights modules directly, not the engine's index: the extension bundles this without the image decoders.
  const params = opts.weights
    ? paramsFromSafetensors(opts.weights.bytes, plan.inputShape, plan.layers, opts.weights.fileName, plan.inputs, { paths: plan.paths, lines: plan.lines })
    : initParams(plan.inputShape, plan.layers, opts.seed ?? 0, plan.inputs);
  const tensors = stateDict(net, params, exp.paths);
  return { source: exp.source, className: exp.className, weights: writeStateDict(tensors), tensors: tensors.length };
}
