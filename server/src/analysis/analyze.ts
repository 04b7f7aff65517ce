/**
 * The analysis of a .cnn text: every network's layers with shapes, parameters, MACs, activations and
 * receptive fields, the totals, and every diagnostic. One call per document version; everything the
 * CLI, the language server and the engine show is read from its result.
 */
import { parse } from '../language/parser.js';
import { lower, type LayerDecl, type NetworkDecl, type Program } from '../language/program.js';
import { LineIndex } from '../language/lines.js';
import type { ParseResult } from '../language/ast.js';
import { applyLayer, inputField, type Field } from './layer.js';
import { checkLayer, checkNetwork, type CheckContext } from './checks.js';
import type { Diagnostic, Pair, Shape } from './types.js';

/** One layer's figures. `in`/`out` are undefined when the shape is unknown (missing input, earlier error). */
export interface LayerResult {
  readonly index: number;
  readonly decl: LayerDecl;
  readonly in?: Shape;
  readonly out?: Shape;
  readonly weights: number;
  readonly biases: number;
  readonly params: number;
  readonly macs: number;
  /** Output elements (4 bytes each in float32). */
  readonly activations: number;
  readonly formula: string;
  readonly rf?: Pair;
  readonly jump?: Pair;
  readonly padding?: Pair;
  readonly approximateField?: boolean;
  readonly implicitFlatten?: boolean;
}

/** Totals of a network. */
export interface Totals {
  readonly params: number;
  readonly macs: number;
  readonly activations: number;
  readonly activationBytes: number;
  readonly paramBytes: number;
  readonly fcParams: number;
  readonly convParams: number;
  /** fc parameters / all parameters, 0 when there are none. */
  readonly fcShare: number;
  /** False when some layer's shape is unknown, so the totals cover only part of the network. */
  readonly complete: boolean;
}

/** One network's analysis. */
export interface NetworkResult {
  readonly decl: NetworkDecl;
  readonly name: string;
  readonly input?: Shape;
  readonly layers: readonly LayerResult[];
  readonly totals: Totals;
}

/** The whole analysis of one text. */
export interface Analysis {
  readonly text: string;
  readonly lines: LineIndex;
  readonly parsed: ParseResult;
  readonly program: Program;
  readonly networks: readonly NetworkResult[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Parses, lowers and analyses a text. Never throws. `defaultName` names a network without a `network` line. */
export function analyze(text: string, defaultName = 'network'): Analysis {
  const lines = new LineIndex(text);
  const parsed = parse(text);
  const program = lower(parsed, text, defaultName);
  const diagnostics: Diagnostic[] = [...program.diagnostics];
  const seen = new Set<string>();
  const report = (d: Diagnostic) => {
    // A layer inside a block is analysed once per use; report each distinct problem once.
    const key = `${d.code}:${d.span.start}:${d.span.end}:${d.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      diagnostics.push(d);
    }
  };
  const networks = program.networks.map((n) => analyzeNetwork(n, { text, lines, report }));
  diagnostics.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  return { text, lines, parsed, program, networks, diagnostics };
}

/** Walks a network's layers, carrying the shape and receptive field, and runs the checks. */
function analyzeNetwork(net: NetworkDecl, ctx: Omit<CheckContext, 'net'>): NetworkResult {
  const layers: LayerResult[] = [];
  const input = net.input?.shape;
  let shape: Shape | undefined = input;
  let field: Field | undefined = input ? inputField(input) : undefined;
  let complete = !!input;
  const cctx: CheckContext = { text: ctx.text, lines: ctx.lines, report: ctx.report, net };
  net.layers.forEach((decl, index) => {
    const prev = layers[index - 1];
    if (!shape || !field) {
      complete = false;
      layers.push({ index, decl, weights: 0, biases: 0, params: 0, macs: 0, activations: 0, formula: '?' });
      return;
    }
    const o = applyLayer(decl.spec, shape, field);
    const params = o.weights + o.biases;
    const activations = o.out ? o.out.reduce((a, b) => a * b, 1) : 0;
    const r: LayerResult = {
      index, decl, in: shape, out: o.out, weights: o.weights, biases: o.biases, params, macs: o.macs, activations,
      formula: o.formula, rf: o.field.rf, jump: o.field.jump, padding: o.field.padding,
      approximateField: o.field.approximate || undefined, implicitFlatten: o.implicitFlatten || undefined,
    };
    const ok = checkLayer(r, prev, o.error, cctx);
    if (!ok) (r as { out?: Shape }).out = undefined;
    layers.push(r);
    shape = ok ? o.out : undefined;
    field = ok ? o.field : undefined;
    if (!ok) complete = false;
  });
  let params = 0, macs = 0, activations = 0, fcParams = 0, convParams = 0;
  for (const l of layers) {
    params += l.params;
    macs += l.macs;
    activations += l.activations;
    if (l.decl.spec.kind === 'fc') fcParams += l.params;
    if (l.decl.spec.kind === 'conv') convParams += l.params;
  }
  const totals: Totals = {
    params, macs, activations, activationBytes: 4 * activations, paramBytes: 4 * params, fcParams, convParams,
    fcShare: params ? fcParams / params : 0, complete,
  };
  const result: NetworkResult = { decl: net, name: net.name, input, layers, totals };
  checkNetwork(result, cctx);
  return result;
}
