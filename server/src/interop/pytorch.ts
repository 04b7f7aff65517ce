/**
 * Export to PyTorch: a readable `.py` with one nn.Module class per block (a `repeat` or `NAME xN`
 * becomes an nn.Sequential of instances), attributes named by the module paths (language/paths.ts),
 * so `build().state_dict()` has exactly the keys our weights load by, and a `forward` that spells out
 * the adds, concatenations and multiplications. Plus the state_dict itself, for a safetensors file
 * beside the `.py`. Plain TypeScript: the CLI and the extension write the files.
 */
import type { Analysis, LayerResult, NetworkResult } from '../analysis/analyze.js';
import { fmtInt, fmtShape, fmtSi } from '../analysis/summary.js';
import type { LayerDecl } from '../language/program.js';
import { duplicatePaths, moduleTree, type ModuleNode } from '../language/paths.js';
import type { LayerSpec } from '../language/types.js';
import { layerParamShapes } from '../engine/shapes.js';
import { PARAM_NAMES, type LayerParams } from '../engine/weights.js';

/** The exported source and what it holds. */
export interface PytorchExport {
  /** The Python file. */
  readonly source: string;
  /** The model's class name. */
  readonly className: string;
  /** Each layer's module path (undefined for merges), as the state_dict keys use them. */
  readonly paths: readonly (string | undefined)[];
}

/** One tensor of a state_dict: float32 values, or an int64 scalar (batch norm's num_batches_tracked). */
export interface StateTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

const MERGES = new Set(['add', 'concat', 'mul']);
const PY_RESERVED = new Set([
  'x', 'out', 'self', 'torch', 'nn', 'F', 'in', 'is', 'as', 'if', 'or', 'and', 'not', 'def', 'del', 'for', 'from', 'global', 'import',
  'lambda', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield', 'class', 'continue', 'break', 'else', 'elif', 'except', 'finally',
  'None', 'True', 'False', 'assert', 'async', 'await', 'nonlocal', 'input', 'build',
]);
const isIdent = (s: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) && !PY_RESERVED.has(s);
const pascal = (s: string): string => {
  const p = s.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  return /^[0-9]/.test(p) ? `Block${p}` : p || 'Block';
};
const py = (v: number | boolean): string => (typeof v === 'boolean' ? (v ? 'True' : 'False') : Number.isInteger(v) ? String(v) : String(v));
const pair = (p: readonly [number, number] | readonly number[]): string => (p[0] === p[1] ? String(p[0]) : `(${p[0]}, ${p[1]})`);

/** The spec as it runs: a `dwconv` takes its channel count from its input. */
function concrete(l: LayerResult): LayerSpec {
  const s = l.decl.spec;
  if (s.kind !== 'conv' || !s.depthwise || !l.in) return s;
  return { ...s, outChannels: l.in[0], groups: l.in[0] };
}

/** The nn module that computes a layer; `cin` is how the input channel count is written. */
function moduleCtor(l: LayerResult, cin: string, helpers: Set<string>): string {
  const s = concrete(l);
  const isMap = (l.in?.length ?? 0) === 3;
  switch (s.kind) {
    case 'conv': {
      const args = [cin, String(s.outChannels), `kernel_size=${pair(s.kernel)}`];
      if (s.stride.some((v) => v !== 1)) args.push(`stride=${pair(s.stride)}`);
      if (s.padding.some((v) => v !== 0)) args.push(`padding=${pair(s.padding)}`);
      if (s.dilation.some((v) => v !== 1)) args.push(`dilation=${pair(s.dilation)}`);
      if (s.groups !== 1) args.push(`groups=${s.groups === l.in?.[0] && cin !== String(l.in?.[0]) ? cin : s.groups}`);
      if (!s.bias) args.push('bias=False');
      return `nn.Conv2d(${args.join(', ')})`;
    }
    case 'deconv': {
      const args = [cin, String(s.outChannels), `kernel_size=${pair(s.kernel)}`];
      if (s.stride.some((v) => v !== 1)) args.push(`stride=${pair(s.stride)}`);
      if (s.padding.some((v) => v !== 0)) args.push(`padding=${pair(s.padding)}`);
      if (s.outputPadding.some((v) => v !== 0)) args.push(`output_padding=${pair(s.outputPadding)}`);
      if (s.groups !== 1) args.push(`groups=${s.groups}`);
      if (!s.bias) args.push('bias=False');
      if (s.dilation.some((v) => v !== 1)) args.push(`dilation=${pair(s.dilation)}`);
      return `nn.ConvTranspose2d(${args.join(', ')})`;
    }
    case 'fc': {
      const inF = isMap ? String((l.in ?? []).reduce((a, b) => a * b, 1)) : cin;
      if (isMap) helpers.add('FlatLinear');
      return `${isMap ? 'FlatLinear' : 'nn.Linear'}(${inF}, ${s.outFeatures}${s.bias ? '' : ', bias=False'})`;
    }
    case 'bn': return `nn.BatchNorm${isMap ? '2d' : '1d'}(${cin}${s.eps !== 1e-5 ? `, eps=${py(s.eps)}` : ''})`;
    case 'relu': return 'nn.ReLU()';
    case 'relu6': return 'nn.ReLU6()';
    case 'sigmoid': return 'nn.Sigmoid()';
    case 'tanh': return 'nn.Tanh()';
    case 'silu': return 'nn.SiLU()';
    case 'hardswish': return 'nn.Hardswish()';
    case 'hardsigmoid': return 'nn.Hardsigmoid()';
    case 'leakyrelu': return `nn.LeakyReLU(${py(s.slope)})`;
    case 'softmax': return 'nn.Softmax(dim=1)';
    case 'maxpool': case 'avgpool': {
      const args = [pair(s.kernel), `stride=${pair(s.stride)}`];
      if (s.padding.some((v) => v !== 0)) args.push(`padding=${pair(s.padding)}`);
      if (s.ceil) args.push('ceil_mode=True');
      return `nn.${s.kind === 'maxpool' ? 'MaxPool2d' : 'AvgPool2d'}(${args.join(', ')})`;
    }
    case 'gap': return 'nn.AdaptiveAvgPool2d(1)';
    case 'flatten': return 'nn.Flatten()';
    case 'dropout': return `nn.Dropout(${py(s.p)})`;
    case 'lrn': return `nn.LocalResponseNorm(${s.size}, alpha=${py(s.alpha)}, beta=${py(s.beta)}, k=${py(s.k)})`;
    case 'upsample':
      if (s.mode === 'zeros') {
        helpers.add('ZeroInsert');
        return `ZeroInsert(${s.factor})`;
      }
      return `nn.Upsample(scale_factor=${s.factor}, mode='${s.mode}'${s.mode === 'bilinear' ? ', align_corners=False' : ''})`;
    default:
      throw new Error(`'${l.decl.text}': a '${s.kind}' layer has no PyTorch module`);
  }
}

/** A parameterless layer as a function call on `a` (used in a forward, where it needs no attribute). */
function functional(l: LayerResult, a: string, helpers: Set<string>): string {
  const s = l.decl.spec;
  switch (s.kind) {
    case 'relu': return `F.relu(${a})`;
    case 'relu6': return `F.relu6(${a})`;
    case 'sigmoid': return `torch.sigmoid(${a})`;
    case 'tanh': return `torch.tanh(${a})`;
    case 'silu': return `F.silu(${a})`;
    case 'hardswish': return `F.hardswish(${a})`;
    case 'hardsigmoid': return `F.hardsigmoid(${a})`;
    case 'leakyrelu': return `F.leaky_relu(${a}, ${py(s.slope)})`;
    case 'softmax': return `torch.softmax(${a}, dim=1)`;
    case 'maxpool': case 'avgpool': {
      const args = [a, pair(s.kernel), pair(s.stride)];
      if (s.padding.some((v) => v !== 0) || s.ceil) args.push(pair(s.padding));
      if (s.ceil) args.push('ceil_mode=True');
      return `F.${s.kind === 'maxpool' ? 'max_pool2d' : 'avg_pool2d'}(${args.join(', ')})`;
    }
    case 'gap': return `F.adaptive_avg_pool2d(${a}, 1)`;
    case 'flatten': return `torch.flatten(${a}, 1)`;
    case 'dropout': return `F.dropout(${a}, ${py(s.p)}, self.training)`;
    case 'lrn': return `F.local_response_norm(${a}, ${s.size}, alpha=${py(s.alpha)}, beta=${py(s.beta)}, k=${py(s.k)})`;
    case 'upsample':
      if (s.mode === 'zeros') {
        helpers.add('ZeroInsert');
        return `zero_insert(${a}, ${s.factor})`;
      }
      return `F.interpolate(${a}, scale_factor=${s.factor}, mode='${s.mode}'${s.mode === 'bilinear' ? ', align_corners=False' : ''})`;
    default:
      return `${moduleCtor(l, String(l.in?.[0] ?? 0), helpers)}(${a})`;
  }
}

const HELPERS: Record<string, string> = {
  FlatLinear: `class FlatLinear(nn.Linear):
    """nn.Linear on a (N, C, H, W) input: flattened first, as CNN Lab's fc does."""

    def forward(self, x):
        return super().forward(torch.flatten(x, 1))`,
  ZeroInsert: `def zero_insert(x, factor):
    """Upsampling by zero insertion: each sample at (i*factor, j*factor), zeros elsewhere."""
    n, c, h, w = x.shape
    out = x.new_zeros(n, c, h * factor, w * factor)
    out[:, :, ::factor, ::factor] = x
    return out


class ZeroInsert(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return zero_insert(x, self.factor)`,
};

/** An attribute of a module being built: a leaf (a constructor expression) or a container of attributes. */
type Attr = { kind: 'leaf'; expr: string } | { kind: 'ns'; members: Map<string, Attr> };

/** Adds `expr` at the dotted `name` under `members`, making containers on the way. */
function place(members: Map<string, Attr>, name: string, expr: string, where: string): void {
  const segs = name.split('.');
  let m = members;
  for (let k = 0; k < segs.length - 1; k++) {
    let a = m.get(segs[k]);
    if (!a) m.set(segs[k], (a = { kind: 'ns', members: new Map() }));
    if (a.kind !== 'ns') throw new Error(`${where}: '${segs.slice(0, k + 1).join('.')}' is both a layer and a prefix of '${name}'; label them apart`);
    m = a.members;
  }
  if (m.has(segs[segs.length - 1])) throw new Error(`${where}: two layers have the module path '${name}'; label them apart`);
  m.set(segs[segs.length - 1], { kind: 'leaf', expr });
}

/** True when a container's keys are 0, 1, …, k−1 in order: it is an nn.Sequential. */
const sequentialKeys = (m: Map<string, Attr>): boolean => [...m.keys()].every((k, i) => k === String(i));

/** A container as an expression: nn.Sequential when numbered 0…k−1, else nn.ModuleDict. */
function renderAttr(a: Attr, indent: string): string {
  if (a.kind === 'leaf') return a.expr.replace(/\n/g, `\n${indent}`);
  const inner = indent + '    ';
  if (sequentialKeys(a.members)) {
    return `nn.Sequential(\n${[...a.members.values()].map((v) => `${inner}${renderAttr(v, inner)},`).join('\n')}\n${indent})`;
  }
  return `nn.ModuleDict({\n${[...a.members].map(([k, v]) => `${inner}'${k}': ${renderAttr(v, inner)},`).join('\n')}\n${indent}})`;
}

/** How a forward reaches the attribute at dotted `name` of a module whose members are `members`. */
function access(members: Map<string, Attr>, name: string): string {
  const segs = name.split('.');
  let expr = isIdent(segs[0]) ? `self.${segs[0]}` : `getattr(self, '${segs[0]}')`;
  let m = members;
  for (let k = 0; k < segs.length - 1; k++) {
    const a = m.get(segs[k]);
    if (!a || a.kind !== 'ns') break;
    const seq = sequentialKeys(a.members);
    expr += seq ? `[${segs[k + 1]}]` : `['${segs[k + 1]}']`;
    m = a.members;
  }
  return expr;
}

/**
 * Calls of every member of an nn.Sequential container in order, each on the one before's output (read
 * by nothing else), become one call of the container: `self.layer2(out)` for `self.layer2[0]`, `[1]`.
 */
function collapseSequentials(
  stmts: { reads: number[]; out: number; code: (names: string[]) => string; member?: string }[],
  members: Map<string, Attr>,
): void {
  // How many statements read each value (a block's output is read by one call, whatever reads it inside).
  const reads = new Map<number, number>();
  for (const s of stmts) for (const r of s.reads) reads.set(r, (reads.get(r) ?? 0) + 1);
  for (let k = 0; k < stmts.length; k++) {
    const m = stmts[k].member;
    if (!m || !m.endsWith('.0')) continue;
    const prefix = m.slice(0, -2);
    let ns: Attr | undefined = { kind: 'ns', members };
    for (const seg of prefix.split('.')) ns = ns?.kind === 'ns' ? ns.members.get(seg) : undefined;
    if (!ns || ns.kind !== 'ns' || !sequentialKeys(ns.members) || [...ns.members.values()].some((v) => v.kind !== 'leaf')) continue;
    const n = ns.members.size;
    if (k + n > stmts.length) continue;
    let ok = true;
    for (let j = 0; j < n && ok; j++) {
      const s = stmts[k + j];
      ok = s.member === `${prefix}.${j}` && s.reads.length === 1 && (j === 0 || (s.reads[0] === stmts[k + j - 1].out && reads.get(stmts[k + j - 1].out) === 1));
    }
    if (!ok) continue;
    const ex = access(members, prefix);
    stmts.splice(k, n, { reads: stmts[k].reads, out: stmts[k + n - 1].out, code: ([v]) => `${ex}(${v})`, member: prefix });
  }
}

/**
 * Writes the PyTorch source for a network. Throws (with the line) when two layers with parameters share
 * a module path, or a layer has no PyTorch equivalent.
 */
export function exportPytorch(a: Analysis, net: NetworkResult, source = 'network.cnn'): PytorchExport {
  const L = net.layers;
  const D: readonly LayerDecl[] = net.decl.layers;
  const lineOf = (i: number): number => a.lines.position(D[i].stmt.span.start).line + 1;
  const { root, paths } = moduleTree(D);
  const dup = duplicatePaths(paths, (i) => L[i].params > 0);
  if (dup.size) {
    const [p, list] = [...dup][0];
    throw new Error(`layers on lines ${list.map(lineOf).join(' and ')} have the same module path '${p}'; give them different labels to export`);
  }
  if (!net.totals.complete) throw new Error(`network '${net.name}' has errors; fix them before exporting`);

  // Which scope node owns each layer: its own scope, or, for the merge that closes a labelled construct, that construct's.
  const nodeOfScope = new Map<unknown, ModuleNode>();
  const parent = new Map<ModuleNode, ModuleNode>();
  const visit = (n: ModuleNode) => {
    if (n.scope) nodeOfScope.set(n.scope, n);
    for (const c of n.children) if (c.kind === 'scope') { parent.set(c.node, n); visit(c.node); }
  };
  visit(root);
  const constructs = a.program.constructs;
  const owner: ModuleNode[] = D.map((d) => (d.scope ? nodeOfScope.get(d.scope)! : root));
  D.forEach((d, i) => {
    if (!MERGES.has(d.spec.kind) || d.construct === undefined) return;
    const open = constructs[d.construct]?.open;
    if (!open?.label || d.stmt !== constructs[d.construct].end) return;
    for (const j of d.inputs) {
      for (let n: ModuleNode | undefined = j >= 0 ? owner[j] : undefined; n; n = parent.get(n)) {
        if (n.scope?.stmt === open) { owner[i] = n; return; }
      }
    }
  });
  const within = (n: ModuleNode, m: ModuleNode): boolean => {
    for (let k: ModuleNode | undefined = n; k; k = parent.get(k)) if (k === m) return true;
    return false;
  };
  const subtree = new Map<ModuleNode, number[]>();
  const layersOf = (m: ModuleNode): number[] => {
    let list = subtree.get(m);
    if (!list) subtree.set(m, (list = D.map((_, i) => i).filter((i) => within(owner[i], m))));
    return list;
  };
  const readers: number[][] = D.map(() => []);
  D.forEach((d, i) => d.inputs.forEach((j) => j >= 0 && readers[j].push(i)));

  /** A scope is a module of its own when one tensor goes in and only its last output is read outside. */
  const contained = (m: ModuleNode): { input: number; output: number } | undefined => {
    const list = layersOf(m);
    if (!list.length) return undefined;
    const set = new Set(list);
    const ins = new Set<number>();
    for (const i of list) for (const j of D[i].inputs) if (!set.has(j)) ins.add(j);
    const output = list[list.length - 1];
    for (const i of list) if (i !== output && readers[i].some((r) => !set.has(r))) return undefined;
    return ins.size === 1 ? { input: [...ins][0], output } : undefined;
  };

  const helpers = new Set<string>();
  const classes = new Map<string, { plain: string; withParam: string; param: boolean; inC: number | undefined }[]>();
  const classOrder: string[] = [];

  /** The direct items of a node, in execution order: its layers and its child scopes, self-contained ones as one item. */
  interface Built { expr: string; forward?: string }

  /**
   * Builds a module for node `m` (self-contained) and returns its constructor expression: an
   * nn.Sequential for a numbered chain, else an instance of a class written into `classes`.
   */
  const built = new Map<ModuleNode, Built>();
  const build = (m: ModuleNode, io: { input: number; output: number }): Built => {
    let b = built.get(m);
    if (!b) built.set(m, (b = buildOnce(m, io)));
    return b;
  };
  const buildOnce = (m: ModuleNode, io: { input: number; output: number }): Built => {
    const list = layersOf(m);
    const inC = io.input < 0 ? net.input?.[0] : L[io.input].out?.[0];
    // A numbered chain: children named 0, 1, … (layers or scopes of their own), each reading the one before.
    const items = m.children;
    let prev = io.input;
    let covered = 0;
    const chainOfChildren = items.length > 0 && items.every((c, k) => {
      if (c.name !== String(k)) return false;
      if (c.kind === 'layer') {
        const d = D[c.index];
        if (MERGES.has(d.spec.kind) || d.inputs.length !== 1 || d.inputs[0] !== prev) return false;
        prev = c.index;
        covered++;
        return true;
      }
      const cio = contained(c.node);
      if (!cio || cio.input !== prev) return false;
      prev = cio.output;
      covered += layersOf(c.node).length;
      return true;
    }) && prev === io.output && covered === list.length;
    if (chainOfChildren) {
      const parts = items.map((c) => (c.kind === 'layer' ? moduleCtor(L[c.index], String(L[c.index].in?.[0] ?? 0), helpers) : build(c.node, contained(c.node)!).expr));
      return { expr: `nn.Sequential(\n${parts.map((p) => `    ${p},`).join('\n')}\n)` };
    }
    // Tensors whose channels are the block's input channels: the input, and what keeps its channels from it.
    const keeps = new Set(['conv', 'deconv', 'fc', 'concat', 'add', 'mul', 'unknown', 'flatten']);
    const inputChannels = new Map<number, boolean>([[io.input, true]]);
    const fromInput = (j: number): boolean => {
      let v = inputChannels.get(j);
      if (v === undefined) {
        v = list.includes(j) && !keeps.has(D[j].spec.kind) && (L[j].in?.length ?? 0) === 3 && fromInput(D[j].inputs[0]);
        inputChannels.set(j, v);
      }
      return v;
    };
    const render = (param: boolean): string => {
      const cin = (i: number): string => (param && fromInput(D[i].inputs[0]) ? 'in_channels' : String(L[i].in?.[0] ?? 0));
      const members = new Map<string, Attr>();
      const where = (i: number) => `line ${lineOf(i)}`;
      // Children that are scopes of their own become one member; others are spread out under their name.
      const callOf = new Map<number, { node: ModuleNode; name: string; io: { input: number; output: number } }>();
      const attrOf = new Map<number, string>();
      const addMembers = (n: ModuleNode, prefix: string) => {
        for (const c of n.children) {
          const name = prefix ? `${prefix}.${c.name}` : c.name;
          if (c.kind === 'layer') {
            const l = L[c.index];
            if (l.params > 0 || D[c.index].label !== undefined) {
              place(members, name, moduleCtor(l, cin(c.index), helpers), where(c.index));
              attrOf.set(c.index, name);
            }
            continue;
          }
          const cio = contained(c.node);
          if (cio) {
            const sub = build(c.node, cio);
            place(members, name, sub.expr, `line ${lineOf(layersOf(c.node)[0])}`);
            const first = layersOf(c.node)[0];
            callOf.set(first, { node: c.node, name, io: cio });
          } else addMembers(c.node, name);
        }
      };
      addMembers(m, '');
      // The forward: one statement per layer (or per self-contained child), values named by who reads them.
      const stmts: { reads: number[]; out: number; code: (names: string[]) => string; member?: string }[] = [];
      const skip = new Set<number>();
      for (const i of list) {
        if (skip.has(i)) continue;
        const call = callOf.get(i);
        if (call) {
          for (const j of layersOf(call.node)) skip.add(j);
          const ex = access(members, call.name);
          stmts.push({ reads: [call.io.input], out: call.io.output, code: ([v]) => `${ex}(${v})`, member: call.name });
          continue;
        }
        const d = D[i];
        const kind = d.spec.kind;
        if (kind === 'add') stmts.push({ reads: [...d.inputs], out: i, code: (v) => v.join(' + ') });
        else if (kind === 'mul') stmts.push({ reads: [...d.inputs], out: i, code: (v) => v.join(' * ') });
        else if (kind === 'concat') stmts.push({ reads: [...d.inputs], out: i, code: (v) => `torch.cat([${v.join(', ')}], dim=1)` });
        else if (attrOf.has(i)) {
          const ex = access(members, attrOf.get(i)!);
          stmts.push({ reads: [...d.inputs], out: i, code: ([v]) => `${ex}(${v})`, member: attrOf.get(i) });
        } else stmts.push({ reads: [...d.inputs], out: i, code: ([v]) => functional(L[i], v, helpers) });
      }
      collapseSequentials(stmts, members);
      const lastRead = new Map<number, number>();
      const readCount = new Map<number, number>();
      stmts.forEach((s, k) => s.reads.forEach((r) => { lastRead.set(r, k); readCount.set(r, (readCount.get(r) ?? 0) + 1); }));
      const names = new Map<number, string>([[io.input, 'x']]);
      const used = new Set<string>(['x', 'out']);
      const lines: string[] = [];
      stmts.forEach((s, k) => {
        const args = s.reads.map((r) => names.get(r) ?? 'x');
        const onlyNext = (readCount.get(s.out) ?? 0) <= 1 && (lastRead.get(s.out) ?? k + 1) === k + 1;
        let name = 'out';
        if (!onlyNext && k < stmts.length - 1) {
          const label = (D[s.out].label ?? (D[s.out].scope && owner[s.out] !== m ? owner[s.out].scope?.name : undefined))?.replace(/[^A-Za-z0-9_]/g, '_');
          name = label && isIdent(label) && !used.has(label) ? label : `t${s.out}`;
          while (used.has(name)) name += '_';
          used.add(name);
        }
        names.set(s.out, name);
        lines.push(`        ${name} = ${s.code(args)}`);
      });
      lines.push(`        return ${names.get(io.output) ?? 'x'}`);
      const init = [...members].map(([k, v]) => (isIdent(k) ? `        self.${k} = ${renderAttr(v, '        ')}` : `        self.add_module('${k}', ${renderAttr(v, '        ')})`));
      const text = `    def __init__(self${param ? ', in_channels' : ''}):\n        super().__init__()\n${init.join('\n') || '        pass'}\n\n    def forward(self, x):\n${lines.join('\n')}\n`;
      return text;
    };
    const name = m === root ? pascal(net.name) : className(m);
    const plain = render(false);
    const withParam = render(true);
    let list2 = classes.get(name);
    if (!list2) {
      classes.set(name, (list2 = []));
      classOrder.push(name);
    }
    // One class per block: the same text again is the same class; a block whose layers differ only in
    // the channels they receive takes them as `in_channels`; anything else gets a numbered class.
    let k = list2.findIndex((c) => !c.param && c.plain === plain);
    if (k >= 0) return { expr: `${name}${suffix(k)}()` };
    k = list2.findIndex((c) => withParam !== plain && c.withParam === withParam);
    if (k >= 0) {
      const c = list2[k];
      if (!c.param) {
        // The earlier instances were written without an argument: mark them to get their channels.
        c.param = true;
        pendingFix.set(`${name}${suffix(k)}()`, `${name}${suffix(k)}(${c.inC})`);
      }
      return { expr: `${name}${suffix(k)}(${inC})` };
    }
    list2.push({ plain, withParam, param: false, inC });
    return { expr: `${name}${suffix(list2.length - 1)}()` };
  };
  const suffix = (k: number): string => (k === 0 ? '' : String(k + 1));
  const pendingFix = new Map<string, string>();
  const className = (m: ModuleNode): string => {
    const stmt = m.scope!.stmt;
    const head = stmt.head.text;
    const kind = a.program.statements[a.parsed.statements.indexOf(stmt)]?.kind;
    if (kind === 'call') return pascal(head);
    if (kind === 'repeat') return pascal(stmt.label?.text ?? 'repeat') + 'Block';
    return pascal(m.scope!.name);
  };

  const io = { input: -1, output: L.length - 1 };
  const top = build(root, io);
  let model = pascal(net.name);
  let body: string;
  // The network as a whole: its class, or for a numbered chain a subclass of nn.Sequential.
  if (top.expr.startsWith('nn.Sequential(')) {
    body = `class ${model}(nn.Sequential):\n    def __init__(self):\n        super().__init__(${top.expr.slice('nn.Sequential('.length, -1).replace(/\n/g, '\n    ')}        )\n`;
    body = body.replace(/\n    \)\n$/, '\n        )\n');
  } else {
    model = top.expr.replace(/\(.*$/, '');
    body = '';
  }
  const fix = (s: string): string => {
    for (const [from, to] of pendingFix) s = s.split(from).join(to);
    return s;
  };
  const classText = classOrder.flatMap((name) => classes.get(name)!.map((c, k) => `class ${name}${suffix(k)}(nn.Module):\n${fix(c.param ? c.withParam : c.plain)}`));
  const t = net.totals;
  const inShape = net.input ? fmtShape(net.input) : '?';
  const doc = [
    `"""${net.name}, exported by CNN Lab from ${source}.`,
    '',
    `Input ${inShape} (N, ${net.input?.join(', ')}); ${fmtInt(t.params)} parameters; ${fmtInt(t.macs)} MACs (${fmtSi(t.macs)}MACs) per image.`,
    'Attribute names are the module paths of the .cnn file, so the state_dict keys are the names its weights load by.',
    '',
    'Load exported weights:',
    '    from safetensors.torch import load_file',
    `    model = build()`,
    '    model.load_state_dict(load_file("<this file\'s name>.safetensors"))',
    '"""',
  ].join('\n');
  const out = [
    doc,
    'import torch',
    'import torch.nn as nn',
    'import torch.nn.functional as F',
    '',
    ...[...helpers].sort().map((h) => `\n${HELPERS[h]}\n`),
    ...classText.map((c) => `\n${c}`),
    ...(body ? [`\n${body}`] : []),
    '',
    'def build():',
    `    """The ${net.name} network, with PyTorch's default initialisation, in eval mode."""`,
    `    return ${model}().eval()`,
    '',
    '',
    'if __name__ == "__main__":',
    `    y = build()(torch.zeros(1, ${net.input?.join(', ')}))`,
    '    print(tuple(y.shape))',
    '',
  ].join('\n');
  return { source: fix(out).replace(/\n{4,}/g, '\n\n\n'), className: model, paths };
}

/**
 * The state_dict the exported module has, from our parameters: every layer with parameters under its
 * module path (weight, bias, running_mean, running_var), and num_batches_tracked 0 (int64) for each
 * batch norm, so it loads with load_state_dict(strict=True).
 */
export function stateDict(net: NetworkResult, params: readonly LayerParams[], paths: readonly (string | undefined)[]): StateTensor[] {
  const out: StateTensor[] = [];
  net.layers.forEach((l, i) => {
    const p = params[i];
    const path = paths[i];
    if (path === undefined || l.params === 0) return;
    // The engine's parameter shapes are PyTorch's (KINDS' params rule).
    const shapes = layerParamShapes(l.decl.spec, l.in ?? []);
    for (const [key, torchName] of PARAM_NAMES) {
      const data = p[key];
      if (data) out.push({ name: `${path}.${torchName}`, shape: [...(shapes[key] ?? [data.length])], data });
    }
    if (l.decl.spec.kind === 'bn') out.push({ name: `${path}.num_batches_tracked`, shape: [], data: new BigInt64Array(1) });
  });
  return out;
}

/** A safetensors file of float32 and int64 tensors (header entries in the given order). */
export function writeStateDict(tensors: readonly StateTensor[]): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.data.length * (t.data instanceof Float32Array ? 4 : 8);
    header[t.name] = { dtype: t.data instanceof Float32Array ? 'F32' : 'I64', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors) {
    if (t.data instanceof Float32Array) {
      for (let i = 0; i < t.data.length; i++) view.setFloat32(pos + i * 4, t.data[i], true);
      pos += t.data.length * 4;
    } else {
      for (let i = 0; i < t.data.length; i++) view.setBigInt64(pos + i * 8, t.data[i], true);
      pos += t.data.length * 8;
    }
  }
  return out;
}
