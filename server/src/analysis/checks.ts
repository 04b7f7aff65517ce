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
import type { ConvSpec, Diagnostic, Fix, LayerSpec, Pair, Severity, Shape, Span } from '../language/types.js';
import { applyLayer, inputField } from './layer.js';
import { fmtSi } from './summary.js';

/** What a check needs besides the layer: the text (for fixes), where to report, the network. */
export interface CheckContext {
  readonly text: string;
  readonly lines: LineIndex;
  readonly report: (d: Diagnostic) => void;
  readonly net: NetworkDecl;
  /** The file's constructs, to report a merge on its opening line. */
  readonly constructs: readonly Construct[];
}

import { fmtInt as fmt } from '../language/format.js';
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
  // A pool that collapses the map is reported once, as the collapse: one mistake, one diagnostic.
  if (error?.code !== 'shape-collapse') poolOn1x1(r, ctx);
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

/** The activations a stacked rewrite can put between its 3×3 convs (the nonlinearity VGG gains by stacking). */
const ACTIVATIONS = ['relu', 'leakyrelu', 'sigmoid', 'tanh'];

/** Past this many 3×3 convs (a 17×17 kernel) a stack is no sensible rewrite, and its text would be long. */
const MAX_STACK = 8;

/** What sits between two of the stacked 3×3 convs, and how the fix title says so. */
interface Between {
  /** The layers after each 3×3 conv but the last: this conv's `auto` layers, then the activation line if one is written. */
  readonly specs: readonly LayerSpec[];
  /** The activation line the fix writes after each 3×3 conv but the last, when `auto` does not add one. */
  readonly line?: string;
  /** For the title, e.g. "with a ReLU between them". */
  readonly phrase: string;
}

/** One way to stack 3×3 convs in place of a K×K conv: the widths from input to output and its cost on the real input. */
interface Stack {
  /** Channels from the input through each 3×3 conv, e.g. [16, 16, 32]. */
  readonly widths: readonly number[];
  readonly params: number;
  readonly macs: number;
  /** Fewer parameters and fewer MACs than the K×K conv. */
  readonly saves: boolean;
}

/**
 * The level of the large-kernel note: information, a blue squiggle under the whole `conv5-32`. As a hint
 * VS Code drew three faint dots under its first two characters, which a new user did not notice.
 */
const TEACHING_SEVERITY: Severity = 'information';

/** `large-kernel`: a K×K conv has the receptive field of (K−1)/2 stacked 3×3 convs; says what stacking costs or saves here. */
function largeKernel(r: LayerResult, ctx: CheckContext): void {
  const s = r.decl.spec;
  if (s.kind !== 'conv' || s.depthwise || s.groups !== 1 || s.teaching || r.decl.auto || !r.in || r.in.length !== 3) return;
  const k = s.kernel[0];
  if (k !== s.kernel[1] || k < 5 || k % 2 === 0 || s.stride[0] !== 1 || s.stride[1] !== 1 || s.dilation[0] !== 1 || s.dilation[1] !== 1) return;
  // Later copies of an `xN` line see other inputs; one hint per line, for the first copy, is enough.
  if (r.decl.copy !== undefined && r.decl.copy > 0) return;
  const n = (k - 1) / 2;
  const names = ['', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'];
  const count = names[n] ?? String(n);
  const head = `a ${k}×${k} conv has the receptive field of ${count} stacked 3×3 convs`;
  const between = betweenConvs(r, n, ctx);
  const stacks = n <= MAX_STACK ? stackVariants(r, n, between.specs) : [];
  if (!stacks.length) {
    say(ctx, r.decl, 'large-kernel', TEACHING_SEVERITY, head);
    return;
  }
  const fixes = stackFix(r, n, count, stacks, between, ctx);
  const best = stacks[0];
  const what = `${count} 3×3 convs of ${best.widths.map(fmt).join(' → ')} channels${fixes ? ' with a nonlinearity between them' : ''}`;
  say(ctx, r.decl, 'large-kernel', TEACHING_SEVERITY,
    best.saves
      ? `${head}; on this ${dims(r.in)} input, ${what} need ${costs(r, best)}`
      : `${head}, but ${best.params >= r.params && best.macs >= r.macs ? 'stacking costs more here' : 'here stacking trades one cost for the other'}: on this ${dims(r.in)} input, ${what} need ${costs(r, best)}`,
    undefined, fixes);
}

/** "fewer parameters (12,832 → 6,960) and fewer MACs (13.11 M → 7.08 M)", each word true of its figure. */
function costs(r: LayerResult, st: Stack): string {
  const one = (what: string, before: number, after: number, f: (x: number) => string) =>
    after === before ? `as many ${what} (${f(before)})` : `${after < before ? 'fewer' : 'more'} ${what} (${f(before)} → ${f(after)})`;
  const p = one('parameters', r.params, st.params, fmt);
  const m = one('MACs', r.macs, st.macs, fmtSi);
  const same = Math.sign(st.params - r.params) === Math.sign(st.macs - r.macs);
  return `${p} ${same ? 'and' : 'but'} ${m}`;
}

/**
 * The layers between two stacked 3×3 convs. If `auto` adds an activation after this conv, it adds one after
 * each new conv too; else an activation line written after this conv is mirrored; else the fix writes `relu`.
 */
function betweenConvs(r: LayerResult, n: number, ctx: CheckContext): Between {
  const layers = ctx.net.layers;
  let j = r.index + 1;
  const autos: LayerDecl[] = [];
  while (j < layers.length && layers[j].auto && layers[j].stmt === r.decl.stmt) autos.push(layers[j++]);
  const specs = autos.map((a) => a.spec);
  if (autos.some((a) => ACTIVATIONS.includes(a.spec.kind))) {
    return { specs, phrase: `with ${autos.map((a) => a.keyword).join(' and ')} (auto) between them` };
  }
  const next = layers[j];
  if (next && !next.auto && ACTIVATIONS.includes(next.spec.kind)) {
    const line = [next.stmt.head.text, ...next.stmt.args.map((a) => a.text)].join(' ');
    if (!/\bx\s*\d/i.test(line)) return { specs: [...specs, next.spec], line, phrase: `with \`${line}\` between them, as after this conv` };
  }
  return { specs: [...specs, { kind: 'relu' }], line: 'relu', phrase: n === 2 ? 'with a ReLU between them' : 'with ReLUs between them' };
}

/**
 * The stacks worth naming, best first: the middle convs at the output width (VGG's way) or at the input
 * width (cheaper when the conv widens). Only those that save both parameters and MACs, or if none does,
 * the cheapest one. Each is costed by applyLayer on this layer's real input, so padding counts.
 */
function stackVariants(r: LayerResult, n: number, between: readonly LayerSpec[]): Stack[] {
  const s = r.decl.spec as ConvSpec;
  const input = r.in!;
  // The K×K conv's padding p, spread over the 3×3 convs (the first ones get more): same output, same field.
  const pads: Pair[] = Array.from({ length: n }, (_, i) => [0, 1].map((a) => Math.floor((s.padding[a] + n - 1 - i) / n)) as unknown as Pair);
  const all: Stack[] = [];
  for (const mid of new Set([s.outChannels, input[0]])) {
    const widths = [input[0], ...Array<number>(n - 1).fill(mid), s.outChannels];
    let shape: Shape = input;
    let field = inputField(input);
    let params = 0;
    let macs = 0;
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      const conv: ConvSpec = { ...s, kernel: [3, 3], padding: pads[i], outChannels: widths[i + 1] };
      for (const spec of i < n - 1 ? [conv, ...between] : [conv]) {
        const o = applyLayer(spec, [shape], [field]);
        if (o.error || !o.out) { ok = false; break; }
        params += o.weights + o.biases;
        macs += o.macs;
        shape = o.out;
        field = o.field;
      }
    }
    if (!ok || !Number.isSafeInteger(params) || !Number.isSafeInteger(macs)) continue;
    all.push({ widths, params, macs, saves: params < r.params && macs < r.macs });
  }
  all.sort((a, b) => a.params - b.params || a.macs - b.macs);
  const saving = all.filter((x) => x.saves);
  return saving.length ? saving : all.slice(0, 1);
}

/**
 * The edits that rewrite a K×K conv line as stacked 3×3 convs, one per stack, with an activation between
 * them. Only for a line of its own (not from a block or `xN`) with padding 0 or "same", which each 3×3 conv
 * can write as pad0 or pad1.
 */
function stackFix(r: LayerResult, n: number, count: string, stacks: readonly Stack[], between: Between, ctx: CheckContext): Fix[] | undefined {
  const s = r.decl.spec;
  if (s.kind !== 'conv' || r.decl.site !== r.decl.stmt || r.decl.copy !== undefined) return undefined;
  const k = s.kernel[0];
  const same = s.padding[0] === (k - 1) / 2 && s.padding[1] === (k - 1) / 2;
  if (!same && (s.padding[0] !== 0 || s.padding[1] !== 0)) return undefined;
  const stmt = r.decl.stmt;
  // Every option but the padding carries over; `pad 2` is two tokens.
  const rest: string[] = [];
  for (let i = 0; i < stmt.args.length; i++) {
    const a = stmt.args[i];
    if (/^(pad|same)/i.test(a.text)) {
      if (a.text.toLowerCase() === 'pad' && stmt.args[i + 1] && stmt.args[i + 1].type !== 'word') i++;
      continue;
    }
    rest.push(a.text);
  }
  const { line } = ctx.lines.position(stmt.span.start);
  const indent = ctx.lines.indentation(line);
  return stacks.map((st, v) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const conv = [`conv3-${st.widths[i + 1]}`, ...(same ? ['pad1'] : []), ...rest].join(' ');
      out.push((i === n - 1 && stmt.label ? `${stmt.label.text}: ` : '') + conv);
      if (between.line && i < n - 1) out.push(between.line);
    }
    // Without a saving the title names what gets worse and never says "fewer".
    const worse = [[st.params, r.params, 'parameters'], [st.macs, r.macs, 'MACs']] as const;
    const gain = st.saves
      ? `same receptive field, ${costs(r, st)}`
      : `same receptive field, but ${worse.filter(([a, b]) => a >= b).map(([a, b, w]) => `${a > b ? 'more' : 'as many'} ${w}`).join(' and ')} here (parameters ${fmt(r.params)} → ${fmt(st.params)}, MACs ${fmtSi(r.macs)} → ${fmtSi(st.macs)})`;
    return {
      title: `Replace by ${count} 3×3 convolutions (${st.widths.map(fmt).join(' → ')} channels) ${between.phrase}: ${gain}`,
      edits: [{ span: stmt.span, text: out.join(`\n${indent}`) }],
      ...(st.saves && v === 0 ? { preferred: true } : {}),
    };
  });
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
  // An `input` written after a layer already has its diagnostic (input-not-first), which says what to do.
  if (n.decl.body.some((s) => s.head.text.toLowerCase() === 'input')) return;
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

