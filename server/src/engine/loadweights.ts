/**
 * Matching a state_dict's tensors to the network's layers. Tensors are grouped by name prefix
 * (everything before the last dot); the layers that take a group are those with parameters (conv, fc,
 * bn; a conv with a teaching kernel keeps its fixed weight and takes nothing). Inside a group the
 * PyTorch names weight, bias, running_mean and running_var are used and num_batches_tracked is ignored.
 *
 * By name: when every group's prefix is the module path of a layer with parameters (language/paths.ts)
 * and every such layer has its group, each layer takes the group of its path.
 *
 * Otherwise in order: sort the groups in natural order ('features.10' after 'features.9') and hand
 * them to the layers with parameters in execution order (in a graph: a residual's body before its
 * shortcut, branches in order).
 *
 * One refinement makes torchvision checkpoints load as they are: their top-level containers sort
 * alphabetically ('classifier' before 'features'). When the natural order does not fit and the names
 * start with two to five distinct non-numeric containers, every order of those containers is tried and
 * the single one whose shapes all fit is used.
 */
import type { LayerSpec } from '../language/types.js';
import { looksLikePickle, parsePth } from './pth.js';
import { parseSafetensors, type SafeTensor } from './safetensors.js';
import { firstInputShapes, hasParams, layerName, layerParamShapes } from './shapes.js';
import { sameShape, shapeStr } from './tensor.js';
import { PARAM_NAMES, teachingParams, type LayerParams } from './weights.js';
import { looksLikeZip } from './zip.js';

const IGNORED_SUFFIXES = new Set(['num_batches_tracked']);
const USED_SUFFIXES = new Set<string>(PARAM_NAMES.map(([, torchName]) => torchName));

/** Items listed in a message before the rest are counted: "a, b, …, h and 19,992 more". */
const LISTED = 8;

/**
 * A list for a one-line message: all of `items` when there are at most `max`, else the first `max`
 * and how many more (a file with 20,000 tensor groups must not make a 200 KB message).
 */
export function listSome(items: readonly string[], max = LISTED): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${(items.length - max).toLocaleString('en-US')} more`;
}

/** Compares strings with digit runs compared as numbers, so 'features.10' sorts after 'features.9'. */
export function naturalCompare(a: string, b: string): number {
  const ra = a.match(/\d+|\D+/g) ?? [];
  const rb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i];
    const y = rb[i];
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length; // '01' vs '1': equal value, order by spelling to stay total
    }
    return x < y ? -1 : 1;
  }
  return ra.length - rb.length;
}

/** A prefix and its tensors keyed by suffix. */
interface Group {
  readonly prefix: string;
  readonly tensors: Map<string, SafeTensor>;
}

/** Splits tensors into groups by prefix; unknown suffixes are an error, ignored ones are dropped. */
function groupTensors(tensors: readonly SafeTensor[], label: string): Group[] {
  const groups = new Map<string, Map<string, SafeTensor>>();
  for (const t of tensors) {
    const dot = t.name.lastIndexOf('.');
    const prefix = dot < 0 ? '' : t.name.slice(0, dot);
    const suffix = t.name.slice(dot + 1);
    if (IGNORED_SUFFIXES.has(suffix)) continue;
    if (!USED_SUFFIXES.has(suffix)) {
      throw new Error(`${label}: tensor '${t.name}' ends in '${suffix}'; expected weight, bias, running_mean or running_var`);
    }
    let g = groups.get(prefix);
    if (!g) groups.set(prefix, (g = new Map()));
    g.set(suffix, t);
  }
  return [...groups].map(([prefix, m]) => ({ prefix, tensors: m }));
}

/** Where the layers come from, for loading by name and for messages; both indexed like the layers. */
export interface LayerNames {
  /** Each layer's module path (language/paths.ts), undefined for merges. */
  readonly paths?: readonly (string | undefined)[];
  /** Each layer's 1-based line in the .cnn file. */
  readonly lines?: readonly number[];
}

/** "layer 12 (conv, line 40, 'layer1.0.conv1')": the index, kind, line and path a message names. */
function describe(li: number, spec: LayerSpec, names: LayerNames): string {
  const extra = [names.lines ? `line ${names.lines[li]}` : '', names.paths?.[li] ? `'${names.paths[li]}'` : ''].filter(Boolean);
  return extra.length ? layerName(li, spec).replace(/\)$/, `, ${extra.join(', ')})`) : layerName(li, spec);
}

/** Assigns groups[gi] to layers[targets[gi]], or throws the first mismatch found. */
function assign(
  groups: readonly Group[], layers: readonly LayerSpec[], inShapes: readonly (readonly number[])[],
  targets: readonly number[], label: string, names: LayerNames,
): LayerParams[] {
  const params: LayerParams[] = layers.map((spec, i) => teachingParams(spec, inShapes[i]));
  targets.forEach((li, gi) => {
    const spec = layers[li];
    const group = groups[gi];
    const shapes = layerParamShapes(spec, inShapes[li]);
    const p: LayerParams = {};
    const what = describe(li, spec, names);
    for (const [key, torchName] of PARAM_NAMES) {
      const want = shapes[key];
      const t = group.tensors.get(torchName);
      const fullName = group.prefix ? `${group.prefix}.${torchName}` : torchName;
      if (want && !t) {
        throw new Error(`${label}: ${what} needs tensor '${fullName}' of shape ${shapeStr(want)}, which the file does not have`);
      }
      if (!t) continue;
      if (!want) {
        throw new Error(`${label}: ${what} has no ${torchName}, but the file has tensor '${fullName}' of shape ${shapeStr(t.shape)}`);
      }
      if (!sameShape(t.shape, want)) {
        throw new Error(`${label}: ${what}: tensor '${fullName}' has shape ${shapeStr(t.shape)}, the layer needs ${shapeStr(want)}`);
      }
      if (!t.data) throw new Error(`${label}: ${what}: tensor '${fullName}' has dtype ${t.dtype}; expected a float type`);
      p[key] = t.data;
    }
    params[li] = p;
  });
  return params;
}

/** Every ordering of `items` (for the handful of top-level containers a checkpoint has). */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/**
 * The groups in the order of `targets` when they match by name (every group's prefix is the path of
 * one target, every target has its group), else undefined; `matched` counts groups whose prefix is a
 * target's path, for the message when neither rule fits.
 */
function byName(groups: readonly Group[], targets: readonly number[], paths: readonly (string | undefined)[] | undefined): { order?: Group[]; matched: number } {
  if (!paths) return { matched: 0 };
  const index = new Map<string, number>();
  let unique = true;
  for (const li of targets) {
    const p = paths[li];
    if (p === undefined || index.has(p)) unique = false;
    else index.set(p, li);
  }
  const matched = groups.filter((g) => index.has(g.prefix)).length;
  if (!unique || matched !== groups.length || groups.length !== targets.length) return { matched };
  const byPath = new Map(groups.map((g) => [g.prefix, g]));
  return { order: targets.map((li) => byPath.get(paths[li]!)!), matched };
}

/** Parameters for every layer from a state_dict's tensors by the loading rule above. */
export function paramsFromTensors(
  tensors: readonly SafeTensor[], inputShape: readonly number[], layers: readonly LayerSpec[], label = 'weights',
  inputs?: readonly (readonly number[])[], names: LayerNames = {},
): LayerParams[] {
  const inShapes = firstInputShapes(inputShape, layers, inputs);
  const targets = layers.flatMap((spec, i) => (hasParams(spec) && !(spec.kind === 'conv' && spec.teaching) ? [i] : []));
  const groups = groupTensors(tensors, label).sort((a, b) => naturalCompare(a.prefix, b.prefix));

  const named = byName(groups, targets, names.paths);
  if (named.order) return assign(named.order, layers, inShapes, targets, label, names);
  try {
    return inOrder(groups, layers, inShapes, targets, label, names);
  } catch (orderError) {
    // Most names match: the file was meant to load by name, so say which names do not.
    if (names.paths && named.matched > 0 && named.matched * 2 >= groups.length) throw nameMismatch(groups, layers, targets, label, names, named.matched);
    throw orderError;
  }
}

/** The error for a file most of whose names are module paths: the names no layer has, the layers without tensors. */
function nameMismatch(groups: readonly Group[], layers: readonly LayerSpec[], targets: readonly number[], label: string, names: LayerNames, matched: number): Error {
  const paths = names.paths!;
  const known = new Set(targets.map((li) => paths[li]));
  const have = new Set(groups.map((g) => g.prefix));
  const list = (items: string[]) => `${items.slice(0, 5).join(', ')}${items.length > 5 ? ` and ${items.length - 5} more` : ''}`;
  const strays = groups.filter((g) => !known.has(g.prefix)).map((g) => `'${g.prefix}' (${[...g.tensors.keys()].join(', ')})`);
  const missing = targets.filter((li) => !have.has(paths[li] ?? '')).map((li) => describe(li, layers[li], names));
  const dupes = targets.filter((li, k) => targets.findIndex((lj) => paths[lj] === paths[li]) !== k).map((li) => describe(li, layers[li], names));
  return new Error(`${label}: ${matched} of the file's ${groups.length} tensor groups are named after layers, but not all: ` +
    [strays.length ? `no layer has the path of ${list(strays)}` : '', missing.length ? `no tensors for ${list(missing)}` : '',
      dupes.length ? `two layers share the path of ${list(dupes)}` : ''].filter(Boolean).join('; ') +
    ' (label the layers with the module paths, see the README\'s "Module paths")');
}

/** The order rule: groups in natural order to the layers with parameters in execution order (containers permuted if that fits). */
function inOrder(
  groups: readonly Group[], layers: readonly LayerSpec[], inShapes: readonly (readonly number[])[], targets: readonly number[], label: string, names: LayerNames,
): LayerParams[] {
  if (groups.length !== targets.length) {
    const teaching = layers.some((s) => s.kind === 'conv' && s.teaching) ? ' (convs with a teaching kernel take none)' : '';
    const have = listSome(groups.map((g) => g.prefix || '(no prefix)'));
    const want = listSome(targets.map((i) => `${i}:${layers[i].kind}`));
    throw new Error(
      `${label}: the file has ${groups.length} parameter groups [${have}] but the network has ${targets.length} layers with parameters${teaching} [${want}]`,
    );
  }

  try {
    return assign(groups, layers, inShapes, targets, label, names);
  } catch (naturalError) {
    const top = (g: Group): string => g.prefix.split('.')[0];
    const containers = [...new Set(groups.map(top))];
    if (containers.length < 2 || containers.length > 5 || containers.some((c) => /^\d/.test(c))) throw naturalError;
    const fits: LayerParams[][] = [];
    for (const order of permutations(containers)) {
      const rank = new Map(order.map((c, i) => [c, i]));
      const reordered = [...groups].sort((a, b) => rank.get(top(a))! - rank.get(top(b))! || naturalCompare(a.prefix, b.prefix));
      try {
        fits.push(assign(reordered, layers, inShapes, targets, label, names));
      } catch {
        // This order does not fit; try the next.
      }
    }
    if (fits.length === 1) return fits[0];
    if (fits.length > 1) {
      throw new Error(`${label}: the containers [${listSome(containers)}] fit the layers in ${fits.length} different orders; save the state_dict of an nn.Sequential instead`);
    }
    throw naturalError;
  }
}

/**
 * Parses a safetensors file and assigns its tensors to the layers; `label` (the file name) prefixes
 * errors; `inputs` gives a graph's edges (a chain without it).
 */
export function paramsFromSafetensors(
  bytes: Uint8Array, inputShape: readonly number[], layers: readonly LayerSpec[], label = 'weights',
  inputs?: readonly (readonly number[])[], names: LayerNames = {},
): LayerParams[] {
  return paramsFromTensors(parseSafetensors(bytes, label), inputShape, layers, label, inputs, names);
}

/**
 * The tensors of a weights file, by its content rather than its name: a ZIP archive is read as a
 * `torch.save` checkpoint (.pth/.pt), anything else as safetensors. `label` (the file name) prefixes errors.
 */
export function readWeightsFile(bytes: Uint8Array, label = 'weights'): SafeTensor[] {
  if (looksLikeZip(bytes)) return parsePth(bytes, label);
  if (looksLikePickle(bytes)) {
    throw new Error(`${label}: is a PyTorch file in the format before torch 1.6 (or saved with _use_new_zipfile_serialization=False); ` +
      'load it in PyTorch and torch.save its state_dict again, or save it as .safetensors');
  }
  return parseSafetensors(bytes, label);
}

/**
 * Reads a weights file (.safetensors, or a .pth/.pt from torch.save) and assigns its tensors to the
 * layers; `label` (the file name) prefixes errors; `inputs` gives a graph's edges (a chain without it).
 */
export function paramsFromWeights(
  bytes: Uint8Array, inputShape: readonly number[], layers: readonly LayerSpec[], label = 'weights',
  inputs?: readonly (readonly number[])[], names: LayerNames = {},
): LayerParams[] {
  return paramsFromTensors(readWeightsFile(bytes, label), inputShape, layers, label, inputs, names);
}

/** Total number of float parameters in a params list, for reporting what was loaded. */
export function countParams(params: readonly LayerParams[]): number {
  let n = 0;
  for (const p of params) for (const [key] of PARAM_NAMES) n += p[key]?.length ?? 0;
  return n;
}
