/**
 * An ONNX model as .cnn text plus its weights. Three steps:
 *
 * 1. Read the nodes in their (topological) order into layers: each operator either becomes a layer of
 *    the kind table with its parameters, or joins one (a MatMul's bias Add, x·sigmoid(x) as silu, a
 *    Reshape/Flatten in front of a Gemm as the fc's implicit flatten), or is constant shape plumbing
 *    that is folded (Shape, Gather, Unsqueeze, Concat, Cast, … feeding a Reshape), or is a problem
 *    listed with its node name and op type. Nothing is dropped silently.
 * 2. Write the graph as text: a merge whose inputs fork from one tensor on disjoint paths becomes a
 *    `residual` or `parallel` construct; otherwise earlier inputs get labels and the merge is an
 *    `add`/`concat`/`mul LABEL` line.
 * 3. Analyse the text and check that it lowers to exactly these layers (kinds and shapes), so the
 *    weights, named layers.K.weight in execution order, load with the safetensors loader's rule.
 *
 * Parameters are copied per node: exporters share equal constants between nodes (torch does), but
 * each layer owns its weights in .cnn, so they are counted per node. Plain data only: no I/O.
 */
import { analyze } from '../analysis/analyze.js';
import { isProblem, KINDS } from '../language/kinds.js';
import type { LayerSpec, Pair, Shape } from '../language/types.js';
import { AttrType, decodeModel, tensorValues, type AttributeProto, type ModelProto, type NodeProto } from './onnxProto.js';

/** Something in the model the .cnn language cannot express. */
export interface ImportProblem {
  readonly node: string;
  readonly op: string;
  readonly message: string;
}

/** A tensor of the weights file. */
export interface ImportedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** What an import gives: the text, the weights in loader order, what it could not express. */
export interface ImportResult {
  readonly text: string;
  readonly network: string;
  readonly tensors: readonly ImportedTensor[];
  readonly problems: readonly ImportProblem[];
  /** Layers, parameters and multiply-accumulates of the imported network (from the analysis of the text). */
  readonly layers: number;
  readonly params: number;
  readonly macs: number;
}

/** One imported layer before it is written. */
interface Layer {
  spec: LayerSpec;
  /** True for a conv written as `dwconv` (groups = in = out channels). */
  depthwise?: boolean;
  inputs: number[];
  out: Shape;
  params: { weight?: Tensor; bias?: Tensor; runningMean?: Tensor; runningVar?: Tensor };
  /** The ONNX node it came from, for the comment on its line and for messages. */
  node: string;
  op: string;
}

interface Tensor { readonly dims: number[]; readonly data: Float32Array }

/** What a tensor name stands for while the nodes are read. */
type Value =
  | { readonly t: 'layer'; readonly id: number }
  /** A layer's output reshaped to [N, features]: an fc reading it flattens implicitly; anything else gets a flatten line. */
  | { readonly t: 'flat'; readonly id: number }
  | { readonly t: 'const'; readonly dims: number[]; readonly values: Float32Array | number[]; readonly float: boolean }
  | { readonly t: 'none' };

/** A node the import cannot turn into a layer. */
class Unsupported extends Error {}

/** A node that reads the output of a node already reported: not reported again. */
class Downstream extends Error {}

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const fmtNum = (v: number): string => String(Number(v.toPrecision(7)));

/** Reads the model's attribute of that name. */
function attrs(n: NodeProto) {
  const list = n.attribute ?? [];
  const find = (name: string): AttributeProto | undefined => list.find((a) => a.name === name);
  return {
    int: (name: string, d: number): number => find(name)?.i ?? d,
    float: (name: string, d: number): number => find(name)?.f ?? d,
    ints: (name: string): number[] | undefined => find(name)?.ints,
    string: (name: string, d: string): string => {
      const s = find(name)?.s;
      return s ? new TextDecoder().decode(s) : d;
    },
    has: (name: string): boolean => find(name) !== undefined,
    names: (): string[] => list.map((a) => a.name),
    tensor: (name: string) => find(name)?.t,
    find,
  };
}

/** Parses an ONNX model and writes it as .cnn text with its weights. `name` names the network. */
export function importOnnx(bytes: Uint8Array, opts: { name?: string; label?: string } = {}): ImportResult {
  const label = opts.label ?? 'model';
  return importModel(decodeModel(bytes, label), opts);
}

/** The import of a decoded model. */
export function importModel(model: ModelProto, opts: { name?: string; label?: string } = {}): ImportResult {
  const label = opts.label ?? 'model';
  const g = model.graph;
  const opset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 1;
  const problems: ImportProblem[] = [];
  const values = new Map<string, Value>();
  const layers: Layer[] = [];

  for (const t of g.initializer ?? []) {
    const v = tensorValues(t, label);
    values.set(t.name ?? '', { t: 'const', ...v });
  }
  // Older exporters list the initializers among the inputs too; the real input is what is left.
  const realInputs = g.input.filter((i) => !values.has(i.name));
  let inputShape: [number, number, number] | undefined;
  if (realInputs.length !== 1) {
    problems.push({ node: realInputs.map((i) => i.name).join(', ') || '(none)', op: 'input', message: `the model has ${realInputs.length} inputs; a .cnn network has one` });
  } else {
    const dims = realInputs[0].type?.tensorType?.shape?.dim ?? [];
    const known = dims.slice(1).map((d) => d.dimValue ?? 0);
    if (dims.length !== 4 || known.some((d) => !(d > 0))) {
      const shown = dims.map((d) => d.dimParam ?? d.dimValue ?? '?').join('×');
      problems.push({ node: realInputs[0].name, op: 'input', message: `the input is ${shown || 'of unknown shape'}; a .cnn network reads one N×C×H×W image with C, H and W known` });
    } else {
      inputShape = [known[0], known[1], known[2]];
      values.set(realInputs[0].name, { t: 'layer', id: -1 });
    }
  }

  // How many times each tensor is read, so a fold (bias Add, silu) only takes a tensor nothing else reads.
  const readers = new Map<string, number>();
  for (const n of g.node) for (const i of n.input) if (i) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const o of g.output) readers.set(o.name, (readers.get(o.name) ?? 0) + 1);

  const shapeOf = (id: number): Shape => (id < 0 ? inputShape! : layers[id].out);

  /** Adds a layer after checking its shape with the kind table; returns its id. */
  const addLayer = (l: Omit<Layer, 'out'>): number => {
    const ins = l.inputs.map(shapeOf);
    const spec = l.spec;
    const out = (KINDS[spec.kind].out as (s: LayerSpec, i: readonly Shape[]) => Shape | { message: string })(spec, ins);
    if (isProblem(out as Shape)) throw new Unsupported((out as { message: string }).message);
    layers.push({ ...l, out: out as Shape });
    return layers.length - 1;
  };

  /** Materialises a 'flat' value as a flatten line (once per source). */
  const flattened = new Map<number, number>();
  const layerOf = (name: string, n: NodeProto): number => {
    const v = values.get(name);
    if (v?.t === 'none') throw new Downstream();
    if (!v) throw new Unsupported(`reads '${name}', which no earlier node produced`);
    if (v.t === 'layer') return v.id;
    if (v.t === 'flat') {
      if (shapeOf(v.id).length === 1) return v.id;
      let id = flattened.get(v.id);
      if (id === undefined) {
        id = addLayer({ spec: { kind: 'flatten' }, inputs: [v.id], params: {}, node: n.name ?? '', op: 'Reshape' });
        flattened.set(v.id, id);
      }
      return id;
    }
    throw new Unsupported(`reads the constant '${name}' where a .cnn layer needs the output of a layer`);
  };
  const constOf = (name: string | undefined, what: string): Extract<Value, { t: 'const' }> => {
    const v = name ? values.get(name) : undefined;
    if (v?.t === 'none') throw new Downstream();
    if (!v || v.t !== 'const') throw new Unsupported(`its ${what} ('${name ?? ''}') is not a constant`);
    return v;
  };
  const optConst = (name: string | undefined): Extract<Value, { t: 'const' }> | undefined => {
    const v = name ? values.get(name) : undefined;
    return v && v.t === 'const' ? v : undefined;
  };
  const floats = (v: Extract<Value, { t: 'const' }>): Float32Array => (v.values instanceof Float32Array ? v.values : Float32Array.from(v.values));
  const ints = (v: Extract<Value, { t: 'const' }>): number[] => Array.from(v.values, (x) => Math.trunc(x));
  const isConst = (name: string): boolean => values.get(name)?.t === 'const';
  const onlyReader = (name: string): boolean => (readers.get(name) ?? 0) === 1;
  const lastLayerIs = (id: number): boolean => id === layers.length - 1;

  /** A symmetric pads attribute as a pair, or an error. */
  const padPair = (n: NodeProto): Pair => {
    const a = attrs(n);
    const autoPad = a.string('auto_pad', 'NOTSET');
    if (autoPad !== 'NOTSET' && autoPad !== 'VALID') throw new Unsupported(`auto_pad ${autoPad} is not written as explicit padding`);
    const p = a.ints('pads') ?? [0, 0, 0, 0];
    if (p.length !== 4 || p[0] !== p[2] || p[1] !== p[3]) throw new Unsupported(`its padding [${p.join(', ')}] is not the same on both sides`);
    return [p[0], p[1]];
  };
  const pairOf = (v: number[] | undefined, d: number): Pair => {
    if (!v) return [d, d];
    if (v.length !== 2) throw new Unsupported(`expects 2-D attributes, has [${v.join(', ')}]`);
    return [v[0], v[1]];
  };
  const tensor = (v: Extract<Value, { t: 'const' }>): Tensor => ({ dims: v.dims, data: floats(v) });

  /** Folds constant shape arithmetic; returns undefined when some input is not constant. */
  const fold = (n: NodeProto): Value | undefined => {
    const op = n.opType;
    const a = attrs(n);
    const cs = n.input.map((i) => (i ? values.get(i) : undefined));
    if (op === 'Constant') {
      const t = a.tensor('value');
      if (t) return { t: 'const', ...tensorValues(t, label) };
      if (a.has('value_float')) return { t: 'const', dims: [], values: new Float32Array([a.float('value_float', 0)]), float: true };
      if (a.has('value_floats')) { const f = a.find('value_floats')!.floats ?? []; return { t: 'const', dims: [f.length], values: Float32Array.from(f), float: true }; }
      if (a.has('value_int')) return { t: 'const', dims: [], values: [a.int('value_int', 0)], float: false };
      if (a.has('value_ints')) { const v = a.ints('value_ints') ?? []; return { t: 'const', dims: [v.length], values: v, float: false }; }
      throw new Unsupported(`a Constant with attribute ${a.names().join(', ')}`);
    }
    if (op === 'Shape') {
      const v = cs[0];
      let dims: number[];
      if (v?.t === 'layer' || v?.t === 'flat') {
        // The batch axis is 1 here: a .cnn network describes one image.
        const s = shapeOf(v.id);
        dims = v.t === 'flat' ? [1, numel(s)] : [1, ...s];
      } else if (v?.t === 'const') dims = v.dims;
      else return undefined;
      const start = a.int('start', 0);
      const end = a.has('end') ? a.int('end', dims.length) : dims.length;
      const sl = dims.slice(start < 0 ? dims.length + start : start, end < 0 ? dims.length + end : end);
      return { t: 'const', dims: [sl.length], values: sl, float: false };
    }
    if (!cs.every((c, i) => !n.input[i] || c?.t === 'const')) return undefined;
    const c = cs as (Extract<Value, { t: 'const' }> | undefined)[];
    switch (op) {
      case 'Identity': case 'Cast': {
        const v = c[0]!;
        if (op === 'Cast') {
          const to = a.int('to', 1);
          const float = to === 1 || to === 11 || to === 10;
          return { t: 'const', dims: v.dims, values: float ? floats(v) : Array.from(v.values, Math.trunc), float };
        }
        return v;
      }
      case 'Gather': {
        const data = c[0]!;
        const idx = c[1]!;
        const axis = a.int('axis', 0);
        if (data.dims.length !== 1 || axis !== 0) throw new Unsupported('a constant Gather of more than one axis');
        const picked = Array.from(idx.values, (i) => data.values[i < 0 ? data.values.length + i : i]);
        return { t: 'const', dims: idx.dims, values: data.float ? Float32Array.from(picked) : picked, float: data.float };
      }
      case 'Unsqueeze': case 'Squeeze': {
        const v = c[0]!;
        const axes = opset >= 13 && c[1] ? ints(c[1]) : a.ints('axes');
        let dims = [...v.dims];
        if (op === 'Unsqueeze') {
          const rank = dims.length + (axes?.length ?? 0);
          for (const ax of [...(axes ?? [])].map((x) => (x < 0 ? rank + x : x)).sort((x, y) => x - y)) dims.splice(ax, 0, 1);
        } else {
          dims = axes ? dims.filter((_, i) => !axes.map((x) => (x < 0 ? v.dims.length + x : x)).includes(i)) : dims.filter((d) => d !== 1);
        }
        return { ...v, dims };
      }
      case 'Concat': {
        const vs = c.filter((x): x is Extract<Value, { t: 'const' }> => !!x);
        if (!vs.every((v) => v.dims.length <= 1)) throw new Unsupported('a constant Concat of more than one axis');
        const all = vs.flatMap((v) => Array.from(v.values));
        const float = vs.some((v) => v.float);
        return { t: 'const', dims: [all.length], values: float ? Float32Array.from(all) : all, float };
      }
      case 'Reshape': {
        const v = c[0]!;
        const target = resolveShape(ints(c[1]!), v.dims);
        return { ...v, dims: target };
      }
      case 'Mul': case 'Add': case 'Sub': case 'Div': {
        const [x, y] = [c[0]!, c[1]!];
        const n1 = x.values.length;
        const n2 = y.values.length;
        if (n1 !== n2 && n1 !== 1 && n2 !== 1) throw new Unsupported('constant arithmetic with broadcasting');
        const len = Math.max(n1, n2);
        const float = x.float || y.float;
        const f = { Mul: (p: number, q: number) => p * q, Add: (p: number, q: number) => p + q, Sub: (p: number, q: number) => p - q,
          Div: (p: number, q: number) => (float ? p / q : Math.trunc(p / q)) }[op];
        const out = Array.from({ length: len }, (_, i) => f(x.values[n1 === 1 ? 0 : i], y.values[n2 === 1 ? 0 : i]));
        return { t: 'const', dims: n1 >= n2 ? x.dims : y.dims, values: float ? Float32Array.from(out) : out, float };
      }
      case 'Slice': {
        const v = c[0]!;
        if (v.dims.length !== 1) throw new Unsupported('a constant Slice of more than one axis');
        const starts = opset >= 10 ? ints(c[1]!) : a.ints('starts') ?? [0];
        const ends = opset >= 10 ? ints(c[2]!) : a.ints('ends') ?? [v.values.length];
        const len = v.values.length;
        const clamp = (i: number) => Math.max(0, Math.min(len, i < 0 ? len + i : i));
        const sl = Array.from(v.values).slice(clamp(starts[0]), clamp(ends[0]));
        return { t: 'const', dims: [sl.length], values: v.float ? Float32Array.from(sl) : sl, float: v.float };
      }
      default:
        return undefined;
    }
  };

  /** The layer(s) of one node; sets the values of its outputs. */
  const read = (n: NodeProto): void => {
    const op = n.opType;
    const a = attrs(n);
    const name = n.name || n.output[0] || op;
    const out = n.output[0];
    const set = (v: Value) => values.set(out, v);
    const single = (spec: LayerSpec) => set({ t: 'layer', id: addLayer({ spec, inputs: [layerOf(n.input[0], n)], params: {}, node: name, op }) });
    const unusedOutputs = (from: number, what: string) => {
      for (const o of n.output.slice(from)) if (o && readers.has(o)) throw new Unsupported(`its ${what} output '${o}' is read; only the inference output has a .cnn form`);
    };
    if (n.domain && n.domain !== 'ai.onnx') throw new Unsupported(`an operator of the domain '${n.domain}'`);
    const folded = fold(n);
    if (folded) {
      set(folded);
      return;
    }
    switch (op) {
      case 'Identity':
        set(values.get(n.input[0]) ?? { t: 'none' });
        return;
      case 'Conv': {
        const x = layerOf(n.input[0], n);
        const w = tensor(constOf(n.input[1], 'weight'));
        const b = n.input[2] ? tensor(constOf(n.input[2], 'bias')) : undefined;
        if (w.dims.length !== 4) throw new Unsupported(`a ${w.dims.length - 2}-D convolution (weight ${w.dims.join('×')})`);
        const c = shapeOf(x)[0];
        const groups = a.int('group', 1);
        const outC = w.dims[0];
        const depthwise = groups > 1 && groups === c && outC === c;
        const spec: LayerSpec = {
          kind: 'conv', kernel: [w.dims[2], w.dims[3]], outChannels: depthwise ? 0 : outC, stride: pairOf(a.ints('strides'), 1), padding: padPair(n),
          dilation: pairOf(a.ints('dilations'), 1), groups: depthwise ? 1 : groups, bias: !!b, depthwise,
        };
        set({ t: 'layer', id: addLayer({ spec, depthwise, inputs: [x], params: { weight: w, ...(b ? { bias: b } : {}) }, node: name, op }) });
        return;
      }
      case 'ConvTranspose': {
        const x = layerOf(n.input[0], n);
        const w = tensor(constOf(n.input[1], 'weight'));
        const b = n.input[2] ? tensor(constOf(n.input[2], 'bias')) : undefined;
        if (a.has('output_shape')) throw new Unsupported('output_shape is not written as output_padding');
        if (w.dims.length !== 4) throw new Unsupported(`a ${w.dims.length - 2}-D transposed convolution`);
        const groups = a.int('group', 1);
        const stride = pairOf(a.ints('strides'), 1);
        const padding = padPair(n);
        const outputPadding = pairOf(a.ints('output_padding'), 0);
        const dilation = pairOf(a.ints('dilations'), 1);
        const c = shapeOf(x)[0];
        const f = stride[0];
        // Zero insertion as an export writes it: depthwise, stride F, an F×F kernel that is 1 at (0, 0).
        const oneHot = !b && groups === c && w.dims[1] === 1 && w.dims[2] === f && w.dims[3] === f && stride[1] === f && f > 1
          && padding[0] === 0 && padding[1] === 0 && outputPadding.every((p) => p === 0) && dilation.every((d) => d === 1)
          && w.data.every((v, i) => v === (i % (f * f) === 0 ? 1 : 0));
        if (oneHot) {
          set({ t: 'layer', id: addLayer({ spec: { kind: 'upsample', factor: f, mode: 'zeros' }, inputs: [x], params: {}, node: name, op }) });
          return;
        }
        const spec: LayerSpec = { kind: 'deconv', kernel: [w.dims[2], w.dims[3]], outChannels: w.dims[1] * groups, stride, padding, outputPadding, dilation, groups, bias: !!b };
        set({ t: 'layer', id: addLayer({ spec, inputs: [x], params: { weight: w, ...(b ? { bias: b } : {}) }, node: name, op }) });
        return;
      }
      case 'MaxPool': case 'AveragePool': {
        unusedOutputs(1, 'indices');
        const dil = a.ints('dilations');
        if (dil && dil.some((d) => d !== 1)) throw new Unsupported('a dilated pool');
        if (a.int('storage_order', 0) !== 0) throw new Unsupported('storage_order 1');
        const kernel = pairOf(a.ints('kernel_shape'), 1);
        const padding = padPair(n);
        if (op === 'AveragePool' && a.int('count_include_pad', 0) === 0 && (padding[0] || padding[1])) {
          throw new Unsupported('an average pool whose padding does not count (count_include_pad 0); .cnn\'s avgpool counts it, as PyTorch does by default');
        }
        single({ kind: op === 'MaxPool' ? 'maxpool' : 'avgpool', kernel, stride: pairOf(a.ints('strides'), 1), padding, ceil: a.int('ceil_mode', 0) === 1 });
        return;
      }
      case 'GlobalAveragePool':
        single({ kind: 'gap' });
        return;
      case 'ReduceMean': {
        const axes = (opset >= 18 && n.input[1] ? ints(constOf(n.input[1], 'axes')) : a.ints('axes')) ?? [];
        const x = layerOf(n.input[0], n);
        const norm = axes.map((ax) => (ax < 0 ? 4 + ax : ax)).sort().join();
        if (shapeOf(x).length !== 3 || norm !== '2,3') throw new Unsupported(`a mean over axes [${axes.join(', ')}]; only the spatial mean (gap) has a .cnn form`);
        const id = addLayer({ spec: { kind: 'gap' }, inputs: [x], params: {}, node: name, op });
        set(a.int('keepdims', 1) ? { t: 'layer', id } : { t: 'flat', id });
        return;
      }
      case 'Flatten': {
        if (a.int('axis', 1) !== 1) throw new Unsupported(`Flatten with axis ${a.int('axis', 1)}; .cnn flattens everything but the batch axis`);
        single({ kind: 'flatten' });
        return;
      }
      case 'Reshape': case 'Squeeze': {
        const x = layerOf(n.input[0], n);
        const s = shapeOf(x);
        let target: number[];
        if (op === 'Reshape') target = resolveShape(ints(constOf(n.input[1], 'shape')), [1, ...s]);
        else {
          const axes = opset >= 13 && n.input[1] ? ints(constOf(n.input[1], 'axes')) : a.ints('axes');
          target = [1, ...s].filter((d, i) => (axes ? !axes.map((ax) => (ax < 0 ? s.length + 1 + ax : ax)).includes(i) : d !== 1));
          if (target.length === 1) target = [1, target[0]];
        }
        if (target.length === 2 && target[0] === 1) {
          set({ t: 'flat', id: x });
          return;
        }
        if (target.slice(1).join() === s.join() && target[0] === 1) {
          set({ t: 'layer', id: x });
          return;
        }
        throw new Unsupported(`a reshape of ${s.join('×')} to [${target.join(', ')}]; .cnn only flattens a map into a vector`);
      }
      case 'Gemm': case 'MatMul': {
        const v = values.get(n.input[0]);
        const x = v?.t === 'flat' ? v.id : layerOf(n.input[0], n);
        const b = tensor(constOf(n.input[1], 'weight'));
        if (b.dims.length !== 2) throw new Unsupported(`a ${op} with a weight of shape ${b.dims.join('×')}`);
        const features = numel(shapeOf(x));
        const transB = op === 'Gemm' && a.int('transB', 0) === 1;
        if (op === 'Gemm' && (a.int('transA', 0) !== 0 || a.float('alpha', 1) !== 1 || a.float('beta', 1) !== 1)) {
          throw new Unsupported('a Gemm with transA, or alpha or beta other than 1');
        }
        if (v?.t !== 'flat' && shapeOf(x).length !== 1) throw new Unsupported(`a ${op} on a ${shapeOf(x).join('×')} map without a flatten before it`);
        const [rows, cols] = b.dims;
        const outF = transB ? rows : cols;
        if ((transB ? cols : rows) !== features) throw new Unsupported(`a weight of ${rows}×${cols} for ${features} features`);
        const weight = transB ? b : { dims: [cols, rows], data: transpose(b.data, rows, cols) };
        let bias: Tensor | undefined;
        if (op === 'Gemm' && n.input[2]) {
          const c = tensor(constOf(n.input[2], 'bias'));
          if (c.data.length === outF) bias = { dims: [outF], data: c.data };
          else if (c.data.length === 1) bias = { dims: [outF], data: new Float32Array(outF).fill(c.data[0]) };
          else throw new Unsupported(`a bias of shape ${c.dims.join('×')} for ${outF} outputs`);
        }
        const spec: LayerSpec = { kind: 'fc', outFeatures: outF, bias: !!bias };
        set({ t: 'layer', id: addLayer({ spec, inputs: [x], params: { weight, ...(bias ? { bias } : {}) }, node: name, op }) });
        return;
      }
      case 'Relu': single({ kind: 'relu' }); return;
      case 'Sigmoid': single({ kind: 'sigmoid' }); return;
      case 'Tanh': single({ kind: 'tanh' }); return;
      case 'HardSwish': single({ kind: 'hardswish' }); return;
      case 'LeakyRelu': single({ kind: 'leakyrelu', slope: Number(a.float('alpha', 0.01).toPrecision(7)) }); return;
      case 'HardSigmoid': {
        const alpha = a.float('alpha', 0.2);
        const beta = a.float('beta', 0.5);
        if (Math.abs(alpha - 1 / 6) > 1e-6 || Math.abs(beta - 0.5) > 1e-7) throw new Unsupported(`HardSigmoid with alpha ${alpha} and beta ${beta}; .cnn's hardsigmoid is PyTorch's (1/6, 1/2)`);
        single({ kind: 'hardsigmoid' });
        return;
      }
      case 'Clip': {
        const lo = opset >= 11 ? (n.input[1] ? floats(constOf(n.input[1], 'min'))[0] : -Infinity) : a.float('min', -Infinity);
        const hi = opset >= 11 ? (n.input[2] ? floats(constOf(n.input[2], 'max'))[0] : Infinity) : a.float('max', Infinity);
        if (lo === 0 && hi === 6) single({ kind: 'relu6' });
        else if (lo === 0 && hi === Infinity) single({ kind: 'relu' });
        else throw new Unsupported(`Clip to [${lo}, ${hi}]; only [0, 6] (relu6) and [0, ∞) (relu) have a .cnn form`);
        return;
      }
      case 'Softmax': {
        const x = layerOf(n.input[0], n);
        const rank = shapeOf(x).length + 1;
        const axis = a.int('axis', opset >= 13 ? -1 : 1);
        const ax = axis < 0 ? rank + axis : axis;
        // Before opset 13 the input is coerced to 2-D at the axis: over channels only for a vector.
        if (ax !== 1 || (opset < 13 && rank !== 2)) throw new Unsupported(`a softmax over axis ${axis} of a rank-${rank} tensor; .cnn's softmax is over channels (axis 1)`);
        set({ t: 'layer', id: addLayer({ spec: { kind: 'softmax' }, inputs: [x], params: {}, node: name, op }) });
        return;
      }
      case 'BatchNormalization': {
        unusedOutputs(1, 'training');
        if (a.int('training_mode', 0) !== 0) throw new Unsupported('a batch norm in training mode');
        const x = layerOf(n.input[0], n);
        const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => tensor(constOf(n.input[i], ['', 'scale', 'bias', 'mean', 'variance'][i])));
        const eps = Number(a.float('epsilon', 1e-5).toPrecision(6));
        set({ t: 'layer', id: addLayer({ spec: { kind: 'bn', eps }, inputs: [x], params: { weight: scale, bias, runningMean: mean, runningVar: variance }, node: name, op }) });
        return;
      }
      case 'LRN': {
        const size = a.int('size', 5);
        if (size % 2 === 0) throw new Unsupported(`LRN size ${size}: for an even size ONNX's window differs from PyTorch's (and .cnn's) by a channel`);
        single({ kind: 'lrn', size, alpha: Number(a.float('alpha', 1e-4).toPrecision(6)), beta: Number(a.float('beta', 0.75).toPrecision(6)), k: Number(a.float('bias', 1).toPrecision(6)) });
        return;
      }
      case 'Dropout': {
        unusedOutputs(1, 'mask');
        const ratio = opset >= 12 ? (n.input[1] ? floats(constOf(n.input[1], 'ratio'))[0] : 0.5) : a.float('ratio', 0.5);
        single({ kind: 'dropout', p: Number(ratio.toPrecision(6)) });
        return;
      }
      case 'Resize': case 'Upsample': {
        const x = layerOf(n.input[0], n);
        const s = shapeOf(x);
        if (s.length !== 3) throw new Unsupported('a resize of a vector');
        let factors: number[];
        const scales = op === 'Upsample' ? (opset >= 9 ? optConst(n.input[1]) : undefined) : optConst(n.input[opset >= 11 ? 2 : 1]);
        const sizes = op === 'Resize' && opset >= 11 ? optConst(n.input[3]) : undefined;
        if (scales && scales.values.length === 4) factors = Array.from(floats(scales));
        else if (op === 'Upsample' && opset < 9) factors = a.find('scales')?.floats ?? [];
        else if (sizes && sizes.values.length === 4) factors = ints(sizes).map((v, i) => v / [1, ...s][i]);
        else throw new Unsupported('a resize whose scales or sizes are not constant');
        const f = factors[2];
        if (factors[0] !== 1 || factors[1] !== 1 || factors[3] !== f || !Number.isInteger(f) || f < 1) {
          throw new Unsupported(`a resize by [${factors.join(', ')}]; .cnn upsamples both axes by one integer factor`);
        }
        const mode = a.string('mode', 'nearest');
        const ctm = a.string('coordinate_transformation_mode', op === 'Upsample' ? 'asymmetric' : 'half_pixel');
        if (mode === 'nearest') {
          const nearest = a.string('nearest_mode', 'round_prefer_floor');
          if (op === 'Resize' && opset >= 11 && !(ctm === 'asymmetric' && nearest === 'floor')) {
            throw new Unsupported(`nearest resize with ${ctm} coordinates and ${nearest} rounding; .cnn's nearest is PyTorch's (asymmetric, floor)`);
          }
          single({ kind: 'upsample', factor: f, mode: 'nearest' });
        } else if (mode === 'linear' && (ctm === 'half_pixel' || ctm === 'pytorch_half_pixel')) {
          single({ kind: 'upsample', factor: f, mode: 'bilinear' });
        } else {
          throw new Unsupported(`a ${mode} resize with ${ctm} coordinates; .cnn has nearest and bilinear (align_corners=False)`);
        }
        return;
      }
      case 'Add': case 'Mul': case 'Sum': {
        const [p, q] = n.input;
        const constSide = op !== 'Sum' && n.input.length === 2 ? (isConst(q) ? q : isConst(p) ? p : undefined) : undefined;
        if (constSide !== undefined) {
          if (op === 'Add') {
            foldBias(n, constSide === q ? p : q, constSide);
            return;
          }
          throw new Unsupported('a multiplication by a constant');
        }
        const ids = n.input.map((i) => layerOf(i, n));
        if (op === 'Mul' && ids.length === 2) {
          // x · sigmoid(x) is silu and x · hardsigmoid(x) is hardswish when nothing else reads the gate.
          for (const [gate, other] of [[ids[1], ids[0]], [ids[0], ids[1]]]) {
            const l = gate >= 0 ? layers[gate] : undefined;
            const gateName = gate === ids[1] ? q : p;
            if (l && (l.spec.kind === 'sigmoid' || l.spec.kind === 'hardsigmoid') && l.inputs[0] === other && onlyReader(gateName) && lastLayerIs(gate)) {
              l.spec = { kind: l.spec.kind === 'sigmoid' ? 'silu' : 'hardswish' };
              l.node = name;
              l.op = `${l.op}+Mul`;
              set({ t: 'layer', id: gate });
              return;
            }
          }
        }
        const kind = op === 'Mul' ? 'mul' : 'add';
        set({ t: 'layer', id: addLayer({ spec: { kind }, inputs: ids, params: {}, node: name, op }) });
        return;
      }
      case 'Concat': {
        const ids = n.input.map((i) => layerOf(i, n));
        const rank = shapeOf(ids[0]).length + 1;
        const axis = a.int('axis', 1);
        if ((axis < 0 ? rank + axis : axis) !== 1) throw new Unsupported(`a concatenation along axis ${axis}; .cnn concatenates channels (axis 1)`);
        set({ t: 'layer', id: addLayer({ spec: { kind: 'concat' }, inputs: ids, params: {}, node: name, op }) });
        return;
      }
      default:
        throw new Unsupported('an operator without a .cnn form');
    }
  };

  /** An Add of a constant: the bias of the conv or fc before it when that layer has none and nothing else reads it. */
  const foldBias = (n: NodeProto, xName: string, cName: string): void => {
    const v = values.get(xName);
    const c = tensor(constOf(cName, 'addend'));
    if (v?.t === 'layer' && v.id >= 0 && onlyReader(xName) && lastLayerIs(v.id)) {
      const l = layers[v.id];
      const s = l.spec;
      const outC = l.out[0];
      const fits = c.data.length === outC && (s.kind === 'fc' ? c.dims.at(-1) === outC : c.dims.length >= 3 && c.dims.at(-3) === outC && numel(c.dims.slice(-2)) === 1);
      if ((s.kind === 'fc' || s.kind === 'conv' || s.kind === 'deconv') && !s.bias && fits) {
        l.spec = { ...s, bias: true } as LayerSpec;
        l.params.bias = { dims: [outC], data: c.data };
        l.op = `${l.op}+Add`;
        values.set(n.output[0], v);
        return;
      }
    }
    throw new Unsupported('an addition of a constant that is not the bias of the conv or fc before it');
  };

  if (inputShape) {
    for (const n of g.node) {
      try {
        read(n);
      } catch (e) {
        if (!(e instanceof Unsupported) && !(e instanceof Downstream)) throw e;
        if (e instanceof Unsupported) problems.push({ node: n.name || n.output[0] || '?', op: n.opType, message: e.message });
        // Later nodes reading this one are not reported again: they read nothing.
        for (const o of n.output) values.set(o, { t: 'none' });
      }
    }
  }

  const name = (opts.name ?? g.name ?? 'imported').replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'imported';
  const header = `# Imported from ${label} (${[model.producerName, model.producerVersion].filter(Boolean).join(' ') || 'unknown producer'}, ` +
    `ONNX IR ${model.irVersion}, opset ${opset}) by cnnlab import. The comment on each line names its ONNX node.\n`;
  const result = (text: string, tensors: ImportedTensor[], layerCount = 0, params = 0, macs = 0): ImportResult =>
    ({ text, network: name, tensors, problems, layers: layerCount, params, macs });
  if (problems.length || !inputShape) return result(header, []);

  // The one output, as a layer.
  if (g.output.length !== 1) {
    problems.push({ node: g.output.map((o) => o.name).join(', '), op: 'output', message: `the model has ${g.output.length} outputs; a .cnn network has one` });
    return result(header, []);
  }
  let outId: number;
  try {
    const v = values.get(g.output[0].name);
    outId = v?.t === 'flat' ? layerOf(g.output[0].name, { opType: 'Reshape', name: g.output[0].name, input: [], output: [] }) : v?.t === 'layer' ? v.id : NaN;
  } catch {
    outId = NaN;
  }
  if (!(outId >= 0)) {
    problems.push({ node: g.output[0].name, op: 'output', message: 'the output is not the output of a layer' });
    return result(header, []);
  }

  const written = writeGraph(layers, outId, problems);
  if (!written) return result(header, []);
  const lines = [header.trimEnd(), `network ${name}`, `input ${inputShape.join('x')}`, ...written.lines];
  const text = lines.join('\n') + '\n';

  // The text must lower to exactly these layers, in this order: the weights' order depends on it.
  const check = analyze(text, name);
  const net = check.networks[0];
  const errors = check.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`import: the written text has errors (${errors[0].code}: ${errors[0].message})`);
  const order = written.order;
  if (net.layers.length !== order.length) throw new Error(`import: the text lowers to ${net.layers.length} layers, the model has ${order.length}`);
  net.layers.forEach((l, i) => {
    const want = layers[order[i]];
    if (l.decl.spec.kind !== want.spec.kind || (l.out ?? []).join() !== want.out.join()) {
      throw new Error(`import: layer ${i} of the text is ${l.decl.text} → ${(l.out ?? []).join('×')}, the model's is ${want.spec.kind} → ${want.out.join('×')} (${want.node})`);
    }
  });

  const tensors: ImportedTensor[] = [];
  let k = 0;
  for (const id of order) {
    const p = layers[id].params;
    if (!p.weight && !p.runningMean) continue;
    const prefix = `layers.${k++}`;
    for (const [key, suffix] of [['weight', 'weight'], ['bias', 'bias'], ['runningMean', 'running_mean'], ['runningVar', 'running_var']] as const) {
      const t = p[key];
      if (t) tensors.push({ name: `${prefix}.${suffix}`, shape: t.dims, data: t.data });
    }
  }
  return result(text, tensors, net.layers.length, net.totals.params, net.totals.macs);
}

/** A Reshape target with 0 (copy) and −1 (infer) resolved against the input's dims. */
function resolveShape(target: number[], dims: readonly number[]): number[] {
  const out = target.map((d, i) => (d === 0 ? dims[i] : d));
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return out.map((d) => (d === -1 ? numel(dims) / known : d));
}

/** B (rows × cols) transposed, row-major. */
function transpose(b: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(b.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = b[r * cols + c];
  return t;
}

/** A layer's line, as the keyword table reads it (without a label or comment). */
export function layerLine(spec: LayerSpec, depthwise = false): string {
  const pair = (p: Pair) => (p[0] === p[1] ? `${p[0]}` : `${p[0]}x${p[1]}`);
  const k = (p: Pair) => (p[0] === p[1] ? `${p[0]}` : `${p[0]}x${p[1]}`);
  const opt = (word: string, p: Pair, dflt: number) => (p[0] === dflt && p[1] === dflt ? '' : ` ${word}${pair(p)}`);
  switch (spec.kind) {
    case 'conv':
      return `${depthwise ? `dwconv${k(spec.kernel)}` : `conv${k(spec.kernel)}-${spec.outChannels}`}${opt('pad', spec.padding, 0)}${opt('stride', spec.stride, 1)}` +
        `${opt('dilation', spec.dilation, 1)}${!depthwise && spec.groups > 1 ? ` groups${spec.groups}` : ''}${spec.bias ? '' : ' nobias'}`;
    case 'deconv':
      return `deconv${k(spec.kernel)}-${spec.outChannels}${opt('stride', spec.stride, 1)}${opt('pad', spec.padding, 0)}${opt('outpad', spec.outputPadding, 0)}` +
        `${opt('dilation', spec.dilation, 1)}${spec.groups > 1 ? ` groups${spec.groups}` : ''}${spec.bias ? '' : ' nobias'}`;
    case 'maxpool': case 'avgpool':
      return `${spec.kind}${k(spec.kernel)}${spec.stride[0] === spec.kernel[0] && spec.stride[1] === spec.kernel[1] ? '' : ` stride${pair(spec.stride)}`}` +
        `${opt('pad', spec.padding, 0)}${spec.ceil ? ' ceil' : ''}`;
    case 'fc': return `fc-${spec.outFeatures}${spec.bias ? '' : ' nobias'}`;
    case 'leakyrelu': return `leakyrelu${fmtNum(spec.slope)}`;
    case 'bn': return spec.eps === 1e-5 ? 'bn' : `bn eps${fmtNum(spec.eps)}`;
    case 'lrn': return `lrn size${spec.size} alpha${fmtNum(spec.alpha)} beta${fmtNum(spec.beta)} k${fmtNum(spec.k)}`;
    case 'dropout': return `dropout${fmtNum(spec.p)}`;
    case 'upsample': return `upsample${spec.factor} ${spec.mode}`;
    default: return spec.kind;
  }
}

/** One written line: its text and the layer it declares (undefined for construct lines). */
interface Line { readonly indent: number; readonly text: string; readonly layer?: number; label?: string }

/**
 * Writes the graph ending at `out` as lines: a chain as itself; a merge whose inputs fork from one
 * tensor (the merge's immediate dominator) on disjoint paths as `residual` or `parallel`; otherwise,
 * when the other inputs lie on the path to the latest one, as labels and an `add`/`concat`/`mul LABEL`
 * line. Returns the lines and the layers in the order the text declares them, or undefined after
 * listing what could not be written.
 */
function writeGraph(layers: readonly Layer[], out: number, problems: ImportProblem[]): { lines: string[]; order: number[] } | undefined {
  const n = layers.length;
  // Ancestors of each layer (bitsets over layer ids; the input, −1, is everyone's ancestor).
  const words = Math.ceil(n / 32);
  const anc = layers.map(() => new Uint32Array(words));
  layers.forEach((l, i) => {
    for (const j of l.inputs) {
      if (j < 0) continue;
      for (let w = 0; w < words; w++) anc[i][w] |= anc[j][w];
      anc[i][j >> 5] |= 1 << (j & 31);
    }
  });
  const isAnc = (a: number, b: number): boolean => a < 0 || (a !== b && (anc[b][a >> 5] & (1 << (a & 31))) !== 0);
  // Immediate dominators: layers come in topological order, so one pass of Cooper–Harvey–Kennedy's intersect.
  const idom = new Array<number>(n);
  const depth = new Array<number>(n);
  const dep = (v: number) => (v < 0 ? 0 : depth[v]);
  const up = (v: number) => (v < 0 ? -1 : idom[v]);
  for (let i = 0; i < n; i++) {
    let d = layers[i].inputs[0];
    for (const j of layers[i].inputs.slice(1)) {
      let x = d;
      let y = j;
      while (x !== y) {
        if (dep(x) > dep(y)) x = up(x);
        else y = up(y);
      }
      d = x;
    }
    idom[i] = d;
    depth[i] = dep(d) + 1;
  }

  const readers = layers.map(() => [] as number[]);
  layers.forEach((l, i) => l.inputs.forEach((j) => j >= 0 && readers[j].push(i)));
  const needed = new Set<number>([out]);
  for (let i = out; i >= 0; i--) if (needed.has(i)) for (const j of layers[i].inputs) if (j >= 0) needed.add(j);
  for (let i = 0; i < n; i++) {
    if (!needed.has(i)) problems.push({ node: layers[i].node, op: layers[i].op, message: 'its output does not reach the model\'s output' });
  }
  if (problems.length) return undefined;

  const lines: Line[] = [];
  const order: number[] = [];
  const lineOf = new Map<number, Line>();
  let labels = 0;
  const fail = (id: number, message: string): never => {
    problems.push({ node: layers[id].node, op: layers[id].op, message });
    throw new Unsupported(message);
  };

  /** The layers on paths from `from` (exclusive) to `to` (inclusive). */
  const region = (from: number, to: number): Set<number> => {
    const s = new Set<number>();
    if (to === from) return s;
    for (let u = from + 1; u <= to; u++) if ((u === to || isAnc(u, to)) && isAnc(from, u)) s.add(u);
    return s;
  };
  const emitLayer = (id: number, indent: number) => {
    const l = layers[id];
    const line: Line = { indent, text: `${layerLine(l.spec, l.depthwise).padEnd(28 - 2 * indent)} # ${l.node}`, layer: id };
    lines.push(line);
    lineOf.set(id, line);
    order.push(id);
  };

  /** Writes the layers that take the current tensor `from` to `to`. */
  const emit = (from: number, to: number, indent: number): void => {
    if (to === from) return;
    if (lineOf.has(to)) fail(to, 'is reached twice by the writer (an unexpected graph shape)');
    const l = layers[to];
    if (l.inputs.length === 1 && !(l.spec.kind === 'add' || l.spec.kind === 'concat' || l.spec.kind === 'mul')) {
      emit(from, l.inputs[0], indent);
      emitLayer(to, indent);
      return;
    }
    const mode = l.spec.kind as 'add' | 'concat' | 'mul';
    const fork = idom[to];
    const regions = l.inputs.map((i) => region(fork, i));
    const all = new Set<number>();
    let disjoint = true;
    for (const r of regions) for (const u of r) {
      if (all.has(u)) disjoint = false;
      all.add(u);
    }
    // Each path reads only itself and the fork, and nothing outside the construct reads into it.
    const closed = disjoint && regions.every((r) => [...r].every((u) => layers[u].inputs.every((j) => j === fork || r.has(j))
      && readers[u].every((k) => r.has(k) || k === to)));
    if (closed && (regions.length === 2 || mode !== 'mul')) {
      emit(from, fork, indent);
      const [a, b] = l.inputs;
      // A label for the merge's output goes on the construct's opening line.
      let opener: Line;
      if (regions.length === 2 && (mode !== 'concat' || regions[0].size === 0)) {
        // residual: merge(shortcut(x), body(x)), the body written (and run) first. For add and mul the
        // body is the path that runs first in the model, or the only one when the other is the identity.
        const first = (r: Set<number>) => (r.size ? Math.min(...r) : Infinity);
        const bodyFirst = mode !== 'concat' && first(regions[0]) < first(regions[1]);
        const [shortcut, body] = bodyFirst ? [b, a] : [a, b];
        opener = { indent, text: mode === 'add' ? 'residual' : `residual ${mode}`, layer: to };
        lines.push(opener);
        emit(fork, body, indent + 1);
        if (shortcut !== fork) {
          lines.push({ indent, text: 'shortcut' });
          emit(fork, shortcut, indent + 1);
        }
      } else {
        opener = { indent, text: mode === 'add' ? 'parallel add' : 'parallel', layer: to };
        lines.push(opener);
        // Concat keeps its inputs' order; an add's branches are written in the order they run.
        const minOf = (i: number) => { const r = regions[l.inputs.indexOf(i)]; return r.size ? Math.min(...r) : -1; };
        const branches = mode === 'concat' ? l.inputs : [...l.inputs].sort((x, y) => minOf(x) - minOf(y));
        for (const i of branches) {
          lines.push({ indent, text: 'branch' });
          emit(fork, i, indent + 1);
        }
      }
      lines.push({ indent, text: `end`.padEnd(28 - 2 * indent) + ` # ${l.node}` });
      lineOf.set(to, opener);
      order.push(to);
      return;
    }
    // Labels: every other input lies on the path to the latest one, which stays the current tensor.
    const latest = Math.max(...l.inputs);
    const others = l.inputs.filter((i) => i !== latest);
    if (l.inputs.filter((i) => i === latest).length !== 1 || others.some((i) => i < 0 || !isAnc(i, latest))) {
      fail(to, `its inputs do not fork from one tensor on separate paths, nor lie on one path; .cnn cannot write this ${mode}`);
    }
    if (mode === 'concat' && l.inputs[l.inputs.length - 1] !== latest) fail(to, 'a concat whose latest input is not its last; `concat LABEL` puts the current tensor last');
    emit(from, latest, indent);
    const names = others.map((i) => {
      const line = lineOf.get(i);
      if (!line || line.layer === undefined) fail(to, 'reads a tensor the writer cannot label');
      line!.label ??= `t${++labels}`;
      return line!.label!;
    });
    const line: Line = { indent, text: `${mode} ${names.join(' ')}`.padEnd(28 - 2 * indent) + ` # ${l.node}`, layer: to };
    lines.push(line);
    lineOf.set(to, line);
    order.push(to);
  };

  try {
    emit(-1, out, 0);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  return { lines: lines.map((l) => `${'  '.repeat(l.indent)}${l.label ? `${l.label}: ` : ''}${l.text}`), order };
}

export { AttrType };
