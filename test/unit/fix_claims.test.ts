/**
 * Every quick fix is checked against the analysis of the text it produces: it applies cleanly, adds no
 * error or warning, and every figure its title (and its diagnostic's message) states is what the
 * re-analysed text has. Over every sample file and hand-made cases; `claimProblems` is also shown to
 * reject fixes whose numbers or edits were tampered with, so the property cannot pass vacuously.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { analyze, type Analysis, type LayerResult, type NetworkResult } from '../../server/src/analysis/analyze.js';
import { fmtInt, fmtShape, fmtSi } from '../../server/src/analysis/summary.js';
import type { Diagnostic, Fix } from '../../server/src/language/types.js';
import { samePadding } from '../../server/src/features/codeActions.js';
import { readRepo, repoPath } from '../helpers/core.js';
import { applyEdits } from '../helpers/edits.js';

const ACTIVATIONS = ['relu', 'leakyrelu', 'sigmoid', 'tanh'];
const COUNTS = ['', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'];

/** Every *.cnn under samples/, recursively, as paths relative to the repository. */
function sampleFiles(dir = repoPath('samples')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sampleFiles(join(dir, e.name)) : e.name.endsWith('.cnn') ? [relative(repoPath(''), join(dir, e.name))] : []);
}

/** Hand-made texts: the issue's case, every way the activation between stacked convs is decided, and the other fixes. */
const HAND: readonly string[] = [
  'input 16x32x32\nconv5-32 pad2\n',
  'network issue\ninput 3x32x32\nconv3-16 pad1\nconv5-32 pad2\nmaxpool\nfc-10\n',
  'input 64x56x56\nconv7-64 pad3\n',
  'input 3x32x32\nconv5-8 pad2\n',
  'input 3x32x32\nauto relu\nconv5-8 pad2\n',
  'input 3x32x32\nconv5-8 pad2\nrelu\n',
  'input 3x32x32\nauto relu\nconv5-8 pad2 noact\nrelu\n',
  'input 3x32x32\nauto bn relu\nconv5-8 same\nmaxpool\n',
  'input 3x32x32\nauto bn\nk: conv5-8 same nobias\nleakyrelu0.2\n',
  'input 64x32x32\nconv5-48 pad 2 nobias\nsoftmax\n',
  'input 8x5x5\nconv5-8\n',
  'input 3x5x5\nconv5-8\n',
  'input 1x7x7\nconv7-2\ntanh\n',
  'input 16x32x32\nconv5-32 pad1\n',
  'input 3x32x32\nconv5-8 pad2 x2\n',
  'input 3x32x32\nblock b\n  conv5-8 same\nend\nb\nb\n',
  'network a\ninput 3x32x32\n  conv5-16 same\nnetwork b\ninput 16x16x16\n  conv7-8\n  relu\n  fc-10\n',
  'input 3x32x32\nconvv3-8\nconv3-8 padd1 strid2\n',
  'conv3-8 pad1\nrelu\n',
  'input 3x8x8\nauto relu\nconv3-8\nrelu\n',
  'input 3x32x32\nconv3-8 pad1\nflatten\ndropout0.5\nfc-100\nfc-10\n',
  'input 3x32x32\nconv3-8 pad1\nfc-100\n',
  'input 3x32x32\nconv5-8\nconv3-8 dilation2\nconv3-8 pad1 stride2\n',
  'input 3x32x32\nmaxpool2 nobias\nrepeat 2\nconv3-8 pad1\n',
  'input\nconv3-8\n',
];

/** The layers of a network declared by the statement starting at `start` (with their auto layers). */
const layersAt = (n: NetworkResult, start: number) => n.layers.filter((l) => l.decl.stmt.span.start === start);

/** The network of `b` at the same place as `n` in `a` (fixes neither add nor remove networks). */
function sameNetwork(a: Analysis, b: Analysis, n: NetworkResult): NetworkResult | undefined {
  return a.networks.length === b.networks.length ? b.networks[a.networks.indexOf(n)] : undefined;
}

/** Codes of the diagnostics at the given severities, with their counts. */
function problemCounts(a: Analysis, severities: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const d of a.diagnostics) if (severities.includes(d.severity)) m.set(d.code, (m.get(d.code) ?? 0) + 1);
  return m;
}

/** "fewer parameters (a → b)", "more MACs (a → b)", "as many MACs (a)": each word must be true of its figures. */
function checkWords(text: string, what: 'parameters' | 'MACs', before: number, after: number, where: string, out: string[]): void {
  const word = new RegExp(`\\b(fewer|more|as many) ${what}\\b`, 'g');
  for (const m of text.matchAll(word)) {
    const ok = m[1] === 'fewer' ? after < before : m[1] === 'more' ? after > before : after === before;
    if (!ok) out.push(`${where}: says "${m[0]}" but ${what} go ${before} → ${after}`);
  }
}

/** The numbers a large-kernel title or message states. */
interface StackClaim { count: number; widths: number[]; params: [string, string]; macs: [string, string] }

function parseStackClaim(text: string): StackClaim | undefined {
  const c = /\b(one|two|three|four|five|six|seven|eight|\d+) 3×3 conv(?:olution)?s (?:\(|of )(\d[\d,]*(?: → \d[\d,]*)+) channels/.exec(text);
  const p = /parameters \(?(\d[\d,]*\d|\d) → (\d[\d,]*\d|\d)\)?/.exec(text);
  const m = /MACs \(?(\d+(?:\.\d+)?(?: [kMGT])?) → (\d+(?:\.\d+)?(?: [kMGT])?)\)?/.exec(text);
  if (!c || !p || !m) return undefined;
  const count = COUNTS.indexOf(c[1]) > 0 ? COUNTS.indexOf(c[1]) : Number(c[1]);
  return { count, widths: c[2].split(' → ').map((x) => Number(x.replace(/,/g, ''))), params: [p[1], p[2]], macs: [m[1], m[2]] };
}

/** The conv layer a large-kernel diagnostic is about (its own line), if the diagnostic sits on one. */
function kernelLayer(a: Analysis, d: Diagnostic): { net: NetworkResult; layer: LayerResult } | undefined {
  for (const net of a.networks) {
    const layer = net.layers.find((l) => l.decl.spec.kind === 'conv' && l.decl.stmt.head.span.start === d.span.start && l.decl.site === l.decl.stmt && (l.decl.copy ?? 0) === 0);
    if (layer) return { net, layer };
  }
  return undefined;
}

/**
 * What is wrong with a fix's claims: re-analyses the fixed text and compares every figure. Returns a
 * list of problems (empty when every claim holds). `d` is undefined for the pad-same action, which the
 * server offers without a diagnostic.
 */
function claimProblems(a: Analysis, d: Diagnostic | undefined, fix: Fix): string[] {
  const out: string[] = [];
  const where = `${d?.code ?? 'code action'} "${fix.title}"`;
  let fixed: string;
  try {
    fixed = applyEdits(a.text, fix.edits);
  } catch (e) {
    return [`${where}: edits do not apply: ${e}`];
  }
  if (fixed === a.text) out.push(`${where}: changes nothing`);
  const b = analyze(fixed);
  // (a) No new errors. A stacked rewrite means the same network, so it adds no warning either; a corrected
  // typo or padding may let a later line be judged (a stride now read can drop pixels).
  const severities = d?.code === 'large-kernel' ? ['error', 'warning'] : ['error'];
  const before = problemCounts(a, severities);
  if (d && severities.includes(d.severity)) before.set(d.code, (before.get(d.code) ?? 0) - 1);
  for (const [code, n] of problemCounts(b, severities)) {
    if (n > Math.max(0, before.get(code) ?? 0) && !(code === d?.code && d.code === 'missing-input')) out.push(`${where}: the fixed text has ${n} ${code} (before: ${before.get(code) ?? 0})`);
  }
  const count = (x: Analysis, code: string) => x.diagnostics.filter((y) => y.code === code).length;

  // (b) The figures stated.
  if (d?.code === 'large-kernel') {
    largeKernelClaims(a, b, d, fix, where, out);
  } else if (!d) {
    const m = /^Pad to keep the size: `same`(?: \((\S+) stays (\S+) instead of (\S+)\))?$/.exec(fix.title);
    if (!m) return [...out, `${where}: unknown code action title`];
    const start = fix.edits[0].span.start;
    const stmtStart = a.parsed.statements.find((s) => s.span.start <= start && start <= s.span.end)!.span.start;
    const lBefore = a.networks.flatMap((n) => layersAt(n, stmtStart))[0];
    const lAfter = b.networks.flatMap((n) => layersAt(n, stmtStart))[0];
    if (!/^conv\S*( .*)? same\b/.test(b.text.slice(stmtStart).split('\n')[0])) out.push(`${where}: the line does not say same: ${b.text.slice(stmtStart).split('\n')[0]}`);
    if (m[1]) {
      if (fmtShape(lBefore?.in?.slice(1)) !== m[1]) out.push(`${where}: the input is ${fmtShape(lBefore?.in?.slice(1))}, not ${m[1]}`);
      if (fmtShape(lAfter?.out?.slice(1)) !== m[2]) out.push(`${where}: after the fix the output is ${fmtShape(lAfter?.out?.slice(1))}, not ${m[2]}`);
      if (fmtShape(lBefore?.out?.slice(1)) !== m[3]) out.push(`${where}: before the fix the output is ${fmtShape(lBefore?.out?.slice(1))}, not ${m[3]}`);
    }
  } else if (/^Change to '(.+)'$/.test(fix.title)) {
    const to = /^Change to '(.+)'$/.exec(fix.title)![1];
    const e = fix.edits[0];
    if (fix.edits.length !== 1 || e.text !== to || fixed.slice(e.span.start, e.span.start + to.length) !== to) out.push(`${where}: the edit does not write '${to}'`);
    if (b.diagnostics.some((x) => x.code === d.code && x.span.start === e.span.start)) out.push(`${where}: ${d.code} is still reported there`);
    if (count(b, d.code) >= count(a, d.code)) out.push(`${where}: ${d.code} does not go away`);
  } else if (fix.title === 'Insert `input 3x224x224`' || fix.title === 'Write `input 3x224x224`') {
    const at = fix.edits[0].span.start;
    const n = b.networks.find((x) => x.decl.input && x.decl.input.stmt.span.start >= at && x.decl.input.stmt.span.start <= at + fix.edits[0].text.length);
    if (!n || n.input?.join('x') !== '3x224x224') out.push(`${where}: no network gets the input 3×224×224`);
    if (count(b, d.code) >= count(a, d.code)) out.push(`${where}: ${d.code} does not go away`);
  } else if (fix.title === 'Remove this line' && d.code === 'double-activation') {
    const n = a.networks.find((x) => x.decl.span.start <= d.span.start && d.span.start <= x.decl.span.end)!;
    const nb = sameNetwork(a, b, n);
    if (!nb || nb.layers.length !== n.layers.length - 1) out.push(`${where}: the network does not lose exactly one layer`);
    if (nb && (nb.totals.params !== n.totals.params || nb.totals.macs !== n.totals.macs)) out.push(`${where}: an activation line changed params or MACs`);
    if (count(b, d.code) >= count(a, d.code)) out.push(`${where}: ${d.code} does not go away`);
  } else if (d.code === 'fc-dominates' && /global average pooling \(gap\)/.test(fix.title)) {
    const n = a.networks.find((x) => x.decl.span.start <= d.span.start && d.span.start <= x.decl.span.end)!;
    const nb = sameNetwork(a, b, n);
    const m = /fc layers hold ([\d.]+)% of the parameters \(([\d,]+) of ([\d,]+)\).* would remove ([\d,]+) of them/.exec(d.message);
    if (!m) out.push(`${where}: the message states no figures: ${d.message}`);
    else {
      if (m[1] !== (100 * n.totals.fcShare).toFixed(1) || m[2] !== fmtInt(n.totals.fcParams) || m[3] !== fmtInt(n.totals.params)) out.push(`${where}: the fc share is not ${m[1]}% (${m[2]} of ${m[3]})`);
      const removed = nb ? n.totals.params - nb.totals.params : NaN;
      if (fmtInt(removed) !== m[4]) out.push(`${where}: the fix removes ${fmtInt(removed)} parameters, the message says ${m[4]}`);
    }
    if (!nb?.layers.some((l) => l.decl.spec.kind === 'gap')) out.push(`${where}: no gap layer after the fix`);
  } else if (d.code === 'merge-mismatch' && /^Add a projection shortcut/.test(fix.title)) {
    // The title names the conv it writes and the shapes it joins: the residual's input and its body's output.
    const m = /^Add a projection shortcut: `(conv1-(\d+)(?: stride(\d+(?:x\d+)?))? nobias)` \+ `bn` \((\S+) → (\S+)\)$/.exec(fix.title);
    const n = a.networks.find((x) => x.decl.span.start <= d.span.start && d.span.start <= x.decl.span.end)!;
    const nb = sameNetwork(a, b, n);
    const merge = n.layers.find((l) => l.decl.spec.kind === 'add' && l.decl.construct !== undefined && a.program.constructs[l.decl.construct].open.head.span.start === d.span.start);
    if (!m || !merge?.ins) out.push(`${where}: no conv and shapes in the title, or no residual add at the diagnostic`);
    else {
      if (fmtShape(merge.ins[0]) !== m[4] || fmtShape(merge.ins[1]) !== m[5]) out.push(`${where}: the residual joins ${fmtShape(merge.ins[0])} and ${fmtShape(merge.ins[1])}, not ${m[4]} → ${m[5]}`);
      if (!fixed.includes(m[1])) out.push(`${where}: the fix does not write ${m[1]}`);
      const mb = nb?.layers.find((l) => l.decl.spec.kind === 'add' && l.decl.construct !== undefined && b.program.constructs[l.decl.construct].open.head.span.start === d.span.start);
      const sc = mb ? nb!.layers[mb.inputs[0]] : undefined;
      if (!mb || fmtShape(mb.out) !== m[5]) out.push(`${where}: after the fix the residual gives ${fmtShape(mb?.out)}, not ${m[5]}`);
      if (!sc || sc.decl.spec.kind !== 'bn' || nb!.layers[sc.inputs[0]]?.decl.text !== m[1]) out.push(`${where}: the shortcut is not ${m[1]} + bn`);
    }
    if (count(b, d.code) >= count(a, d.code)) out.push(`${where}: ${d.code} does not go away`);
  } else if (fix.title === 'Add `end`' || /^Remove '.+'$/.test(fix.title)) {
    if (count(b, d.code) >= count(a, d.code)) out.push(`${where}: ${d.code} does not go away`);
  } else {
    out.push(`${where}: no claim check for this fix yet; add one to claimProblems`);
  }
  return out;
}

/** The layers a stacking fix wrote in `nb`: from its first conv to its last, with what lies between, and their sums. */
function newLayers(nb: NetworkResult, fix: Fix): { chain: LayerResult[]; convs: LayerResult[]; params: number; macs: number } {
  const e = fix.edits[0];
  const region = (l: LayerResult) => l.decl.stmt.span.start >= e.span.start && l.decl.stmt.span.start < e.span.start + e.text.length;
  const convIdx = nb.layers.flatMap((l, i) => (region(l) && l.decl.spec.kind === 'conv' ? [i] : []));
  const chain = convIdx.length ? nb.layers.slice(convIdx[0], convIdx[convIdx.length - 1] + 1) : [];
  return {
    chain, convs: chain.filter((l) => l.decl.spec.kind === 'conv'),
    params: chain.reduce((s, l) => s + l.params, 0), macs: chain.reduce((s, l) => s + l.macs, 0),
  };
}

/** The large-kernel fix: the stack it writes, the figures before → after, the receptive field, the activation between. */
function largeKernelClaims(a: Analysis, b: Analysis, d: Diagnostic, fix: Fix, where: string, out: string[]): void {
  const found = kernelLayer(a, d);
  const claim = parseStackClaim(fix.title);
  if (!found || !claim || fix.edits.length !== 1) {
    out.push(`${where}: cannot read the claim or find the layer`);
    return;
  }
  const { net, layer } = found;
  const nb = sameNetwork(a, b, net);
  if (!nb) {
    out.push(`${where}: the networks changed`);
    return;
  }
  const e = fix.edits[0];
  const { convs, params, macs } = newLayers(nb, fix);
  if (convs.length !== claim.count || convs.some((c) => c.decl.spec.kind !== 'conv' || c.decl.spec.kernel.join('x') !== '3x3')) {
    out.push(`${where}: writes ${convs.length} convs (${convs.map((c) => c.decl.text).join(', ')}), not ${claim.count} 3×3 convs`);
    return;
  }
  const widths = [convs[0].in?.[0], ...convs.map((c) => c.out?.[0])];
  if (widths.join() !== claim.widths.join()) out.push(`${where}: the channels are ${widths.join(' → ')}, not ${claim.widths.join(' → ')}`);
  if (claim.params[0] !== fmtInt(layer.params)) out.push(`${where}: the ${layer.decl.text} has ${fmtInt(layer.params)} parameters, not ${claim.params[0]}`);
  if (claim.macs[0] !== fmtSi(layer.macs)) out.push(`${where}: the ${layer.decl.text} has ${fmtSi(layer.macs)} MACs, not ${claim.macs[0]}`);
  if (claim.params[1] !== fmtInt(params)) out.push(`${where}: the new layers have ${fmtInt(params)} parameters, not ${claim.params[1]}`);
  if (claim.macs[1] !== fmtSi(macs)) out.push(`${where}: the new layers have ${fmtSi(macs)} MACs, not ${claim.macs[1]}`);
  // The rest of the network is untouched: the totals move by exactly the difference.
  if (nb.totals.params - net.totals.params !== params - layer.params) out.push(`${where}: total parameters move by ${nb.totals.params - net.totals.params}, not ${params - layer.params}`);
  if (nb.totals.macs - net.totals.macs !== macs - layer.macs) out.push(`${where}: total MACs move by ${nb.totals.macs - net.totals.macs}, not ${macs - layer.macs}`);
  checkWords(fix.title, 'parameters', layer.params, params, where, out);
  checkWords(fix.title, 'MACs', layer.macs, macs, where, out);
  if (/\bfewer\b/.test(fix.title) && !(params < layer.params && macs < layer.macs)) out.push(`${where}: says fewer without saving both`);
  if (fix.preferred && !(params < layer.params && macs < layer.macs)) out.push(`${where}: preferred without a saving`);
  const last = convs[convs.length - 1];
  if (/same receptive field/.test(fix.title) && (String(last.rf) !== String(layer.rf) || String(last.out) !== String(layer.out))) {
    out.push(`${where}: the last 3×3 conv sees ${last.rf} with output ${last.out}, the ${layer.decl.text} ${layer.rf} with ${layer.out}`);
  }
  // The nonlinearity between each two convs, of the kind the title names.
  const acts = (i: number) => nb.layers.slice(nb.layers.indexOf(convs[i]) + 1, nb.layers.indexOf(convs[i + 1])).filter((l) => ACTIVATIONS.includes(l.decl.spec.kind));
  const written = /with `([^`]+)` between them, as after this conv/.exec(fix.title);
  for (let i = 0; i + 1 < convs.length; i++) {
    const between = acts(i);
    if (!between.length) out.push(`${where}: no activation between the 3×3 convs ${i + 1} and ${i + 2}`);
    else if (/with (a ReLU|ReLUs) between them/.test(fix.title) && !between.some((l) => l.decl.spec.kind === 'relu' && !l.decl.auto)) out.push(`${where}: promises a ReLU line between them`);
    else if (/ \(auto\) between them/.test(fix.title) && !between.some((l) => l.decl.auto)) out.push(`${where}: promises the auto layers between them`);
    else if (written && !between.some((l) => !l.decl.auto && l.decl.text === written[1])) out.push(`${where}: promises \`${written[1]}\` between them`);
  }
  if (written) {
    const next = net.layers.slice(layer.index + 1).find((l) => !l.decl.auto);
    if (next?.decl.text !== written[1]) out.push(`${where}: says \`${written[1]}\` follows this conv, but ${next?.decl.text} does`);
  }
  if (b.diagnostics.some((x) => x.code === 'large-kernel' && x.span.start >= e.span.start && x.span.start < e.span.start + e.text.length)) out.push(`${where}: the new lines still get large-kernel`);
}

/** The large-kernel message: its "before" figures are the layer's, its "after" figures those of the first (best) fix. */
function messageProblems(a: Analysis, d: Diagnostic): string[] {
  const out: string[] = [];
  const where = `large-kernel message "${d.message}"`;
  const claim = parseStackClaim(d.message);
  if (!claim) {
    // Only a stack too tall to suggest goes without figures.
    if (!/^a (\d+)×\1 conv has the receptive field of \d+ stacked 3×3 convs$/.test(d.message) || Number(/\d+/.exec(d.message)![0]) <= 17) out.push(`${where}: states no figures`);
    return out;
  }
  const input = /on this (\S+) input/.exec(d.message)?.[1];
  // The layer: its own line, or a block call's expansion (then matched by its input and kernel).
  const k = Number(/^a (\d+)×/.exec(d.message)?.[1]);
  const candidates = a.networks.flatMap((n) => n.layers).filter((l) => l.decl.spec.kind === 'conv' && l.decl.spec.kernel[0] === k &&
    (l.decl.stmt.head.span.start === d.span.start || l.decl.site.head.span.start === d.span.start) && fmtShape(l.in) === input);
  const layer = candidates.find((l) => fmtInt(l.params) === claim.params[0] && fmtSi(l.macs) === claim.macs[0]);
  if (!layer) out.push(`${where}: no ${k}×${k} conv on ${input} there has ${claim.params[0]} parameters and ${claim.macs[0]} MACs`);
  if (claim.widths[0] !== Number(input?.split('×')[0]?.replace(/,/g, ''))) out.push(`${where}: the stack does not start at the input's channels`);
  const fix = d.fixes?.[0];
  if (/nonlinearit/.test(d.message) && !fix) out.push(`${where}: promises a nonlinearity without a fix that inserts it`);
  // The exact figures of the stack the message describes, to judge its words by.
  let exact: { params: number; macs: number } | undefined;
  if (fix) {
    const f = parseStackClaim(fix.title);
    if (!f || f.widths.join() !== claim.widths.join() || f.params.join() !== claim.params.join() || f.macs.join() !== claim.macs.join()) {
      out.push(`${where}: the figures differ from the first fix "${fix.title}"`);
    }
    const found = kernelLayer(a, d);
    const nb = found && sameNetwork(a, analyze(applyEdits(a.text, fix.edits)), found.net);
    if (nb) exact = newLayers(nb, fix);
  } else if (layer && layer.decl.site === layer.decl.stmt && layer.decl.copy === undefined) {
    // No fix (padding other than 0 or same): write the stack out by hand, the first convs taking the padding.
    const s = layer.decl.spec as Extract<LayerResult['decl']['spec'], { kind: 'conv' }>;
    const n = claim.count;
    const pad = (i: number) => [0, 1].map((ax) => Math.floor((s.padding[ax] + n - 1 - i) / n)).join('x');
    const lines = claim.widths.slice(1).map((w, i) => `conv3-${w} pad${pad(i)}${s.bias ? '' : ' nobias'}`);
    const hand = analyze(`input ${input!.replace(/×/g, 'x').replace(/,/g, '')}\n${lines.join('\nrelu\n')}\n`).networks[0];
    if (fmtInt(hand.totals.params) !== claim.params[1] || fmtSi(hand.totals.macs) !== claim.macs[1]) {
      out.push(`${where}: the stack written out has ${fmtInt(hand.totals.params)} parameters and ${fmtSi(hand.totals.macs)} MACs`);
    }
    const lastOut = hand.layers[hand.layers.length - 1].out;
    if (String(lastOut) !== String(layer.out)) out.push(`${where}: the stack written out gives ${lastOut}, the conv ${layer.out}`);
    exact = hand.totals;
  }
  if (layer && exact) {
    checkWords(d.message, 'parameters', layer.params, exact.params, where, out);
    checkWords(d.message, 'MACs', layer.macs, exact.macs, where, out);
    const saves = exact.params < layer.params && exact.macs < layer.macs;
    if (saves === /, but /.test(d.message)) out.push(`${where}: ${saves ? 'saves but says it does not' : 'says nothing against stacking though it does not save both'}`);
  }
  return out;
}

/** Every claim of every fix in a text: the diagnostics' fixes, their messages, and the pad-same action on each statement. */
function allProblems(a: Analysis): { problems: string[]; kinds: Set<string> } {
  const problems: string[] = [];
  const kinds = new Set<string>();
  for (const d of a.diagnostics) {
    if (d.code === 'large-kernel') problems.push(...messageProblems(a, d));
    for (const fix of d.fixes ?? []) {
      kinds.add(d.code === 'unknown-layer' || d.code === 'unknown-option' ? (fix.title.startsWith('Change') ? 'did-you-mean' : d.code) : d.code);
      problems.push(...claimProblems(a, d, fix));
    }
  }
  for (const stmt of a.parsed.statements) {
    const pad = samePadding(a, stmt);
    if (!pad) continue;
    kinds.add('pad-same');
    problems.push(...claimProblems(a, undefined, { title: pad.title, edits: [pad.edit] }));
  }
  return { problems, kinds };
}

test('every quick fix in every sample and hand-made case applies cleanly and states true figures', () => {
  const kinds = new Set<string>();
  const problems: string[] = [];
  let fixes = 0;
  const texts = [...sampleFiles().map((f) => [f, readRepo(f)] as const), ...HAND.map((t, i) => [`hand #${i}`, t] as const)];
  assert.ok(sampleFiles().length >= 14, sampleFiles().join());
  for (const [name, text] of texts) {
    const a = analyze(text);
    const r = allProblems(a);
    r.kinds.forEach((k) => kinds.add(k));
    fixes += a.diagnostics.reduce((s, d) => s + (d.fixes?.length ?? 0), 0);
    problems.push(...r.problems.map((p) => `${name}: ${p}`));
  }
  assert.deepEqual(problems, []);
  for (const k of ['large-kernel', 'pad-same', 'did-you-mean', 'missing-input', 'double-activation', 'fc-dominates', 'unbalanced-end', 'unknown-option', 'syntax']) {
    assert.ok(kinds.has(k), `no ${k} fix was checked (have ${[...kinds].join(', ')})`);
  }
  assert.ok(fixes >= 30, `only ${fixes} fixes checked`);
});

test('the large-kernel hand cases offer the fixes the issue asks for', () => {
  const titles = (src: string) => analyze(src).diagnostics.filter((d) => d.code === 'large-kernel').flatMap((d) => d.fixes ?? []).map((f) => f.title);
  // conv5-32 after 16 channels: only the stack that keeps the middle conv at 16 channels saves.
  assert.deepEqual(titles(HAND[0]).map((t) => parseStackClaim(t)!.widths.join('→')), ['16→16→32']);
  // 64 → 64: VGG's own stack.
  assert.deepEqual(titles(HAND[2]).map((t) => parseStackClaim(t)!.widths.join('→')), ['64→64→64→64']);
  // 3 → 8 channels: without auto relu a ReLU line goes between; with it the auto layer does; an explicit relu is mirrored.
  assert.match(titles(HAND[3])[0], /\(3 → 3 → 8 channels\) with a ReLU between them: same receptive field, fewer parameters \(608 → 308\) and fewer MACs/);
  assert.match(titles(HAND[4])[0], /\(3 → 3 → 8 channels\) with relu \(auto\) between them: /);
  assert.match(titles(HAND[5])[0], /\(3 → 3 → 8 channels\) with `relu` between them, as after this conv: /);
  // A narrowing conv: both middles save, the cheaper first.
  assert.deepEqual(titles(HAND[9]).map((t) => parseStackClaim(t)!.widths.join('→')), ['64→48→48', '64→64→48']);
  // No saving: offered, not preferred, never "fewer".
  for (const src of [HAND[10], HAND[11]]) {
    const fx = analyze(src).diagnostics.find((d) => d.code === 'large-kernel')!.fixes!;
    assert.equal(fx.length, 1);
    assert.equal(fx[0].preferred, undefined);
    assert.doesNotMatch(fx[0].title, /fewer/);
  }
});

/** A residual whose body halves the map and doubles the channels: the projection fix's case. */
const RESIDUAL = 'input 16x32x32\nresidual\n  conv3-32 stride2 pad1\nend\n';

test('the property rejects tampered figures, words and edits (it can fail)', () => {
  const tamper = (src: string, code: string | undefined, change: (f: Fix, d: Diagnostic | undefined) => { fix?: Fix; d?: Diagnostic }) => {
    const a = analyze(src);
    let d: Diagnostic | undefined;
    let fix: Fix;
    if (code) {
      d = a.diagnostics.find((x) => x.code === code)!;
      fix = d.fixes![0];
    } else {
      const stmt = a.parsed.statements.find((s) => samePadding(a, s))!;
      const pad = samePadding(a, stmt)!;
      fix = { title: pad.title, edits: [pad.edit] };
    }
    assert.deepEqual(claimProblems(a, d, fix), [], `untampered ${code}: ${fix.title}`);
    const t = change(fix, d);
    const td = t.d ?? d;
    return [...claimProblems(a, td, t.fix ?? fix), ...(td?.code === 'large-kernel' ? messageProblems(a, { ...td, fixes: [t.fix ?? fix] }) : [])];
  };
  const retitle = (from: string | RegExp, to: string) => (f: Fix) => ({ fix: { ...f, title: f.title.replace(from, to) } });
  const issue = 'input 16x32x32\nconv5-32 pad2\n';
  const cases: [string, string | undefined, (f: Fix, d: Diagnostic | undefined) => { fix?: Fix; d?: Diagnostic }][] = [
    [issue, 'large-kernel', retitle('→ 6,960', '→ 6,961')],
    [issue, 'large-kernel', retitle('12,832 →', '12,833 →')],
    [issue, 'large-kernel', retitle('→ 7.08 M', '→ 7.09 M')],
    [issue, 'large-kernel', retitle('13.11 M →', '13.10 M →')],
    [issue, 'large-kernel', retitle('16 → 16 → 32', '16 → 32 → 32')],
    [issue, 'large-kernel', retitle('fewer MACs', 'more MACs')],
    [issue, 'large-kernel', retitle('two 3×3', 'three 3×3')],
    [issue, 'large-kernel', (f) => ({ fix: { ...f, edits: [{ ...f.edits[0], text: f.edits[0].text.replace('relu\n', '') }] } })],
    [issue, 'large-kernel', (f) => ({ fix: { ...f, edits: [{ ...f.edits[0], text: f.edits[0].text.replace('conv3-16', 'conv3-32') }] } })],
    [issue, 'large-kernel', (f, d) => ({ d: { ...d!, message: d!.message.replace('→ 6,960', '→ 6,900') } })],
    ['input 8x5x5\nconv5-8\n', 'large-kernel', retitle('but more MACs here', 'fewer MACs here')],
    ['input 8x5x5\nconv5-8\n', 'large-kernel', (f) => ({ fix: { ...f, preferred: true } })],
    ['input 3x32x32\nconv5-8 pad2\nrelu\n', 'large-kernel', (f) => ({ fix: { ...f, edits: [{ ...f.edits[0], text: f.edits[0].text.replace('relu', 'tanh') }] } })],
    ['input 3x32x32\nconv5-8\n', undefined, retitle('28×28)', '30×30)')],
    ['input 3x32x32\nconv5-8\n', undefined, retitle('(32×32 stays', '(31×31 stays')],
    ['input 3x32x32\nconv3-8 pad1\nflatten\nfc-100\n', 'fc-dominates', (f, d) => ({ d: { ...d!, message: d!.message.replace(/remove ([\d,]+)/, 'remove 1,000') } })],
    ['input 3x32x32\nconvv3-8\n', 'unknown-layer', (f) => ({ fix: { ...f, edits: [{ ...f.edits[0], text: 'conv3-9' }] } })],
    ['conv3-8 pad1\n', 'missing-input', (f) => ({ fix: { ...f, edits: [{ ...f.edits[0], text: 'input 3x32x32\n' }] } })],
    ['input 3x8x8\nauto relu\nconv3-8\nrelu\n', 'double-activation', (f) => ({ fix: { ...f, edits: [{ span: f.edits[0].span, text: 'relu\nrelu\n' }] } })],
    ['input 3x32x32\nconv3-8 pad1\nflatten\nfc-100\n', 'fc-dominates', (f) => ({ fix: { ...f, edits: [{ ...f.edits[0], text: 'conv3-8' }] } })],
    [RESIDUAL, 'merge-mismatch', retitle('16×32×32 →', '16×16×16 →')],
    [RESIDUAL, 'merge-mismatch', retitle('→ 32×16×16', '→ 32×32×32')],
    [RESIDUAL, 'merge-mismatch', (f) => ({ fix: { ...f, edits: [{ ...f.edits[0], text: f.edits[0].text.replace('stride2', 'stride1') }] } })],
    [RESIDUAL, 'merge-mismatch', (f) => ({ fix: { ...f, edits: [{ ...f.edits[0], text: f.edits[0].text.replace('  bn\n', '') }] } })],
  ];
  for (const [src, code, change] of cases) {
    assert.notDeepEqual(tamper(src, code, change), [], `a tampered ${code ?? 'pad-same'} fix passed (${JSON.stringify(src)}, ${change})`);
  }
});
