/**
 * Hover: what a line does to the tensor and what it costs (shape in → out, parameters with their
 * formula, MACs, activation memory, receptive field), the totals on `network` and `input`, and the
 * keyword's or option's documentation. On a merge (`add skip`, or the `end`/opener of a `residual` or
 * `parallel`): its inputs with their shapes and lines, the merged shape, its element-wise operations
 * and the receptive field with the path it comes from; on `shortcut`/`branch`: what that path gives.
 * Every figure is read from the analysis.
 */
import { MarkupKind, type Hover } from 'vscode-languageserver';
import type { Analysis, NetworkResult } from '../analysis/analyze.js';
import { fmtBytes, fmtInt, fmtShape, fmtSi } from '../analysis/summary.js';
import type { Pair } from '../language/types.js';
import type { Statement } from '../language/ast.js';
import { OPTION_DOCS, parseOption, STATEMENT_DOCS, type OptionDoc } from '../language/layers.js';
import { isMerge } from '../language/kinds.js';
import type { Construct } from '../language/program.js';
import { toRange } from './convert.js';
import { indexOf, ownLayers, type DocIndex, type LayerRef } from './locate.js';

/** Full detail is given for up to this many layers of one line; more are shown as a table. */
const DETAILED = 3;
/** Rows of the table of a long line (a block call or a big `repeat`). */
const TABLE_ROWS = 24;

/** The hover at an offset, or null when there is nothing to say. */
export function hover(a: Analysis, offset: number): Hover | null {
  const ix = indexOf(a);
  const at = ix.tokenAt(offset);
  if (!at) return null;
  const { stmt, token, role } = at;
  const kind = ix.kindOf(stmt);
  let parts: string[] = [];
  switch (kind) {
    case 'network': {
      const net = ix.networkOf(stmt);
      parts = net ? [networkHover(net)] : [];
      break;
    }
    case 'input': {
      const net = ix.networkOf(stmt);
      parts = [net ? networkHover(net, true) : '', STATEMENT_DOCS.input.doc];
      break;
    }
    case 'auto': {
      const added = ix.analysis.networks.reduce((n, net) => n + net.layers.filter((l) => l.decl.auto && l.decl.auto.start === stmt.span.start).length, 0);
      parts = [`**\`${stmt.head.text}\`**${added ? ` · added ${fmtInt(added)} layer${added === 1 ? '' : 's'}` : ''}`, STATEMENT_DOCS.auto.doc];
      break;
    }
    case 'end': {
      const c = ix.constructOf(stmt);
      parts = c && c.end === stmt && (c.kind === 'residual' || c.kind === 'parallel')
        ? [...mergeHover(ix, ix.mergesOf(c)), movedNote(ix, stmt), STATEMENT_DOCS.end.doc]
        : [STATEMENT_DOCS.end.doc];
      break;
    }
    case 'residual':
    case 'parallel': {
      const c = ix.constructOf(stmt);
      parts = [...(c && c.open === stmt ? mergeHover(ix, ix.mergesOf(c)) : []), STATEMENT_DOCS[kind].doc];
      break;
    }
    case 'shortcut':
    case 'branch': {
      const c = ix.constructOf(stmt);
      parts = [...(c && c.sections.includes(stmt) ? sectionHover(ix, c, stmt) : []), STATEMENT_DOCS[kind].doc];
      break;
    }
    case 'merge': {
      const own = ix.layersOf(stmt).filter((r) => r.layer.decl.stmt === stmt);
      const merges = own.filter((r) => isMerge(r.layer.decl.spec));
      const head = stmt.head.text.toLowerCase() as 'add' | 'concat' | 'mul';
      parts = [...(merges.length ? mergeHover(ix, merges) : own.length ? [`**\`${stmt.head.text}\`** — not merged (see the problems)`] : []), STATEMENT_DOCS[head].doc];
      if (role === 'arg') {
        const ref = ix.analysis.program.references.find((r) => r.token === token);
        parts.unshift(ref?.target
          ? `**\`${token.text}\`** — the output labelled on line ${a.lines.position(ref.target.span.start).line + 1}`
          : `**\`${token.text}\`** — no output has this label before this line`);
      }
      break;
    }
    case 'block':
      parts = blockHover(ix, stmt);
      break;
    case 'repeat':
    case 'call':
      parts = expansionHover(ix, stmt);
      break;
    case 'layer':
    case 'unknown':
      parts = layerLineHover(ix, stmt);
      if (role === 'arg') {
        const doc = optionDoc(token.text);
        if (doc) parts = [`**\`${token.text}\`** — ${doc.doc}`, ...parts];
      }
      break;
  }
  const value = parts.filter(Boolean).join('\n\n---\n\n');
  if (!value) return null;
  return { contents: { kind: MarkupKind.Markdown, value }, range: toRange(a.lines, token.span) };
}

/** The documentation of an option word (`pad1`, `same`, `sobelx`, `alpha1e-4`). */
function optionDoc(word: string): OptionDoc | undefined {
  const o = parseOption(word.toLowerCase());
  if (!o) return undefined;
  const family = OPTION_DOCS.filter((d) => d.kind === o.kind);
  if (o.kind === 'teaching' || o.kind === 'mode') return family.find((d) => d.label === o.value);
  if (o.kind === 'lrn') return family.find((d) => d.label.startsWith(o.key));
  if (o.kind === 'pad' && o.value === 'same') return family.find((d) => d.label === 'same');
  return family[0];
}

const pair = (p: Pair | undefined): string => (p ? (p[0] === p[1] ? String(p[0]) : `${p[0]}×${p[1]}`) : '?');
const square = (p: Pair | undefined): string => (p ? `${p[0]}×${p[1]}` : '?');

/** Totals of a network, for `network` and `input`. */
function networkHover(net: NetworkResult, onInput = false): string {
  const t = net.totals;
  const lines = [
    `**network \`${net.name}\`** · input ${fmtShape(net.input)} · ${fmtInt(net.layers.length)} layer${net.layers.length === 1 ? '' : 's'}`,
    '',
    `- **Parameters:** ${fmtInt(t.params)} · ${fmtBytes(t.paramBytes)} in float32`,
    `- **fc share of parameters:** ${fmtInt(t.fcParams)} = ${(100 * t.fcShare).toFixed(1)}%`,
    `- **MACs:** ${fmtInt(t.macs)} (${fmtSi(t.macs)}) · FLOPs = 2·MACs = ${fmtSi(2 * t.macs)}`,
    `- **Activations:** ${fmtInt(t.activations)} values = ${fmtBytes(t.activationBytes)} in float32 (batch 1)`,
  ];
  if (onInput && net.input) lines.push(`- **Input:** ${fmtShape(net.input)} = ${fmtInt(net.input.reduce((x, y) => x * y, 1))} values`);
  if (!t.complete) lines.push('', '*Some shapes are unknown (see the problems), so these totals cover only the layers before them.*');
  return lines.join('\n');
}

/** Everything about one layer. */
export function layerDetail(r: LayerRef, title = true): string {
  const l = r.layer;
  const d = l.decl;
  const lines: string[] = [];
  if (title) {
    const copy = d.copy !== undefined ? ` · copy ${d.copy + 1}` : '';
    const via = d.site !== d.stmt ? ` · via \`${d.site.label ? `${d.site.label.text}: ` : ''}${d.site.head.text}\`` : '';
    lines.push(`**\`${d.text}\`** · ${d.keyword} · layer #${l.index} of \`${r.net.name}\`${via}${copy}`, '');
  }
  if (!l.in || !l.out) {
    lines.push(`- **Shape:** ${fmtShape(l.in)} → ? — unknown (see the problems)`);
    return lines.join('\n');
  }
  lines.push(`- **Shape:** ${fmtShape(l.in)} → ${fmtShape(l.out)}`);
  if (l.implicitFlatten) {
    lines.push(`- **Implicit flatten:** the ${fmtShape(l.in)} map is read as a vector of ${fmtInt(l.in.reduce((x, y) => x * y, 1))} values (C, H, W order, as torch.flatten)`);
  }
  lines.push(l.params
    ? `- **Parameters:** ${l.formula} = ${fmtInt(l.params)} · ${fmtBytes(4 * l.params)} in float32`
    : '- **Parameters:** 0');
  if (l.macs) lines.push(`- **MACs:** ${fmtInt(l.macs)} (${fmtSi(l.macs)}) · FLOPs = 2·MACs = ${fmtSi(2 * l.macs)}`);
  lines.push(`- **Activations:** ${fmtInt(l.activations)} values = ${fmtBytes(4 * l.activations)} in float32 (4 bytes each)`);
  if (l.rf && l.out.length === 3) {
    const approx = l.approximateField ? ' (approximate: after upsampling the field is no longer exact)' : '';
    lines.push(`- **Receptive field:** ${square(l.rf)} input pixels · jump ${pair(l.jump)} · effective padding ${pair(l.padding)}${approx}`);
  } else if (l.rf) {
    lines.push(`- **Receptive field:** ${square(l.rf)} input pixels${l.approximateField ? ' (approximate after upsampling)' : ''}`);
  }
  return lines.join('\n');
}

/** A compact table of layers for lines that produce many. */
function layerTable(refs: readonly LayerRef[]): string {
  const rows = refs.slice(0, TABLE_ROWS).map(({ layer: l }) =>
    `| ${l.index} | \`${l.decl.text.replace(/\|/g, '\\|')}\` | ${fmtShape(l.out)} | ${fmtInt(l.params)} | ${fmtSi(l.macs)} |`);
  const more = refs.length > TABLE_ROWS ? [`\n… and ${fmtInt(refs.length - TABLE_ROWS)} more`] : [];
  return ['| # | layer | output | params | MACs |', '| ---: | --- | --- | ---: | ---: |', ...rows].join('\n') + more.join('');
}

/** Sum of the figures of some layers, with the shape they take in and give out. */
function sumLine(refs: readonly LayerRef[]): string {
  let params = 0;
  let macs = 0;
  for (const r of refs) {
    params += r.layer.params;
    macs += r.layer.macs;
  }
  const first = refs[0]?.layer;
  const last = refs[refs.length - 1]?.layer;
  return `${fmtShape(first?.in)} → ${fmtShape(last?.out)} · ${fmtInt(refs.length)} layer${refs.length === 1 ? '' : 's'} · ${fmtInt(params)} params · ${fmtSi(macs)} MACs`;
}

/** A layer line: the layers it made (with copies and `auto` layers), then the keyword's documentation. */
function layerLineHover(ix: DocIndex, stmt: Statement): string[] {
  const refs = ix.layersOf(stmt);
  const own = ownLayers(refs, stmt);
  const kw = ix.keywordOf(stmt);
  const doc = kw ? `**${kw.synopsis}** — ${kw.doc}` : '';
  if (!own.length) return [`**\`${stmt.head.text}\`**${ix.kindOf(stmt) === 'unknown' ? ' — not a layer the language knows (see the problems)' : ' — not used by any network'}`, doc];
  const autos = refs.filter((r) => r.layer.decl.auto && r.layer.decl.stmt === stmt);
  const autoNote = autos.length
    ? `then ${[...new Set(autos.map((r) => `\`${r.layer.decl.keyword}\``))].join(', ')} added by \`auto\`${own.length > 1 ? ' after each' : ''}`
    : '';
  const uses = new Set(own.map((r) => r.layer.decl.site));
  let body: string[];
  if (own.length <= DETAILED) {
    body = own.map((r) => layerDetail(r));
  } else if (uses.size > 1) {
    // A block body line: its uses see different shapes, so only the table makes sense.
    body = [`**\`${own[0].layer.decl.text}\`** · ${fmtInt(own.length)} layers from the ${fmtInt(uses.size)} lines that use its block`, layerTable(own)];
  } else {
    body = [`**\`${own[0].layer.decl.text}\`**: ${sumLine(own)}`, layerTable(own)];
  }
  return [...body, autoNote, doc];
}

/** A block call or `repeat`: what its expansion does in total, and a table of its layers. */
function expansionHover(ix: DocIndex, stmt: Statement): string[] {
  const refs = ix.layersOf(stmt).filter((r) => r.layer.decl.site === stmt);
  const what = ix.kindOf(stmt) === 'call' ? `block \`${stmt.head.text}\`` : `\`${stmt.head.text} ${stmt.args.map((t) => t.text).join(' ')}\``;
  if (!refs.length) return [`**${what}** — produces no layers here`, ix.kindOf(stmt) === 'repeat' ? STATEMENT_DOCS.repeat.doc : ''];
  return [`**${what}**: ${sumLine(refs)}`, layerTable(refs), ix.kindOf(stmt) === 'repeat' ? STATEMENT_DOCS.repeat.doc : ''];
}

/** A block definition: how often it is used. */
function blockHover(ix: DocIndex, stmt: Statement): string[] {
  const name = stmt.args[0]?.text;
  const block = name ? ix.analysis.program.blocks.get(name) : undefined;
  if (!block || block.header !== stmt) return [STATEMENT_DOCS.block.doc];
  const n = block.calls.length;
  return [`**block \`${block.name}\`** · used ${n === 0 ? 'nowhere' : n === 1 ? 'once' : `${fmtInt(n)} times`}`, STATEMENT_DOCS.block.doc];
}

/** What a merge does per output element: the operation, counted once per extra input. */
export function mergeOps(l: LayerRef['layer']): { count: number; what: string } {
  const n = l.activations;
  const k = l.inputs.length;
  switch (l.decl.spec.kind) {
    case 'add': return { count: (k - 1) * n, what: (k - 1) * n === 1 ? 'addition' : 'additions' };
    case 'mul': return { count: (k - 1) * n, what: (k - 1) * n === 1 ? 'multiplication' : 'multiplications' };
    default: return { count: 0, what: 'arithmetic operations' };
  }
}

/** The details of the merges of one line (one per time it runs), or a table when there are many. */
function mergeHover(ix: DocIndex, merges: readonly LayerRef[]): string[] {
  if (!merges.length) return [];
  if (merges.length > DETAILED) return [`**\`${merges[0].layer.decl.text}\`** · runs ${fmtInt(merges.length)} times`, layerTable(merges)];
  return merges.map((r) => mergeDetail(ix, r));
}

/** The `auto` activations moved after a residual's add (torchvision's block), said on its `end`. */
function movedNote(ix: DocIndex, end: Statement): string {
  const moved = ix.layersOf(end).filter((r) => r.layer.decl.stmt === end && r.layer.decl.auto);
  const kinds = [...new Set(moved.map((r) => `\`${r.layer.decl.keyword}\``))];
  return kinds.length ? `then ${kinds.join(', ')} added by \`auto\` after the merge (the body's last activation moves after the add, as in torchvision's blocks)` : '';
}

/** 1-based line of what a layer reads as input `id` (−1: the network's `input` line). */
function inputLine(ix: DocIndex, r: LayerRef, id: number): number | undefined {
  const stmt = id < 0 ? r.net.decl.input?.stmt : r.net.layers[id]?.decl.stmt;
  return stmt ? ix.analysis.lines.position(stmt.span.start).line + 1 : undefined;
}

/** Everything about one merge: its inputs, the merged shape, the element-wise work, the receptive field. */
export function mergeDetail(ix: DocIndex, r: LayerRef): string {
  const l = r.layer;
  const d = l.decl;
  const names = d.inputNames ?? l.inputs.map((_, i) => `input ${i + 1}`);
  const copy = d.copy !== undefined ? ` · copy ${d.copy + 1}` : '';
  const via = d.site !== d.stmt ? ` · via \`${d.site.label ? `${d.site.label.text}: ` : ''}${d.site.head.text}\`` : '';
  const inputs = l.inputs.map((id, i) => {
    const line = inputLine(ix, r, id);
    return `${names[i]}: ${fmtShape(l.ins?.[i])}${line ? ` (line ${line})` : ''}`;
  });
  const lines = [
    `**\`${d.text}\`** · ${d.keyword} of ${l.inputs.length} inputs · layer #${l.index} of \`${r.net.name}\`${via}${copy}`, '',
    `- **Inputs:** ${inputs.join(' · ')}`,
  ];
  if (!l.out) {
    lines.push('- **Merged shape:** ? — the inputs cannot be merged or are unknown (see the problems)');
    return lines.join('\n');
  }
  lines.push(`- **Merged shape:** ${fmtShape(l.out)}`);
  const ops = mergeOps(l);
  lines.push(d.spec.kind === 'concat'
    ? `- **Work:** no arithmetic: copies ${fmtInt(l.activations)} values · 0 MACs · 0 parameters`
    : `- **Work:** ${fmtInt(ops.count)} element-wise ${ops.what} · 0 MACs (merges are not counted, torchvision's convention) · 0 parameters`);
  lines.push(`- **Activations:** ${fmtInt(l.activations)} values = ${fmtBytes(4 * l.activations)} in float32 (4 bytes each)`);
  if (l.rf) {
    const from = l.fieldFrom !== undefined ? ` · that of ${names[l.fieldFrom]}, the largest of its inputs` : '';
    const approx = l.approximateField ? ' (approximate after upsampling)' : '';
    lines.push(`- **Receptive field:** ${square(l.rf)} input pixels · jump ${pair(l.jump)}${from}${approx}`);
  }
  return lines.join('\n');
}

/**
 * The tensor a merge's paths all start from: walking back from its inputs, newest first, until they
 * meet in one layer (−1: the network's input).
 */
function pathStart(r: LayerRef): number {
  // Layers come in execution order, so one pass from the newest pending input down visits each once.
  const pending = new Set(r.layer.inputs);
  let j = -1;
  for (const i of pending) if (i > j) j = i;
  while (pending.size > 1 && j >= 0) {
    if (pending.delete(j)) for (const i of r.net.layers[j].inputs) pending.add(i);
    j--;
  }
  return pending.size === 1 ? [...pending][0] : -1;
}

/** A `shortcut` or `branch` line: the shape that path takes in and gives the merge, for each time it runs. */
function sectionHover(ix: DocIndex, c: Construct, stmt: Statement): string[] {
  const k = c.sections.indexOf(stmt);
  const name = c.kind === 'residual' ? 'shortcut' : `branch ${k + 1}`;
  const at = ix.analysis.lines.position(c.open.span.start).line + 1;
  const rows = ix.mergesOf(c).slice(0, DETAILED).map((r) => {
    const x = pathStart(r);
    const input = x < 0 ? r.net.input : r.net.layers[x]?.out;
    const id = r.layer.inputs[k];
    const empty = id === x;
    return `- ${fmtShape(input)} → ${fmtShape(r.layer.ins?.[k])}${empty ? ' (empty: the identity)' : ''} · into the \`${r.layer.decl.text}\` of layer #${r.layer.index}`;
  });
  return [[`**${name}** of the \`${c.kind}\` on line ${at}`, ...(rows.length ? ['', ...rows] : [])].join('\n')];
}
