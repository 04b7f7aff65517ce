/**
 * A network as an ONNX model (IR 7, opset 14 — the first with HardSwish): one input [N, C, H, W] (N = 1, or
 * the symbolic "N" as torch.onnx.export writes a dynamic batch), the parameters as initializers, every
 * layer's shape in value_info, and node names taken from the text: a labelled line's label, else
 * `L12_conv3-64` (1-based line and head word), with `_2`, `_3` for copies of a repeated line. Each kind
 * maps to the ONNX operators whose semantics equal the engine's kernel (tested with onnxruntime).
 * Plain data in, plain data out: the caller reads and writes files.
 */
import type { Analysis, NetworkResult } from '../analysis/analyze.js';
import { convChannels } from '../language/kinds.js';
import type { LayerKind, LayerSpec, Shape, SpecOf } from '../language/types.js';
import type { LayerParams } from '../engine/weights.js';
import type { RunPlan } from '../run/plan.js';
import {
  attr, DataType, encodeModel, floatTensor, int64Tensor, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from './onnxProto.js';

/** The IR version and default-domain opset the export writes. */
export const ONNX_IR_VERSION = 7;
export const ONNX_OPSET = 14;

/** Protobuf messages cannot exceed 2 GiB; the export refuses before building one that would. */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

/** How the export writes the batch axis and who it says produced the file. */
export interface ExportOptions {
  /** True writes the batch axis as the symbolic "N"; else 1. */
  readonly dynamicBatch?: boolean;
  readonly producerVersion?: string;
  /** A sentence for the model's doc_string (e.g. the source file and where the weights came from). */
  readonly doc?: string;
}

/** A layer that has no exact ONNX form, with where it is. */
export class ExportError extends Error {}

/** What one layer's translation produced. */
interface Emitted {
  readonly nodes: NodeProto[];
  readonly initializers: TensorProto[];
}

/** The context a kind's translation gets: names, shapes and parameters of one layer. */
interface LayerArgs<K extends LayerKind> {
  readonly spec: SpecOf<K>;
  /** The node name, also the name of the layer's output tensor. */
  readonly name: string;
  /** The names of the tensors it reads, in order. */
  readonly ins: readonly string[];
  readonly inShape: Shape;
  readonly outShape: Shape;
  readonly p: LayerParams;
  readonly where: string;
}

type Translate<K extends LayerKind> = (a: LayerArgs<K>) => Emitted;

const node = (opType: string, name: string, input: string[], output: string[], attribute: NodeProto['attribute'] = []): NodeProto => ({
  opType, name, input, output, attribute,
});

/** A node that reads `ins` and writes the layer's output. */
const single = <K extends LayerKind>(opType: string, attributes: NodeProto['attribute'] = []): Translate<K> =>
  ({ name, ins }) => ({ nodes: [node(opType, name, [...ins], [name], attributes)], initializers: [] });

const pads = (p: readonly [number, number]) => [p[0], p[1], p[0], p[1]];

/** Weight (and bias) initializers named as PyTorch's state_dict would, under the node's name. */
function weightAndBias(name: string, dims: readonly number[], p: LayerParams, where: string): { inputs: string[]; initializers: TensorProto[] } {
  if (!p.weight) throw new ExportError(`${where}: no weight to export`);
  const inits = [floatTensor(`${name}.weight`, dims, p.weight)];
  const inputs = [`${name}.weight`];
  if (p.bias) {
    inits.push(floatTensor(`${name}.bias`, [dims[0]], p.bias));
    inputs.push(`${name}.bias`);
  }
  return { inputs, initializers: inits };
}

/** A scalar float initializer. */
const scalar = (name: string, v: number): TensorProto => floatTensor(name, [], new Float32Array([v]));

/** MaxPool or AveragePool with the pool's window, ceil_mode and any extra attributes. */
function pool<K extends 'maxpool' | 'avgpool'>(opType: string, extra: NodeProto['attribute'] = []): Translate<K> {
  const t: Translate<'maxpool' | 'avgpool'> = ({ spec, name, ins }) => ({
    nodes: [node(opType, name, [...ins], [name], [
      attr.ints('kernel_shape', spec.kernel), attr.ints('strides', spec.stride), attr.ints('pads', pads(spec.padding)),
      attr.int('ceil_mode', spec.ceil ? 1 : 0), ...extra,
    ])],
    initializers: [],
  });
  return t as unknown as Translate<K>;
}

/** The translation of every layer kind. The mapped type makes a kind without one a compile error. */
const TRANSLATE: { readonly [K in LayerKind]: Translate<K> } = {
  conv({ spec, name, ins, inShape, p, where }) {
    const { groups, outC } = convChannels(spec, inShape[0]);
    const w = weightAndBias(name, [outC, inShape[0] / groups, spec.kernel[0], spec.kernel[1]], p, where);
    return {
      nodes: [node('Conv', name, [ins[0], ...w.inputs], [name], [
        attr.ints('kernel_shape', spec.kernel), attr.ints('strides', spec.stride), attr.ints('pads', pads(spec.padding)),
        attr.ints('dilations', spec.dilation), attr.int('group', groups),
      ])],
      initializers: w.initializers,
    };
  },
  deconv({ spec, name, ins, inShape, p, where }) {
    const w = weightAndBias(name, [inShape[0], spec.outChannels / spec.groups, spec.kernel[0], spec.kernel[1]], p, where);
    // ConvTranspose's bias has the output's channel count, not the weight's first axis.
    if (w.initializers[1]) w.initializers[1].dims = [spec.outChannels];
    return {
      nodes: [node('ConvTranspose', name, [ins[0], ...w.inputs], [name], [
        attr.ints('kernel_shape', spec.kernel), attr.ints('strides', spec.stride), attr.ints('pads', pads(spec.padding)),
        attr.ints('dilations', spec.dilation), attr.int('group', spec.groups), attr.ints('output_padding', spec.outputPadding),
      ])],
      initializers: w.initializers,
    };
  },
  maxpool: pool('MaxPool'),
  // PyTorch's (and the engine's) average counts the padding zeros: count_include_pad = 1.
  avgpool: pool('AveragePool', [attr.int('count_include_pad', 1)]),
  gap: single('GlobalAveragePool'),
  flatten: single('Flatten', [attr.int('axis', 1)]),
  fc({ spec, name, ins, inShape, p, where }) {
    const features = inShape.reduce((a, b) => a * b, 1);
    const w = weightAndBias(name, [spec.outFeatures, features], p, where);
    const nodes: NodeProto[] = [];
    const inits = w.initializers;
    let x = ins[0];
    if (inShape.length !== 1) {
      // The implicit flatten of an fc on a map: Reshape to [N, −1] (0 copies the batch axis). An explicit
      // `flatten` line is a Flatten node instead, so an import gives back the text as it was written.
      const shape = `${name}/flatten_shape`;
      inits.push(int64Tensor(shape, [2], [0, -1]));
      nodes.push(node('Reshape', `${name}/flatten`, [x, shape], [`${name}/flatten`]));
      x = `${name}/flatten`;
    }
    nodes.push(node('Gemm', name, [x, ...w.inputs], [name], [attr.int('transB', 1)]));
    return { nodes, initializers: inits };
  },
  relu: single('Relu'),
  // Clip takes its bounds as inputs since opset 11.
  relu6: ({ name, ins }) => ({
    nodes: [node('Clip', name, [ins[0], `${name}/min`, `${name}/max`], [name])],
    initializers: [scalar(`${name}/min`, 0), scalar(`${name}/max`, 6)],
  }),
  sigmoid: single('Sigmoid'),
  tanh: single('Tanh'),
  silu: ({ name, ins }) => ({
    nodes: [node('Sigmoid', `${name}/sigmoid`, [ins[0]], [`${name}/sigmoid`]), node('Mul', name, [ins[0], `${name}/sigmoid`], [name])],
    initializers: [],
  }),
  hardswish: single('HardSwish'),
  // PyTorch's Hardsigmoid is relu6(x + 3)/6: alpha 1/6, beta 1/2.
  hardsigmoid: single('HardSigmoid', [attr.float('alpha', 1 / 6), attr.float('beta', 0.5)]),
  leakyrelu: (a) => single<'leakyrelu'>('LeakyRelu', [attr.float('alpha', a.spec.slope)])(a),
  // Softmax over channels at each position (or over the vector): axis 1, which since opset 13 is one axis.
  softmax: single('Softmax', [attr.int('axis', 1)]),
  // Inference: the output is the identity; the ratio is kept so an import writes the same line.
  dropout: ({ spec, name, ins }) => ({
    nodes: [node('Dropout', name, [ins[0], `${name}/ratio`], [name])],
    initializers: [scalar(`${name}/ratio`, spec.p)],
  }),
  unknown: ({ where }) => {
    throw new ExportError(`${where}: an unrecognised line has no ONNX form`);
  },
  lrn({ spec, name, ins, where }) {
    // ONNX centres an even window one channel later than PyTorch (floor/ceil of (size − 1)/2 around c).
    if (spec.size % 2 === 0) throw new ExportError(`${where}: lrn size${spec.size} is even; ONNX's LRN window then differs from PyTorch's by a channel, so it cannot be exported exactly`);
    return { nodes: [node('LRN', name, [...ins], [name], [attr.int('size', spec.size), attr.float('alpha', spec.alpha), attr.float('beta', spec.beta), attr.float('bias', spec.k)])], initializers: [] };
  },
  bn({ spec, name, ins, p, inShape, where }) {
    if (!p.weight || !p.bias || !p.runningMean || !p.runningVar) throw new ExportError(`${where}: missing batch-norm parameters`);
    const c = inShape[0];
    return {
      nodes: [node('BatchNormalization', name, [ins[0], `${name}.weight`, `${name}.bias`, `${name}.running_mean`, `${name}.running_var`], [name], [attr.float('epsilon', spec.eps)])],
      initializers: [
        floatTensor(`${name}.weight`, [c], p.weight), floatTensor(`${name}.bias`, [c], p.bias),
        floatTensor(`${name}.running_mean`, [c], p.runningMean), floatTensor(`${name}.running_var`, [c], p.runningVar),
      ],
    };
  },
  upsample({ spec, name, ins, inShape }) {
    const f = spec.factor;
    if (spec.mode === 'zeros') {
      // Zero insertion is a depthwise transposed conv with stride F whose F×F kernel is 1 at (0, 0).
      const c = inShape[0];
      const w = new Float32Array(c * f * f);
      for (let i = 0; i < c; i++) w[i * f * f] = 1;
      return {
        nodes: [node('ConvTranspose', name, [ins[0], `${name}/kernel`], [name], [
          attr.ints('kernel_shape', [f, f]), attr.ints('strides', [f, f]), attr.int('group', c),
        ])],
        initializers: [floatTensor(`${name}/kernel`, [c, 1, f, f], w)],
      };
    }
    // Bilinear as PyTorch with align_corners=False is half_pixel (they differ only for a 1-pixel output).
    const attributes = spec.mode === 'nearest'
      ? [attr.string('mode', 'nearest'), attr.string('coordinate_transformation_mode', 'asymmetric'), attr.string('nearest_mode', 'floor')]
      : [attr.string('mode', 'linear'), attr.string('coordinate_transformation_mode', 'half_pixel')];
    return {
      nodes: [node('Resize', name, [ins[0], '', `${name}/scales`], [name], attributes)],
      initializers: [floatTensor(`${name}/scales`, [4], new Float32Array([1, 1, f, f]))],
    };
  },
  add: ({ name, ins }) => binaryChain('Add', name, ins),
  mul: ({ name, ins }) => binaryChain('Mul', name, ins),
  concat: single('Concat', [attr.int('axis', 1)]),
};

/** Add and Mul take two inputs: more are folded left to right, as the engine does. */
function binaryChain(op: 'Add' | 'Mul', name: string, ins: readonly string[]): Emitted {
  const nodes: NodeProto[] = [];
  let acc = ins[0];
  for (let i = 1; i < ins.length; i++) {
    const out = i === ins.length - 1 ? name : `${name}/${i}`;
    nodes.push(node(op, i === ins.length - 1 ? name : out, [acc, ins[i]], [out]));
    acc = out;
  }
  return { nodes, initializers: [] };
}

/**
 * One node name per layer: the label of a labelled line, else `L<line>_<head word>`; copies of a line
 * (repeats, block calls, auto layers after a repeated line) get `_2`, `_3`, … in execution order.
 */
export function nodeNames(a: Analysis, net: NetworkResult): string[] {
  const seen = new Map<string, number>();
  return net.layers.map((l) => {
    const d = l.decl;
    const line = a.lines.position(d.stmt.span.start).line + 1;
    const head = d.auto || KIND_IS_MERGE(d.spec) ? d.keyword : d.text.split(/\s+/)[0];
    const base = (d.label ?? `L${line}_${head}`).replace(/[^A-Za-z0-9_.\-]/g, '_');
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  });
}

const KIND_IS_MERGE = (s: LayerSpec): boolean => s.kind === 'add' || s.kind === 'concat' || s.kind === 'mul';

/** A float tensor's value info; the batch axis is 1 or "N". */
function valueInfo(name: string, shape: Shape, batch: number | string): ValueInfoProto {
  const b = typeof batch === 'number' ? { dimValue: batch } : { dimParam: batch };
  return { name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [b, ...shape.map((d) => ({ dimValue: d }))] } } } };
}

/** Bytes of the parameters the model will hold, to refuse a model protobuf cannot hold before building it. */
function paramBytes(params: readonly LayerParams[]): number {
  let n = 0;
  for (const p of params) n += 4 * ((p.weight?.length ?? 0) + (p.bias?.length ?? 0) + (p.runningMean?.length ?? 0) + (p.runningVar?.length ?? 0));
  return n;
}

/** The model of a planned network with these parameters (from loadParams: a weights file or He initialisation). */
export function exportModel(a: Analysis, plan: RunPlan, params: readonly LayerParams[], opts: ExportOptions = {}): ModelProto {
  const net = plan.network;
  if (params.length !== plan.layers.length) throw new ExportError(`${params.length} parameter records for ${plan.layers.length} layers`);
  const bytes = paramBytes(params);
  if (bytes > MAX_MODEL_BYTES - 16 * 2 ** 20) {
    throw new ExportError(`the parameters take ${(bytes / 2 ** 30).toFixed(2)} GiB; an ONNX file (a protobuf message) holds at most 2 GiB`);
  }
  if (!plan.layers.length) throw new ExportError(`network '${net.name}' has no layers to export`);
  const names = nodeNames(a, net);
  const batch = opts.dynamicBatch ? 'N' : 1;
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  const infos: ValueInfoProto[] = [];
  plan.layers.forEach((spec, i) => {
    const l = net.layers[i];
    const line = a.lines.position(l.decl.stmt.span.start).line + 1;
    const where = `line ${line} (${l.decl.text})`;
    const ins = plan.inputs[i].map((j) => (j < 0 ? 'input' : names[j]));
    const translate = TRANSLATE[spec.kind] as Translate<LayerKind>;
    const e = translate({ spec, name: names[i], ins, inShape: l.in!, outShape: l.out!, p: params[i], where });
    nodes.push(...e.nodes);
    initializers.push(...e.initializers);
    if (i < plan.layers.length - 1) infos.push(valueInfo(names[i], l.out!, batch));
  });
  const last = plan.layers.length - 1;
  return {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'cnnlab',
    producerVersion: opts.producerVersion ?? '',
    ...(opts.doc ? { docString: opts.doc } : {}),
    graph: {
      name: net.name,
      node: nodes,
      initializer: initializers,
      input: [valueInfo('input', plan.inputShape, batch)],
      output: [valueInfo(names[last], net.layers[last].out!, batch)],
      valueInfo: infos,
    },
  };
}

/** The model's bytes. */
export function exportOnnx(a: Analysis, plan: RunPlan, params: readonly LayerParams[], opts: ExportOptions = {}): Uint8Array {
  return encodeModel(exportModel(a, plan, params, opts));
}
