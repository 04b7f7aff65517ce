/**
 * The diagnostics that judge shapes and costs. Each check is one small function with a stable code;
 * the codes are listed in the README and asserted by the tests.
 */
import type { Construct, LayerDecl, NetworkDecl } from '../language/program.js';
import type { Field } from '../language/kinds.js';
import { slide } from '../language/kinds.js';
import type { Statement } from '../language/ast.js';
import type { LineIndex } from '../language/lines.js';
import type { LayerResult, NetworkResult } from './analyze.js';
import type { Diagnostic, Fix, Severity, Shape, Span } from '../language/types.js';

/** What a check needs besides the layer: the text (for fixes), where to report, the network. */
export interface CheckContext {
  readonly text: string;
  readonly lines: LineIndex;
  readonly report: (d: Diagnostic) => void;
  readonly net: NetworkDecl;
  /** The file's constructs, to report a merge on its opening line. */
  readonly constructs: readonly Construct[];
}

import { fmtInt as fmt } from './format.js';
const dims = (s: Shape) => s.map(fmt).join('×');
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Where a problem of a layer is shown: its own line, or the block call that expanded it. */
function place(decl: LayerDecl, span?: Span): { span: Span; related?: Diagnostic['related'] } {
  if (decl.site !== decl.stmt && !isRepeat(decl.site)) {
    return { span: decl.site.head.span, related: [{ span: span ?? decl.stmt.head.span, message: `in block ${decl.site.head.text}: ${decl.text}` }] };
  }
  return { span: span ?? decl.stmt.head.span };
}

const isRepeat = (s: Statement) => s.head.text.toLowerCase() === 'repeat' && !s.label;

function say(ctx: CheckContext, decl: LayerDecl, code: string, severity: Severity, message: string, span?: Span, fixes?: Fix[]): void {
  const p = place(decl, span);
  ctx.report({ code, severity, message, span: p.span, related: p.related, fixes: p.related ? undefined : fixes });
}

/** Span of a layer's option of some kind, if written. */
function optionSpan(decl: LayerDecl, prefix: RegExp): Span | undefined {
  return decl.stmt.args.find((a) => prefix.test(a.text.toLowerCase()))?.span;
}

/** Runs the per-layer checks; false when the layer's output shape is unusable. */
export function checkLayer(
  r: LayerResult, prev: LayerResult | undefined, error: { code: string; message: string } | undefined, ctx: CheckContext, mergeFields?: readonly Field[],
): boolean {
  const d = r.decl;
  poolOn1x1(r, ctx);
  if (error?.code === 'merge-mismatch') {
    mergeMismatch(r, ctx);
    return false;
  }
  if (mergeFields) misalignedPaths(r, mergeFields, ctx);
  if (error) {
    const span = error.code === 'groups-mismatch' ? optionSpan(d, /^groups?\d/) : undefined;
    say(ctx, d, error.code, 'error', error.message, span);
    return false;
  }
  if (tooLarge(r, ctx)) return false;
  droppedPixels(r, ctx);
  largeKernel(r, ctx);
  doubleActivation(r, prev, ctx);
  return true;
}

/** Where a merge is reported: the `residual`/`parallel` line it closes, or its own merge line. */
function mergeSpan(r: LayerResult, ctx: CheckContext): { span: Span; construct?: Construct } {
  const c = r.decl.construct !== undefined ? ctx.constructs[r.decl.construct] : undefined;
  if (c && (c.kind === 'residual' || c.kind === 'parallel') && (c.end === r.decl.stmt || c.open === r.decl.stmt)) return { span: c.open.head.span, construct: c };
  return { span: r.decl.stmt.head.span };
}

/** `merge-mismatch`: the tensors a merge joins do not fit (add/mul need equal shapes, concat equal H×W). */
function mergeMismatch(r: LayerResult, ctx: CheckContext): void {
  const names = r.decl.inputNames ?? r.inputs.map((_, i) => `input ${i + 1}`);
  const shapes = r.ins ?? [];
  const parts = names.map((nm, i) => `${nm} ${i === 0 ? 'gives ' : ''}${shapes[i] ? dims(shapes[i]!) : '?'}`);
  const kind = r.decl.spec.kind;
  const why = kind === 'concat' ? 'concat needs the same height and width on every input' : kind === 'mul' ? 'mul needs equal shapes, or a C×1×1 side' : 'add needs equal shapes';
  const { span, construct } = mergeSpan(r, ctx);
  say(ctx, r.decl, 'merge-mismatch', 'error', `${kind}: ${parts.join(', ')} — ${why}`, span, projectionFix(r, construct, ctx));
}

/**
 * The quick fix for a residual `add` whose body changes channels or stride: a projection shortcut
 * `conv1-C strideS nobias` + `bn`, as ResNet's downsampling blocks have.
 */
function projectionFix(r: LayerResult, c: Construct | undefined, ctx: CheckContext): Fix[] | undefined {
  if (!c || c.kind !== 'residual' || c.sections.length || !c.end || r.decl.spec.kind !== 'add') return undefined;
  const [x, body] = r.ins ?? [];
  if (!x || !body || x.length !== 3 || body.length !== 3) return undefined;
  const stride = [Math.max(1, Math.round(x[1] / body[1])), Math.max(1, Math.round(x[2] / body[2]))];
  if (slide(x[1], 1, stride[0], 0) !== body[1] || slide(x[2], 1, stride[1], 0) !== body[2]) return undefined;
  const { line: endLine } = ctx.lines.position(c.end.span.start);
  const { line: openLine } = ctx.lines.position(c.open.span.start);
  const outer = ctx.lines.indentation(endLine);
  const first = ctx.net.layers.find((l) => l.construct !== undefined && ctx.constructs[l.construct] === c && l.stmt !== c.end);
  const inner = first ? ctx.lines.indentation(ctx.lines.position(first.stmt.span.start).line) : outer + '  ';
  const s = stride[0] === stride[1] ? String(stride[0]) : stride.join('x');
  const conv = `conv1-${body[0]}${stride[0] > 1 || stride[1] > 1 ? ` stride${s}` : ''} nobias`;
  void openLine;
  const at = ctx.lines.lineStart(endLine);
  return [{
    title: `Add a projection shortcut: \`${conv}\` + \`bn\` (${dims(x)} → ${dims(body)})`,
    edits: [{ span: { start: at, end: at }, text: `${outer}shortcut\n${inner}${conv}\n${inner}bn\n` }],
    preferred: true,
  }];
}

/** `misaligned-paths`: paths into a merge whose units are spaced or centred differently on the input. */
function misalignedPaths(r: LayerResult, fields: readonly Field[], ctx: CheckContext): void {
  if (!r.out || r.out.length !== 3 || fields.some((f) => f.approximate)) return;
  const centre = (f: Field, i: 0 | 1) => (f.rf[i] - 1) / 2 - f.padding[i];
  const names = r.decl.inputNames ?? r.inputs.map((_, i) => `input ${i + 1}`);
  for (let a = 0; a < fields.length; a++) {
    for (let b = a + 1; b < fields.length; b++) {
      const fa = fields[a];
      const fb = fields[b];
      const jumpDiff = fa.jump[0] !== fb.jump[0] || fa.jump[1] !== fb.jump[1];
      const centreDiff = centre(fa, 0) !== centre(fb, 0) || centre(fa, 1) !== centre(fb, 1);
      if (!jumpDiff && !centreDiff) continue;
      const what = (f: Field) => `units ${f.jump[0] === f.jump[1] ? f.jump[0] : f.jump.join('×')} px apart, unit 0 centred at ${centre(f, 0) === centre(f, 1) ? centre(f, 0) : `${centre(f, 0)}×${centre(f, 1)}`}`;
      say(ctx, r.decl, 'misaligned-paths', 'information',
        `${r.decl.spec.kind}: the paths ${names[a]} and ${names[b]} do not line up on the input (${names[a]}: ${what(fa)}; ${names[b]}: ${what(fb)}), so each output unit mixes features of different places; the receptive field shown is that of ${names[r.fieldFrom ?? 0]}, the largest`,
        mergeSpan(r, ctx).span);
      return;
    }
  }
}

/** `too-large`: numbers past 2^53 cannot be counted exactly; stop before they turn into nonsense. */
function tooLarge(r: LayerResult, ctx: CheckContext): boolean {
  // Checking the products is enough: every factor of a safe product is itself safe and finite.
  if (Number.isSafeInteger(r.params) && Number.isSafeInteger(r.macs) && Number.isSafeInteger(r.activations) &&
      (!r.out || r.out.every(Number.isSafeInteger))) return false;
  say(ctx, r.decl, 'too-large', 'error', `this layer's size is beyond what can be counted exactly (more than 2^53 ${r.activations > Number.MAX_SAFE_INTEGER ? 'output values' : 'parameters or MACs'}); check its numbers`);
  return true;
}

/** `dropped-pixels`: the last window does not reach the end of the padded input, so rows/columns are never read. */
function droppedPixels(r: LayerResult, ctx: CheckContext): void {
  const s = r.decl.spec;
  if ((s.kind !== 'conv' && s.kind !== 'maxpool' && s.kind !== 'avgpool') || !r.in || r.in.length !== 3) return;
  // A window smaller than its stride skips pixels all over the map by design (ResNet's 1×1 stride-2 projection), not just at the end.
  if (s.kernel[0] < s.stride[0] || s.kernel[1] < s.stride[1]) return;
  const dil = s.kind === 'conv' ? s.dilation : [1, 1] as const;
  // Rows past the last window are unused; those that are padding zeros lose nothing.
  const unused = (i: 0 | 1) => Math.max(0, ((r.in![i + 1] + 2 * s.padding[i] - dil[i] * (s.kernel[i] - 1) - 1) % s.stride[i]) - s.padding[i]);
  const lh = unused(0);
  const lw = unused(1);
  if (lh === 0 && lw === 0) return;
  const left = [lh, lw];
  const parts = [left[0] ? plural(left[0], 'row') : '', left[1] ? plural(left[1], 'column') : ''].filter(Boolean).join(' and ');
  const stride = s.stride[0] === s.stride[1] ? s.stride[0] : s.stride.join('×');
  const what = s.kind === 'conv' ? `the ${s.kernel.join('×')} kernel with stride ${stride} leaves` : `the ${s.kernel.join('×')} windows with stride ${stride} leave`;
  say(ctx, r.decl, 'dropped-pixels', 'warning',
    `on the ${dims(r.in.slice(1))} input, ${what} the last ${parts} unused: no window reaches ${left[0] + left[1] === 1 ? 'it' : 'them'}, so those pixels are dropped`,
    optionSpan(r.decl, /^stride/));
}

/** `pool-on-1x1`: pooling (or a strided conv) on a 1×1 map has no spatial information left to reduce. */
function poolOn1x1(r: LayerResult, ctx: CheckContext): void {
  const s = r.decl.spec;
  if (!r.in || r.in.length !== 3 || r.in[1] !== 1 || r.in[2] !== 1) return;
  const strided = s.kind === 'conv' && (s.stride[0] > 1 || s.stride[1] > 1);
  if (s.kind !== 'maxpool' && s.kind !== 'avgpool' && s.kind !== 'gap' && !strided) return;
  say(ctx, r.decl, 'pool-on-1x1', 'warning',
    `${s.kind === 'conv' ? 'a strided conv' : s.kind} on a 1×1 map: all spatial information is already gone, so this layer cannot reduce anything — too much pooling earlier`);
}

/** `large-kernel`: a K×K conv equals (K−1)/2 stacked 3×3 convs in receptive field, with fewer weights. */
function largeKernel(r: LayerResult, ctx: CheckContext): void {
  const s = r.decl.spec;
  if (s.kind !== 'conv' || s.depthwise || s.groups !== 1 || s.teaching || r.decl.auto) return;
  const k = s.kernel[0];
  if (k !== s.kernel[1] || k < 5 || k % 2 === 0 || s.stride[0] !== 1 || s.stride[1] !== 1 || s.dilation[0] !== 1 || s.dilation[1] !== 1) return;
  const n = (k - 1) / 2;
  const names = ['', 'one', 'two', 'three', 'four', 'five', 'six', 'seven'];
  const count = names[n] ?? String(n);
  say(ctx, r.decl, 'large-kernel', 'hint',
    `a ${k}×${k} conv has the receptive field of ${count} stacked 3×3 convs, which need ${9 * n} instead of ${k * k} weights per channel pair and add ${plural(n - 1, 'nonlinearity', 'nonlinearities')} between them`,
    undefined, stackFix(r, n, count, ctx));
}

/** The edit that rewrites a K×K conv line as n stacked 3×3 convs (only when padding is 0 or "same"). */
function stackFix(r: LayerResult, n: number, count: string, ctx: CheckContext): Fix[] | undefined {
  const s = r.decl.spec;
  if (s.kind !== 'conv' || r.decl.site !== r.decl.stmt) return undefined;
  const k = s.kernel[0];
  const same = s.padding[0] === (k - 1) / 2 && s.padding[1] === (k - 1) / 2;
  if (!same && (s.padding[0] !== 0 || s.padding[1] !== 0)) return undefined;
  const stmt = r.decl.stmt;
  const rest = stmt.args.filter((a) => !/^(pad|same)/i.test(a.text)).map((a) => a.text);
  const { line } = ctx.lines.position(stmt.span.start);
  const indent = ctx.lines.indentation(line);
  const conv = [`conv3-${s.outChannels}`, ...(same ? ['pad1'] : []), ...rest].join(' ');
  // Mirror the author's style: if an explicit activation follows this conv, put one between the 3×3s too.
  const idx = ctx.net.layers.indexOf(r.decl);
  const next = ctx.net.layers[idx + 1];
  const act = next && !next.auto && ['relu', 'leakyrelu', 'sigmoid', 'tanh'].includes(next.spec.kind) ? next.stmt.head.text : undefined;
  const linesOut: string[] = [];
  for (let i = 0; i < n; i++) {
    linesOut.push((i === n - 1 && stmt.label ? `${stmt.label.text}: ` : '') + conv);
    if (act && i < n - 1) linesOut.push(act);
  }
  return [{
    title: `Replace by ${count} 3×3 convolutions (same receptive field, fewer weights)`,
    edits: [{ span: stmt.span, text: linesOut.join(`\n${indent}`) }],
    preferred: true,
  }];
}

/** `double-activation`: an explicit activation right after one that `auto` already added. */
function doubleActivation(r: LayerResult, prev: LayerResult | undefined, ctx: CheckContext): void {
  const acts = ['relu', 'leakyrelu', 'sigmoid', 'tanh'];
  if (!prev?.decl.auto || r.decl.auto || !acts.includes(r.decl.spec.kind) || !acts.includes(prev.decl.spec.kind)) return;
  const { line } = ctx.lines.position(r.decl.stmt.span.start);
  say(ctx, r.decl, 'double-activation', 'warning',
    `\`auto\` already adds ${prev.decl.spec.kind} after the previous layer; this line applies a second activation`,
    undefined, [{ title: 'Remove this line', edits: [{ span: { start: ctx.lines.lineStart(line), end: ctx.lines.nextLineStart(line) }, text: '' }], preferred: true }]);
}

/** The network-wide checks: missing input, receptive field past the input, fc layers dominating. */
export function checkNetwork(n: NetworkResult, ctx: CheckContext): void {
  missingInput(n, ctx);
  rfExceedsInput(n, ctx);
  fcDominates(n, ctx);
}

/** `missing-input`: without `input C×H×W` no shape can be known. */
function missingInput(n: NetworkResult, ctx: CheckContext): void {
  if (n.decl.input || !n.layers.length) return;
  const first = n.layers[0].decl;
  const { line } = ctx.lines.position(first.site.span.start);
  const indent = ctx.lines.indentation(line);
  ctx.report({
    code: 'missing-input', severity: 'error',
    message: `network '${n.name}' has no \`input\` line, so no shape can be computed; write one before the first layer, e.g. \`input 3x224x224\``,
    span: n.decl.header?.span ?? first.site.head.span,
    fixes: [{ title: 'Insert `input 3x224x224`', edits: [{ span: { start: ctx.lines.lineStart(line), end: ctx.lines.lineStart(line) }, text: `${indent}input 3x224x224\n` }], preferred: true }],
  });
}

/** `rf-exceeds-input`: the first conv/pool layer whose receptive field is wider than the input. */
function rfExceedsInput(n: NetworkResult, ctx: CheckContext): void {
  if (!n.input) return;
  const [, h, w] = n.input;
  const l = n.layers.find((x) => x.rf && x.out && ['conv', 'maxpool', 'avgpool'].includes(x.decl.spec.kind) && (x.rf[0] > h || x.rf[1] > w));
  if (!l) return;
  say(ctx, l.decl, 'rf-exceeds-input', 'information',
    `from here on a unit's receptive field (${l.rf![0]}×${l.rf![1]}) is larger than the ${h}×${w} input: each unit sees the whole image and part of the zero padding`);
}

/** `fc-dominates`: fc layers hold most parameters; GAP before the first fc would remove most of them. */
function fcDominates(n: NetworkResult, ctx: CheckContext): void {
  const t = n.totals;
  if (!t.complete || t.fcShare <= 0.5 || t.convParams === 0) return;
  const idx = n.layers.findIndex((l) => l.decl.spec.kind === 'fc');
  if (idx < 0) return;
  // The map the first fc reads: its input, or the input of the flatten right before it.
  const fc = n.layers[idx];
  // Look back past shape-preserving layers (AlexNet puts dropout between flatten and fc).
  let j = idx - 1;
  while (j >= 0 && ['dropout', 'relu', 'leakyrelu', 'sigmoid', 'tanh'].includes(n.layers[j].decl.spec.kind)) j--;
  const flat = j >= 0 && n.layers[j].decl.spec.kind === 'flatten' ? n.layers[j] : undefined;
  const map = fc.in?.length === 3 ? fc.in : flat?.in?.length === 3 ? flat.in : undefined;
  if (!map || map[1] * map[2] <= 1 || fc.decl.spec.kind !== 'fc') return;
  const removed = map[0] * (map[1] * map[2] - 1) * fc.decl.spec.outFeatures;
  const pct = (100 * t.fcShare).toFixed(1);
  const fixes: Fix[] = [];
  const stmt = (flat ?? fc).decl.stmt;
  if ((flat ?? fc).decl.site === stmt && !(flat ?? fc).decl.copy) {
    if (flat) {
      fixes.push({ title: 'Replace flatten by global average pooling (gap)', edits: [{ span: flat.decl.stmt.head.span, text: 'gap' }] });
    } else {
      const { line } = ctx.lines.position(stmt.span.start);
      fixes.push({ title: 'Insert global average pooling (gap) before the first fc', edits: [{ span: { start: ctx.lines.lineStart(line), end: ctx.lines.lineStart(line) }, text: `${ctx.lines.indentation(line)}gap\n` }] });
    }
  }
  say(ctx, fc.decl, 'fc-dominates', 'information',
    `fc layers hold ${pct}% of the parameters (${fmt(t.fcParams)} of ${fmt(t.params)}). Global average pooling of the ${dims(map)} map before this layer would remove ${fmt(removed)} of them`,
    undefined, fixes);
}

