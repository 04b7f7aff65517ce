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
import { isMerge } from '../language/kinds.js';
import { checkLayer, checkNetwork, type CheckContext } from './checks.js';
import type { Diagnostic, Pair, Shape } from '../language/types.js';

/** One layer's figures. `in`/`out` are undefined when the shape is unknown (missing input, earlier error). */
export interface LayerResult {
  readonly index: number;
  readonly decl: LayerDecl;
  /** The layers it reads (−1: the network input), as in the declaration. */
  readonly inputs: readonly number[];
  /** Input shapes of a merge, in input order (undefined where unknown). */
  readonly ins?: readonly (Shape | undefined)[];
  /** For a merge: which input's field the output takes (the largest). */
  readonly fieldFrom?: number;
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
  if (text.length > MAX_TEXT) return tooLargeText(text, lines);
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
  const networks = program.networks.map((n) => analyzeNetwork(n, { text, lines, report, constructs: program.constructs }));
  diagnostics.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  return { text, lines, parsed, program, networks, diagnostics };
}

/**
 * The network at an offset: the last one that starts at or before it (so a comment or blank line after a
 * network still belongs to it), else the first. The one rule the status bar, the summary, Run on Image and
 * the exports use for "the network at the cursor".
 */
export function networkAtOffset(a: Analysis, offset: number): NetworkResult | undefined {
  let found: NetworkResult | undefined;
  for (const n of a.networks) {
    if (n.decl.span.start <= offset) found = n;
    else break;
  }
  return found ?? a.networks[0];
}

/** Files larger than this (in UTF-16 units, about 1 MB or 60,000 lines) are not analysed: no network file is near it, and parsing more would keep the server from answering. */
export const MAX_TEXT = 1_000_000;

/** The analysis of an oversized text: one note on its first line, nothing else. */
function tooLargeText(text: string, lines: LineIndex): Analysis {
  const parsed: ParseResult = { statements: [], errors: [], comments: [] };
  const program: Program = { networks: [], blocks: new Map(), diagnostics: [], constructs: [], statements: [], labels: new Map(), references: [] };
  const end = Math.max(1, Math.min(text.length, lines.nextLineStart(0) - 1));
  const mb = (text.length / 1e6).toFixed(1);
  const diagnostics: Diagnostic[] = [{
    code: 'too-large', severity: 'error', span: { start: 0, end },
    message: `this file has ${mb} million characters; CNN Lab analyses files of up to ${(MAX_TEXT / 1e6).toFixed(0)} million (about 60,000 lines), so nothing in it is analysed`,
  }];
  return { text, lines, parsed, program, networks: [], diagnostics };
}

/** Walks a network's graph in execution order, carrying shapes and receptive fields, and runs the checks. */
function analyzeNetwork(net: NetworkDecl, ctx: Omit<CheckContext, 'net'>): NetworkResult {
  const layers: LayerResult[] = [];
  const input = net.input?.shape;
  const inField = input ? inputField(input) : undefined;
  /** Output shape and field of each layer, undefined when unknown. */
  const shapes: (Shape | undefined)[] = [];
  const fields: (Field | undefined)[] = [];
  let complete = !!input;
  const cctx: CheckContext = { text: ctx.text, lines: ctx.lines, report: ctx.report, net, constructs: ctx.constructs };
  const decls = net.layers;
  const one: (Shape | undefined)[] = [undefined];
  const oneField: (Field | undefined)[] = [undefined];
  for (let index = 0; index < decls.length; index++) {
    const decl = decls[index];
    const ids = decl.inputs;
    const merge = isMerge(decl.spec);
    // A chain layer reads one input: reuse two one-slot arrays rather than allocate per layer.
    const ins: (Shape | undefined)[] = merge ? [] : one;
    const fs: (Field | undefined)[] = merge ? [] : oneField;
    let known = true;
    for (let k = 0; k < ids.length; k++) {
      const j = ids[k];
      const sh = j < 0 ? input : shapes[j];
      const f = j < 0 ? inField : fields[j];
      ins[k] = sh;
      fs[k] = f;
      if (!sh || !f) known = false;
    }
    if (!known) {
      complete = false;
      layers.push({ index, decl, inputs: ids, ins: merge ? ins : undefined, weights: 0, biases: 0, params: 0, macs: 0, activations: 0, formula: '?' });
      shapes.push(undefined);
      fields.push(undefined);
      continue;
    }
    const o = applyLayer(decl.spec, ins as Shape[], fs as Field[]);
    const params = o.weights + o.biases;
    const activations = o.out ? o.out.reduce((a, b) => a * b, 1) : 0;
    const r: LayerResult = {
      index, decl, inputs: ids, ins: merge ? ins : undefined, fieldFrom: o.fieldFrom, in: ins[o.fieldFrom ?? 0], out: o.out,
      weights: o.weights, biases: o.biases, params, macs: o.macs, activations,
      formula: o.formula, rf: o.field.rf, jump: o.field.jump, padding: o.field.padding,
      approximateField: o.field.approximate || undefined, implicitFlatten: o.implicitFlatten || undefined,
    };
    const prev = ids.length === 1 && ids[0] >= 0 ? layers[ids[0]] : undefined;
    const ok = checkLayer(r, prev, o.error, cctx, merge ? (fs as Field[]) : undefined);
    if (!ok) (r as { out?: Shape }).out = undefined;
    layers.push(r);
    shapes.push(ok ? o.out : undefined);
    fields.push(ok ? o.field : undefined);
    if (!ok) complete = false;
  }
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
