/**
 * Lowers the parsed statements into networks of layers: interprets each head and its options
 * against the keyword table, expands blocks, `repeat` and `xN`, and inserts the `auto` layers.
 * Problems of the text itself (unknown words, malformed options, unbalanced `end`) are found here;
 * problems of shapes and costs are the analysis' job.
 */
import type { Diagnostic, Fix, LayerSpec, Span } from './types.js';
import type { ParseResult, Statement, Token } from './ast.js';
import {
  buildSpec, keywordPrefix, LAYER_KEYWORDS, levenshtein, matchLayer, OPTION_DOCS, parseOption, STATEMENT_KEYWORDS,
  VALUE_OPTIONS, type LayerKeyword, type ParsedOption,
} from './layers.js';
import { DEFAULTS } from './kinds.js';

/** One node of a lowered network's graph: a layer with the layers it reads and where it came from in the text. */
export interface LayerDecl {
  readonly spec: LayerSpec;
  /** The keyword as written in summaries: conv, dwconv, maxpool, fc, relu, add, concat, … or unknown. */
  readonly keyword: string;
  /** The statement's text, normalised (`conv3-64 pad1`); auto layers read `relu (auto)`, merges `residual add`. */
  readonly text: string;
  readonly label?: string;
  /**
   * Indices of the layers this one reads, in order (−1 is the network's input). Layers come in execution
   * (topological) order: every input is an earlier layer. A chain has inputs [i − 1].
   */
  readonly inputs: readonly number[];
  /** For merges: what each input is, in the same order ("shortcut", "body", "branch 2", "`skip`"). */
  readonly inputNames?: readonly string[];
  /** The statement that declares this layer (for auto layers, the layer they follow; for a construct's merge, its `end`). */
  readonly stmt: Statement;
  /** The statement in the network's own body that produced it: itself, or a block call / repeat. */
  readonly site: Statement;
  /** Set for layers inserted by an `auto` statement; the span is that statement's. */
  readonly auto?: Span;
  /** Set when `xN`, `repeat` or a block call expanded this statement more than once. */
  readonly copy?: number;
  /** Set when the line says `noact`: no `auto` layers after it. */
  readonly noact?: boolean;
  /** The innermost construct (index into Program.constructs) the layer stands in; for a merge, the construct it closes. */
  readonly construct?: number;
  /** The innermost labelled scope the layer stands in (absent at the network's top level); module paths are read from it. */
  readonly scope?: Scope;
}

/**
 * A labelled scope of one expansion: a labelled construct or block use, or one numbered instance of a
 * labelled `repeat` or `NAME xN` use. Unlabelled constructs make none. Each expansion makes its own
 * records, so two layers stand in the same scope exactly when their `scope` is the same object.
 */
export interface Scope {
  /** The path segment this scope adds: the label (which may contain dots), or the instance number. */
  readonly name: string;
  readonly parent?: Scope;
  /** The labelled statement that opened it (for an instance, the `repeat` or the block use). */
  readonly stmt: Statement;
}

/** A network: its name, input and layers. */
export interface NetworkDecl {
  readonly name: string;
  /** The `network` statement, absent for a file's implicit network. */
  readonly header?: Statement;
  readonly input?: {
    readonly shape: readonly [number, number, number];
    readonly stmt: Statement;
    /** `input 3x224x224 imagenet`: images are normalised with ImageNet's mean and std before a run. */
    readonly normalise?: 'imagenet';
  };
  /** The graph's nodes in execution order. */
  readonly layers: readonly LayerDecl[];
  /** From the first to the last statement of the network. */
  readonly span: Span;
  /** Statements of the network's own body in order, nested ones included (not those of block definitions). */
  readonly body: readonly Statement[];
  /** True when some layer reads more than its predecessor (a merge, or a layer after one). */
  readonly branching: boolean;
}

/** A named block definition and the statements that call it. */
export interface BlockDecl {
  readonly name: string;
  readonly header: Statement;
  readonly nameToken: Token;
  readonly end?: Statement;
  readonly calls: Statement[];
}

/** How a statement is read. */
export type StatementKind =
  | 'network' | 'input' | 'auto' | 'block' | 'repeat' | 'residual' | 'shortcut' | 'parallel' | 'branch' | 'merge'
  | 'end' | 'call' | 'layer' | 'unknown';

/** A construct with a body: `block`, `repeat`, `residual` or `parallel`, with its section lines and `end`. */
export interface Construct {
  readonly kind: 'block' | 'repeat' | 'residual' | 'parallel';
  readonly open: Statement;
  readonly end?: Statement;
  /** The `shortcut` / `branch` lines that start its sections, in order. */
  readonly sections: readonly Statement[];
  /** Nesting depth of the opener (0 at the top level). */
  readonly depth: number;
  /** The enclosing construct, if any. */
  readonly parent?: number;
}

/** The source map of one statement: what it is, how deep it is nested and in which construct. */
export interface StatementInfo {
  readonly kind: StatementKind;
  /** Nesting depth: bodies of constructs are one deeper than their opener; `end`, `shortcut` and `branch` stand at the opener's depth. */
  readonly depth: number;
  /** The construct this statement opens, closes or divides, or else the innermost one it stands in. */
  readonly construct?: number;
}

/** The lowered file. */
export interface Program {
  readonly networks: readonly NetworkDecl[];
  readonly blocks: ReadonlyMap<string, BlockDecl>;
  readonly diagnostics: readonly Diagnostic[];
  /** Every construct of the file, in the order of their opening lines. */
  readonly constructs: readonly Construct[];
  /** One record per parsed statement, in the parser's order. */
  readonly statements: readonly StatementInfo[];
  /** Where each label is written (layer, construct or merge lines), in text order, for references and rename. */
  readonly labels: ReadonlyMap<string, readonly Token[]>;
  /** Label references of merge lines (`add skip`): the token and what it resolved to, if anything. */
  readonly references: readonly { readonly token: Token; readonly target?: Token }[];
}

/** A statement read against the keyword table. */
export interface Interpretation {
  readonly kind: StatementKind;
  readonly kw?: LayerKeyword;
  readonly spec?: LayerSpec;
  readonly repeat: number;
  readonly noact: boolean;
  readonly text: string;
  /** The merge of a `residual`, `parallel` or merge line (`add`, `concat`, `mul`). */
  readonly mode?: 'add' | 'concat' | 'mul';
}

/** A layer's options as read from one statement, with their spans (for diagnostics). */
type Options = readonly { readonly option: ParsedOption; readonly span: Span; readonly text: string }[];

/**
 * Interpretations of valid layer lines by their text. Lines repeat a lot (within a file and across
 * the versions an editor sends), and a clean line means the same wherever it stands; specs are
 * immutable, so sharing them is safe. Cleared when it grows past CACHE_LIMIT entries.
 */
const lineCache = new Map<string, Interpretation>();
const CACHE_LIMIT = 50_000;

/** A tree node: a statement, or a construct with its sections (body first, then each `shortcut`/`branch`). */
interface Node {
  readonly stmt: Statement;
  /** Index of the statement in the parse result. */
  readonly index: number;
  readonly depth: number;
  parts?: { head?: Statement; nodes: Node[] }[];
  end?: Statement;
  /** Index into the constructs, for openers. */
  construct?: number;
  /** Filled once blocks are known (a call can precede its block's definition). */
  it?: Interpretation;
}

/**
 * At most this many layers after expansion in one document; a `repeat`/`xN` that would pass it is refused.
 * A hundred thousand keeps the analysis of the largest document to about half a second on two busy
 * cores (a million took over two), so no request on another document waits long; ResNet-152 has 515.
 */
export const MAX_EXPANSION = 100_000;
/** Constructs nest at most this deep (blocks calling blocks count too); deeper ones are refused. */
export const MAX_DEPTH = 100;

/** The layers `auto` can add. */
const AUTO_LAYERS = ['relu', 'relu6', 'leakyrelu', 'sigmoid', 'tanh', 'silu', 'hardswish', 'bn'];
/** Activations among them: moved after a residual's add, left out in a shortcut. */
const ACTIVATIONS = new Set(['relu', 'relu6', 'leakyrelu', 'sigmoid', 'tanh', 'silu', 'hardswish', 'hardsigmoid']);
/** Statement keywords that may carry a label, which then names the construct's output. */
const LABELLED = new Set(['repeat', 'residual', 'parallel', 'add', 'concat', 'mul']);
const OPENERS = new Set(['block', 'repeat', 'residual', 'parallel']);

/** Lowers a parse result; `defaultName` names a network without a `network` line. Never throws. */
export function lower(parsed: ParseResult, text: string, defaultName = 'network'): Program {
  const diagnostics: Diagnostic[] = parsed.errors.map((e) => ({ code: 'syntax', severity: 'error', message: e.message, span: e.span }));
  const problem: Report = (code, severity, message, span, fixes, related) => diagnostics.push({ code, severity, message, span, fixes, related });

  // Nest construct bodies up to their `end`, without recursion (nesting depth is unbounded here).
  const statements = parsed.statements;
  const info: StatementInfo[] = new Array(statements.length);
  const constructs: { kind: Construct['kind']; open: Statement; end?: Statement; sections: Statement[]; depth: number; parent?: number }[] = [];
  const root: Node[] = [];
  const all: Node[] = [];
  const stack: Node[] = [];
  statements.forEach((stmt, index) => {
    const head = stmt.head.text.toLowerCase();
    const top = stack.length ? stack[stack.length - 1] : undefined;
    const depth = stack.length;
    if (head === 'end' && !stmt.label) {
      const open = stack.pop();
      if (open) {
        open.end = stmt;
        constructs[open.construct!].end = stmt;
        info[index] = { kind: 'end', depth: depth - 1, construct: open.construct };
      } else {
        problem('unbalanced-end', 'error', '`end` without a `block`, `repeat`, `residual` or `parallel` to close', stmt.head.span);
        info[index] = { kind: 'end', depth: 0 };
      }
      return;
    }
    if ((head === 'shortcut' || head === 'branch') && !stmt.label) {
      const want = head === 'shortcut' ? 'residual' : 'parallel';
      const c = top ? constructs[top.construct!] : undefined;
      if (top && c?.kind === want && !(head === 'shortcut' && top.parts!.length > 1)) {
        top.parts!.push({ head: stmt, nodes: [] });
        c.sections.push(stmt);
        info[index] = { kind: head, depth: depth - 1, construct: top.construct };
      } else {
        problem('syntax', 'error', head === 'shortcut' && c?.kind === 'residual'
          ? 'a `residual` has one `shortcut`'
          : `\`${head}\` belongs inside a \`${want}\` … \`end\``, stmt.head.span);
        info[index] = { kind: head, depth, construct: top?.construct };
      }
      extraArgs(stmt, 0, problem);
      return;
    }
    const node: Node = { stmt, index, depth };
    all.push(node);
    (top ? top.parts![top.parts!.length - 1].nodes : root).push(node);
    if (OPENERS.has(head) && (!stmt.label || LABELLED.has(head))) {
      node.parts = [{ nodes: [] }];
      node.construct = constructs.length;
      constructs.push({ kind: head as Construct['kind'], open: stmt, sections: [], depth, parent: top?.construct });
      stack.push(node);
    }
    info[index] = { kind: 'unknown', depth, construct: node.construct ?? top?.construct };
  });
  for (const open of stack) {
    problem('unbalanced-end', 'error', `\`${open.stmt.head.text}\` is not closed by \`end\``, open.stmt.head.span,
      [{ title: 'Add `end`', edits: [{ span: { start: text.length, end: text.length }, text: (text.endsWith('\n') || text === '' ? '' : '\n') + 'end\n' }] }]);
  }

  // Block definitions are hoisted: a block may be used before it is defined.
  const blocks = new Map<string, BlockDecl>();
  const blockBodies = new Map<string, Node[]>();
  for (const n of all) {
    if (!n.parts || n.stmt.head.text.toLowerCase() !== 'block' || n.stmt.label) continue;
    const nameTok = n.stmt.args[0];
    if (!nameTok || nameTok.type !== 'word') {
      problem('syntax', 'error', '`block` needs a name, e.g. `block stage`', n.stmt.head.span);
    } else if (matchLayer(nameTok.text.toLowerCase()) || (STATEMENT_KEYWORDS as readonly string[]).includes(nameTok.text.toLowerCase())) {
      problem('block-name-clash', 'error', `'${nameTok.text}' is a keyword of the language; name the block differently`, nameTok.span);
    } else if (blocks.has(nameTok.text)) {
      problem('duplicate-name', 'error', `block '${nameTok.text}' is defined twice`, nameTok.span, undefined,
        [{ span: blocks.get(nameTok.text)!.nameToken.span, message: 'first definition' }]);
    } else {
      blocks.set(nameTok.text, { name: nameTok.text, header: n.stmt, nameToken: nameTok, end: n.end, calls: [] });
      blockBodies.set(nameTok.text, n.parts[0].nodes);
    }
  }

  // Interpret every statement once, so a mistake inside a block is reported once.
  const labels = new Map<string, Token[]>();
  for (const n of all) {
    n.it = interpret(n.stmt, blocks, problem);
    (info[n.index] as { kind: StatementKind }).kind = n.it.kind;
    if (n.stmt.label && n.it.kind !== 'block') {
      const list = labels.get(n.stmt.label.text);
      if (list) list.push(n.stmt.label);
      else labels.set(n.stmt.label.text, [n.stmt.label]);
    }
    if (n.it.kind === 'parallel') {
      for (const stray of n.parts![0].nodes) {
        problem('syntax', 'error', 'the lines of a `parallel` go inside a `branch`: write `branch` before them', stray.stmt.head.span,
          [{ title: 'Insert `branch`', edits: [{ span: { start: stray.stmt.span.start, end: stray.stmt.span.start }, text: 'branch\n' + ' '.repeat(Math.max(0, columnOf(text, stray.stmt.span.start))) }] }]);
      }
      if (n.parts!.length < 2) problem('syntax', 'error', 'a `parallel` needs at least one `branch`', n.stmt.head.span);
    }
  }

  // Split the top level into networks at `network` statements.
  const groups: { header?: Statement; nodes: Node[] }[] = [];
  let current: { header?: Statement; nodes: Node[] } | undefined;
  for (const n of root) {
    const kind = n.it!.kind;
    if (kind === 'network') {
      current = { header: n.stmt, nodes: [] };
      groups.push(current);
    } else if (kind === 'block') {
      continue;
    } else {
      if (!current) {
        current = { nodes: [] };
        groups.push(current);
      }
      current.nodes.push(n);
    }
  }

  const networks: NetworkDecl[] = [];
  const usedNames = new Map<string, Statement>();
  const budget = { left: MAX_EXPANSION };
  const references: { token: Token; target?: Token }[] = [];
  const lowering: Lowering = { text, blockBodies, problem, budget, labels, references, sizes: new Map() };
  for (const g of groups) {
    const name = g.header?.args[0]?.text ?? (groups.length === 1 ? defaultName : `${defaultName}${networks.length + 1}`);
    if (g.header && !g.header.args[0]) problem('syntax', 'error', '`network` needs a name, e.g. `network vgg16`', g.header.head.span);
    if (g.header?.args[0]) {
      const prev = usedNames.get(name);
      if (prev) problem('duplicate-name', 'warning', `network '${name}' is defined twice; --network picks the first`, g.header.args[0].span, undefined, [{ span: prev.span, message: 'first definition' }]);
      else usedNames.set(name, g.header);
    }
    networks.push(lowerNetwork(name, g.header, g.nodes, lowering));
  }
  return { networks, blocks, diagnostics, constructs, statements: info, labels, references };
}

/** 0-based column of an offset. */
function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

type Report = (code: string, severity: Diagnostic['severity'], message: string, span: Span, fixes?: Fix[], related?: Diagnostic['related']) => void;

/** Reads one statement against the keyword table, reporting unknown words with suggestions. */
function interpret(stmt: Statement, blocks: ReadonlyMap<string, BlockDecl>, problem: Report): Interpretation {
  const head = stmt.head.text.toLowerCase();
  const text = normalise(stmt);
  // Plain literals rather than object spread: spread was the hot spot of lowering (~20 µs per line).
  const base = (kind: Interpretation['kind'], repeat = 1): Interpretation => ({ kind, repeat, noact: false, text });
  if (!stmt.label || LABELLED.has(head)) {
    const mode = (allowed: readonly ('add' | 'concat' | 'mul')[], fallback: 'add' | 'concat', kind: 'residual' | 'parallel'): Interpretation => {
      const w = stmt.args[0]?.text.toLowerCase();
      const ok = w === undefined || (allowed as readonly string[]).includes(w);
      if (!ok) problem('unknown-option', 'error', `\`${kind}\` merges by ${allowed.map((m) => `\`${m}\``).join(', ')}, not '${stmt.args[0].text}'`, stmt.args[0].span);
      extraArgs(stmt, 1, problem);
      return { kind, repeat: 1, noact: false, text, mode: ok && w ? (w as 'add') : fallback };
    };
    if (head === 'repeat') {
      const n = stmt.args[0];
      const count = n && n.type === 'number' && /^\d+$/.test(n.text) ? Number(n.text) : undefined;
      if (count === undefined || count < 1) problem('syntax', 'error', '`repeat` needs a count of at least 1, e.g. `repeat 3`', n?.span ?? stmt.head.span);
      extraArgs(stmt, 1, problem);
      return base('repeat', count ?? 1);
    }
    if (head === 'residual') return mode(['add', 'concat', 'mul'], 'add', 'residual');
    if (head === 'parallel') return mode(['concat', 'add'], 'concat', 'parallel');
    if (head === 'add' || head === 'concat' || head === 'mul') {
      if (!stmt.args.length) problem('syntax', 'error', `\`${head}\` needs the labels of the outputs to merge, e.g. \`${head} skip\``, stmt.head.span);
      for (const a of stmt.args) if (a.type !== 'word') problem('syntax', 'error', `\`${head}\` takes labels, not '${a.text}'`, a.span);
      if (head === 'mul' && stmt.args.length > 1) extraArgs(stmt, 1, problem);
      return { kind: 'merge', repeat: 1, noact: false, text, mode: head };
    }
  }
  if (!stmt.label) {
    if (head === 'network') return base('network');
    if (head === 'block') return base('block');
    if (head === 'end') return base('end');
    if (head === 'input') {
      const dims = stmt.args[0];
      if (!dims || dims.type !== 'dims' || dims.text.split(/[xX×]/).length !== 3 || /\./.test(dims.text)) {
        problem('syntax', 'error', '`input` takes C×H×W as whole numbers, e.g. `input 3x224x224`', dims?.span ?? stmt.head.span,
          dims ? undefined : [{ title: 'Write `input 3x224x224`', edits: [{ span: stmt.head.span, text: 'input 3x224x224' }] }]);
      }
      const extra = stmt.args.slice(1).filter((a) => a.text.toLowerCase() !== 'imagenet');
      if (extra.length) {
        problem('unknown-option', 'error', `unexpected '${extra.map((a) => a.text).join(' ')}' after the input size (\`input\` takes C×H×W and optionally \`imagenet\`)`,
          { start: extra[0].span.start, end: extra[extra.length - 1].span.end });
      }
      return base('input');
    }
    if (head === 'auto') {
      for (const a of stmt.args) {
        const w = a.text.toLowerCase();
        if (!AUTO_LAYERS.includes(w) && w !== 'none') {
          problem('unknown-option', 'error', `\`auto\` takes activations (relu, relu6, leakyrelu, sigmoid, tanh, silu, hardswish), bn or none, not '${a.text}'`, a.span);
        }
      }
      if (!stmt.args.length) problem('syntax', 'error', '`auto` needs the layers to add, e.g. `auto relu`', stmt.head.span);
      return base('auto');
    }
  }
  const block = blocks.get(stmt.head.text);
  if (block) {
    block.calls.push(stmt);
    const options = readOptions(stmt, ['repeat'], problem);
    const rep = options.find((o) => o.option.kind === 'repeat')?.option as { value: number } | undefined;
    return { kind: 'call', repeat: rep?.value ?? 1, noact: false, text };
  }
  const cached = lineCache.get(text);
  if (cached) return cached;
  const m = matchLayer(head);
  if (!m) {
    reportUnknownLayer(stmt, blocks, problem);
    return { kind: 'unknown', spec: { kind: 'unknown' }, repeat: 1, noact: false, text };
  }
  let clean = true;
  const noting: Report = (...a) => {
    clean = false;
    problem(...a);
  };
  const options = readOptions(stmt, m.kw.options, noting);
  const opts = options.map((o) => o.option);
  const spec = buildSpec(m.kw, m.nums, opts);
  validateSpec(stmt, spec, options, noting);
  const rep = opts.find((o) => o.kind === 'repeat') as { value: number } | undefined;
  const it: Interpretation = { kind: 'layer', kw: m.kw, spec, repeat: rep?.value ?? 1, noact: opts.some((o) => o.kind === 'noact'), text };
  if (clean) {
    if (lineCache.size >= CACHE_LIMIT) lineCache.clear();
    lineCache.set(text, it);
  }
  return it;
}

/** The statement's words joined by single spaces, as summaries show it. */
function normalise(stmt: Statement): string {
  let s = stmt.label ? `${stmt.label.text}: ${stmt.head.text}` : stmt.head.text;
  for (const a of stmt.args) s += ' ' + a.text;
  return s;
}

function extraArgs(stmt: Statement, allowed: number, problem: Report): void {
  const extra = stmt.args.slice(allowed);
  if (extra.length) {
    problem('unknown-option', 'error', `unexpected '${extra.map((a) => a.text).join(' ')}' after \`${stmt.head.text}\``,
      { start: extra[0].span.start, end: extra[extra.length - 1].span.end });
  }
}

/** Reads a layer's options, merging `pad 1` into `pad1`, and reports unknown or misplaced ones. */
function readOptions(stmt: Statement, allowed: readonly string[], problem: Report): Options {
  const out: { option: ParsedOption; span: Span; text: string }[] = [];
  const args = stmt.args;
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    let w = a.text.toLowerCase();
    let span = a.span;
    if (VALUE_OPTIONS.includes(w) && args[i + 1] && args[i + 1].type !== 'word') {
      span = { start: a.span.start, end: args[i + 1].span.end };
      w = w + args[i + 1].text.toLowerCase();
      a = args[++i];
    }
    const opt = parseOption(w);
    if (!opt) {
      const names = OPTION_DOCS.filter((d) => allowed.includes(d.kind)).map((d) => d.label);
      const fix = suggestOption(w, allowed);
      problem('unknown-option', 'error',
        `unknown option '${a.text}' for \`${stmt.head.text}\`${fix ? ` — did you mean '${fix}'?` : ''}${names.length ? ` (options: ${names.join(', ')})` : ' (it takes no options)'}`,
        span, fix ? [{ title: `Change to '${fix}'`, edits: [{ span, text: fix }], preferred: true }] : undefined);
      continue;
    }
    if (!allowed.includes(opt.kind)) {
      problem('unknown-option', 'error', `\`${stmt.head.text}\` does not take '${a.text}'`, span,
        [{ title: `Remove '${a.text}'`, edits: [{ span: { start: precedingSpace(stmt, span), end: span.end }, text: '' }] }]);
      continue;
    }
    if (out.some((o) => o.option.kind === opt.kind && (opt.kind !== 'lrn' || (o.option as { key: string }).key === opt.key))) {
      problem('unknown-option', 'error', `'${a.text}' repeats an option already given`, span);
      continue;
    }
    out.push({ option: opt, span, text: stmt.args[i].text });
  }
  return out;
}

/** Start of the whitespace before a span within a statement, so removing an option leaves tidy text. */
function precedingSpace(stmt: Statement, span: Span): number {
  const toks = [stmt.head, ...stmt.args];
  const idx = toks.findIndex((t) => t.span.start === span.start);
  return idx > 0 ? toks[idx - 1].span.end : span.start;
}

/** The closest option spelling for a typo (`padd1` → `pad1`), keeping the typed number. */
function suggestOption(w: string, allowed: readonly string[]): string | undefined {
  const letters = /^[a-z]+/.exec(w)?.[0] ?? '';
  const rest = w.slice(letters.length);
  let best: string | undefined;
  let bestD = Infinity;
  for (const d of OPTION_DOCS) {
    if (!allowed.includes(d.kind)) continue;
    const name = /^[a-z]+/.exec(d.label)?.[0] ?? d.label;
    const bare = d.label === name; // option without a number (nobias, same, sobelx)
    const cand = bare ? name : name.replace(/[A-Z]+$/, '');
    const candidate = bare ? cand : cand + (rest || '');
    const dist = levenshtein(bare ? w : letters, bare ? cand : cand);
    if (dist < bestD && dist <= Math.max(1, Math.floor(cand.length / 3)) && parseOption(candidate) && (bare || rest)) {
      best = candidate;
      bestD = dist;
    }
  }
  return best;
}

/** Values that parse but make no sense: zero sizes, groups on dwconv, a teaching kernel of the wrong size. */
function validateSpec(stmt: Statement, spec: LayerSpec, options: Options, problem: Report): void {
  const bad = (msg: string, span: Span = stmt.head.span) => problem('bad-value', 'error', msg, span);
  const optSpan = (k: string) => options.find((o) => o.option.kind === k)?.span ?? stmt.head.span;
  switch (spec.kind) {
    case 'conv':
      if (spec.kernel[0] < 1 || spec.kernel[1] < 1) bad('a kernel must be at least 1×1');
      if (!spec.depthwise && spec.outChannels < 1) bad('a conv needs at least 1 filter');
      if (spec.stride[0] < 1 || spec.stride[1] < 1) bad('stride must be at least 1', optSpan('stride'));
      if (spec.dilation[0] < 1 || spec.dilation[1] < 1) bad('dilation must be at least 1', optSpan('dilation'));
      if (spec.groups < 1) bad('groups must be at least 1', optSpan('groups'));
      if (options.some((o) => o.option.kind === 'pad' && o.option.value === 'same') &&
          ((spec.dilation[0] * (spec.kernel[0] - 1)) % 2 !== 0 || (spec.dilation[1] * (spec.kernel[1] - 1)) % 2 !== 0)) {
        bad('`same` padding needs an odd kernel: an even one cannot be padded equally on both sides', optSpan('pad'));
      }
      if (spec.teaching && spec.teaching !== 'boxblur' && spec.teaching !== 'gaussian' && spec.teaching !== 'identity' &&
          (spec.kernel[0] !== 3 || spec.kernel[1] !== 3)) {
        bad(`the ${spec.teaching} kernel is 3×3; write conv3-N`, optSpan('teaching'));
      }
      break;
    case 'maxpool':
    case 'avgpool':
      if (spec.kernel[0] < 1 || spec.kernel[1] < 1) bad('a pooling window must be at least 1×1');
      if (spec.stride[0] < 1 || spec.stride[1] < 1) bad('stride must be at least 1', optSpan('stride'));
      if (spec.padding[0] * 2 > spec.kernel[0] || spec.padding[1] * 2 > spec.kernel[1]) {
        bad(`padding must be at most half the window (PyTorch refuses ${spec.padding[0]} for a ${spec.kernel[0]}-wide window)`, optSpan('pad'));
      }
      break;
    case 'fc':
      if (spec.outFeatures < 1) bad('an fc layer needs at least 1 output');
      break;
    case 'upsample':
      if (spec.factor < 1) bad('the upsampling factor must be at least 1');
      break;
    case 'dropout':
      if (!(spec.p >= 0 && spec.p < 1)) bad('the dropout probability must be in [0, 1)');
      break;
    case 'lrn':
      if (!Number.isInteger(spec.size) || spec.size < 1) bad('lrn size must be a whole number of channels', optSpan('lrn'));
      break;
    default:
      break;
  }
  const rep = options.find((o) => o.option.kind === 'repeat');
  if (rep && (rep.option as { value: number }).value < 1) bad('repeat count must be at least 1', rep.span);
}

/** Reports an unknown head with the nearest keyword (`convv3-8` → `conv3-8`). */
function reportUnknownLayer(stmt: Statement, blocks: ReadonlyMap<string, BlockDecl>, problem: Report): void {
  const head = stmt.head.text;
  const lower = head.toLowerCase();
  const prefix = keywordPrefix(lower);
  if (prefix && (!/^[a-z]+$/.test(lower) || prefix.synopsis !== prefix.keyword)) {
    // A known keyword with malformed numbers: say how it is written.
    const fixed = suggestHead(lower, [prefix]);
    problem('unknown-layer', 'error',
      `\`${head}\` is not a valid ${prefix.keyword} layer: write ${prefix.synopsis}, e.g. ${prefix.snippet.replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1')}${fixed ? ` — did you mean '${fixed}'?` : ''}`,
      stmt.head.span, fixed ? [{ title: `Change to '${fixed}'`, edits: [{ span: stmt.head.span, text: fixed }], preferred: true }] : undefined);
    return;
  }
  const fixed = suggestHead(lower, LAYER_KEYWORDS) ?? suggestBlock(head, blocks);
  problem('unknown-layer', 'error',
    `unknown layer '${head}'${fixed ? ` — did you mean '${fixed}'?` : ''}`,
    stmt.head.span, fixed ? [{ title: `Change to '${fixed}'`, edits: [{ span: stmt.head.span, text: fixed }], preferred: true }] : undefined);
}

/** Tries the nearest keywords with the typed numbers kept, returning the first spelling that parses. */
function suggestHead(lower: string, keywords: readonly LayerKeyword[]): string | undefined {
  const letters = /^[a-z]+(?:-[a-z]+)*/.exec(lower)?.[0] ?? '';
  const rest = lower.slice(letters.length);
  const ranked = keywords
    .flatMap((k) => [k.keyword, ...(k.keyword === 'softmax' ? ['soft-max'] : [])].map((name) => ({ k, name, d: levenshtein(letters, name) })))
    .filter((c) => c.d <= Math.max(1, Math.floor(c.name.length / 3)))
    .sort((a, b) => a.d - b.d);
  for (const c of ranked) {
    const tries = [c.name + rest, c.name + '-' + rest.replace(/^-/, ''), c.name + rest.replace(/^-/, '')];
    if (c.k.keyword === 'conv' && /^\d+$/.test(rest)) tries.push(`${c.name}${rest}-64`);
    for (const t of tries) if (matchLayer(t)?.kw === c.k) return t;
  }
  return undefined;
}

function suggestBlock(head: string, blocks: ReadonlyMap<string, BlockDecl>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const name of blocks.keys()) {
    const d = levenshtein(head, name);
    if (d < bestD && d <= Math.max(1, Math.floor(name.length / 3))) { best = name; bestD = d; }
  }
  return best;
}

/** What lowering a network needs from the file: the text, block bodies, where to report, the budget, labels. */
interface Lowering {
  readonly text: string;
  readonly blockBodies: ReadonlyMap<string, Node[]>;
  readonly problem: Report;
  /** Layers the document may still expand to. */
  readonly budget: { left: number };
  /** Every label written in the file, for "did you mean" and "defined later". */
  readonly labels: ReadonlyMap<string, readonly Token[]>;
  readonly references: { token: Token; target?: Token }[];
  /** Layers a statement list expands to, memoised (blocks are expanded many times). */
  readonly sizes: Map<Node[], number>;
}

/** Where a walk is: the site statement, copy number, the construct, whether activations are left out (a shortcut), the depth. */
interface Place {
  readonly site?: Statement;
  readonly copy?: number;
  readonly construct?: number;
  readonly noAct: boolean;
  readonly depth: number;
  readonly scope?: Scope;
}

/** Layers a list of nodes expands to, without `auto` layers; Infinity past 2^53. Recursion is bounded by MAX_DEPTH. */
function sizeOf(nodes: Node[], low: Lowering, depth: number, active: Set<string>): number {
  const memo = low.sizes.get(nodes);
  if (memo !== undefined) return memo;
  // Deeper nesting is refused by the walk (too-deep) and never expanded, so it adds nothing here.
  if (depth > MAX_DEPTH) return 0;
  let total = 0;
  for (const n of nodes) {
    const it = n.it!;
    switch (it.kind) {
      case 'layer': case 'unknown': total += it.repeat; break;
      case 'merge': total += 1; break;
      case 'repeat': total += it.repeat * sizeOf(n.parts![0].nodes, low, depth + 1, active); break;
      case 'residual': case 'parallel':
        total += 1;
        for (const p of n.parts!) total += sizeOf(p.nodes, low, depth + 1, active);
        break;
      case 'call': {
        const name = n.stmt.head.text;
        if (active.has(name)) break;
        active.add(name);
        total += it.repeat * sizeOf(low.blockBodies.get(name) ?? [], low, depth + 1, active);
        active.delete(name);
        break;
      }
      default: break;
    }
    if (total > Number.MAX_SAFE_INTEGER) total = Infinity;
  }
  if (active.size === 0) low.sizes.set(nodes, total);
  return total;
}

/** Expands one network's body into the nodes of its graph, in execution order. */
function lowerNetwork(name: string, header: Statement | undefined, nodes: readonly Node[], low: Lowering): NetworkDecl {
  const { problem } = low;
  const layers: LayerDecl[] = [];
  let input: NetworkDecl['input'];
  let auto: { names: string[]; span: Span } | undefined;
  /** The layer whose output is the current tensor (−1: the network's input). */
  let cur = -1;
  /** Latest output of each label, with the label token that named it. */
  const labelled = new Map<string, { id: number; token: Token }>();
  let overflow = false;
  const body: Statement[] = [];

  const push = (spec: LayerSpec, keyword: string, text: string, label: string | undefined, inputs: readonly number[], inputNames: readonly string[] | undefined,
    stmt: Statement, site: Statement, autoSpan: Span | undefined, copy: number | undefined, noact: boolean | undefined, construct: number | undefined,
    scope: Scope | undefined): boolean => {
    if (low.budget.left <= 0) {
      if (!overflow) problem('too-large', 'error', `more than ${MAX_EXPANSION.toLocaleString('en-US')} layers after expansion in this document; stopped expanding here`, site.span);
      overflow = true;
      return false;
    }
    low.budget.left--;
    layers.push({ spec, keyword, text, label, inputs, inputNames, stmt, site, auto: autoSpan, copy, noact, construct, scope });
    cur = layers.length - 1;
    return true;
  };

  /** A layer line's layer and the `auto` layers that follow it. */
  const emitLayer = (n: Node, it: Interpretation, at: Place, copy: number | undefined) => {
    const site = at.site ?? n.stmt;
    if (!push(it.spec!, it.kw?.keyword ?? 'unknown', it.text, n.stmt.label?.text, [cur], undefined, n.stmt, site, undefined, copy, it.noact || undefined, at.construct, at.scope)) return;
    const kind = it.spec!.kind;
    if (!auto || it.noact || (kind !== 'conv' && kind !== 'fc')) return;
    for (const nm of auto.names) {
      if (nm === 'bn' && kind !== 'conv') continue;
      if (at.noAct && ACTIVATIONS.has(nm)) continue;
      const spec: LayerSpec = nm === 'bn' ? { kind: 'bn', eps: DEFAULTS.bnEps } : nm === 'leakyrelu' ? { kind: 'leakyrelu', slope: DEFAULTS.leakySlope } : { kind: nm as 'relu' };
      if (!push(spec, nm, `${nm} (auto)`, undefined, [cur], undefined, n.stmt, site, auto.span, copy, undefined, at.construct, at.scope)) return;
    }
  };

  /** A merge of `inputs` (named for messages), closing a construct or written as `add`/`concat`/`mul`. */
  const emitMerge = (mode: 'add' | 'concat' | 'mul', text: string, inputs: number[], names: string[], stmt: Statement, at: Place, label: string | undefined, construct: number | undefined) =>
    push({ kind: mode }, mode, text, label, inputs, names, stmt, at.site ?? stmt, undefined, at.copy, undefined, construct, at.scope);

  /** Refuses an expansion past the document's budget before making it. */
  const affordable = (size: number, stmt: Statement, span: Span, what: string): boolean => {
    if (size <= low.budget.left) return true;
    const n = Number.isFinite(size) ? size.toLocaleString('en-US') : 'more than 2^53';
    problem('too-large', 'error', `${what} expands to ${n} layers; a document may hold at most ${MAX_EXPANSION.toLocaleString('en-US')} after expansion (${Math.max(0, low.budget.left).toLocaleString('en-US')} left here), so it is not expanded`, span);
    void stmt;
    return false;
  };

  /** The scope a labelled construct or block use opens, or undefined when it has no label. */
  const labelScope = (n: Node, at: Place): Scope | undefined => (n.stmt.label ? { name: n.stmt.label.text, parent: at.scope, stmt: n.stmt } : undefined);

  const setLabel = (n: Node) => {
    if (n.stmt.label && cur >= 0) labelled.set(n.stmt.label.text, { id: cur, token: n.stmt.label });
  };

  const walk = (list: readonly Node[], at: Place, active: Set<string>) => {
    for (const n of list) {
      if (overflow) return;
      const it = n.it!;
      if (at.depth === 0) collect(n, body);
      switch (it.kind) {
        case 'input': {
          const dims = n.stmt.args[0];
          if (layers.length) {
            problem('input-not-first', 'error', '`input` must come before the first layer of its network', n.stmt.span);
          } else if (input) {
            problem('input-not-first', 'error', 'the network already has an `input`', n.stmt.span, undefined, [{ span: input.stmt.span, message: 'first input' }]);
          } else if (dims?.type === 'dims') {
            const parts = dims.text.split(/[xX×]/).map(Number);
            if (parts.length === 3 && parts.every((p) => Number.isInteger(p))) {
              if (parts.some((p) => p < 1)) problem('bad-value', 'error', 'every input dimension must be at least 1', dims.span);
              const imagenet = n.stmt.args.some((a) => a.text.toLowerCase() === 'imagenet');
              input = { shape: [parts[0], parts[1], parts[2]], stmt: n.stmt, normalise: imagenet ? 'imagenet' : undefined };
            }
          }
          break;
        }
        case 'auto': {
          const names = n.stmt.args.map((a) => a.text.toLowerCase()).filter((w) => AUTO_LAYERS.includes(w));
          auto = names.length && n.stmt.args.every((a) => a.text.toLowerCase() !== 'none') ? { names, span: n.stmt.span } : undefined;
          break;
        }
        case 'repeat': {
          if (!deepEnough(n, at)) break;
          const inner = n.parts![0].nodes;
          const size = sizeOf(inner, low, at.depth + 1, new Set(active));
          if (!affordable(it.repeat * size, n.stmt, n.stmt.args[0]?.span ?? n.stmt.head.span, `\`repeat ${it.repeat}\``)) break;
          const site = at.site ?? n.stmt;
          // A body that makes no layers is walked once: its settings (`auto`) do not change by repeating.
          const times = size === 0 ? Math.min(1, it.repeat) : it.repeat;
          const outer = labelScope(n, at);
          for (let r = 0; r < times && !overflow; r++) {
            const scope = outer ? { name: String(r), parent: outer, stmt: n.stmt } : at.scope;
            walk(inner, { site, copy: it.repeat > 1 ? r : at.copy, construct: n.construct, noAct: at.noAct, depth: at.depth + 1, scope }, active);
          }
          setLabel(n);
          break;
        }
        case 'call': {
          const bname = n.stmt.head.text;
          if (active.has(bname)) {
            problem('recursive-block', 'error', `block '${bname}' uses itself`, n.stmt.head.span);
            break;
          }
          if (!deepEnough(n, at)) break;
          const inner = low.blockBodies.get(bname) ?? [];
          const rep = n.stmt.args.find((a) => /^[x×]\d+$/i.test(a.text));
          const size = sizeOf(inner, low, at.depth + 1, new Set([...active, bname]));
          if (!affordable(it.repeat * size, n.stmt, rep?.span ?? n.stmt.head.span, `block \`${bname}\`${it.repeat > 1 ? ` ×${it.repeat}` : ''}`)) break;
          active.add(bname);
          const site = at.site ?? n.stmt;
          const times = size === 0 ? Math.min(1, it.repeat) : it.repeat;
          // A labelled use is a scope; with `xN` its copies are numbered inside it, as a repeat's instances.
          const outer = labelScope(n, at);
          for (let r = 0; r < times && !overflow; r++) {
            const scope = outer && rep ? { name: String(r), parent: outer, stmt: n.stmt } : outer ?? at.scope;
            walk(inner, { site, copy: it.repeat > 1 ? r : at.copy, construct: at.construct, noAct: at.noAct, depth: at.depth + 1, scope }, active);
          }
          active.delete(bname);
          setLabel(n);
          break;
        }
        case 'layer':
        case 'unknown': {
          if (it.repeat > 1) {
            const rep = n.stmt.args.find((a) => /^[x×]\d+$/i.test(a.text)) ?? n.stmt.head;
            if (!affordable(it.repeat, n.stmt, rep.span, `\`${rep.text}\``)) break;
          }
          for (let r = 0; r < it.repeat && !overflow; r++) emitLayer(n, it, at, it.repeat > 1 ? r : at.copy);
          setLabel(n);
          break;
        }
        case 'residual': {
          if (!deepEnough(n, at)) break;
          if (!affordable(sizeOf([n], low, at.depth, new Set(active)), n.stmt, n.stmt.head.span, '`residual`')) break;
          const x = cur;
          const inner: Place = { site: at.site, copy: at.copy, construct: n.construct, noAct: at.noAct, depth: at.depth + 1, scope: labelScope(n, at) ?? at.scope };
          walk(n.parts![0].nodes, inner, active);
          // With `auto`, torchvision's block: the activation after the body's last conv comes after the add.
          const moved: LayerDecl[] = [];
          if (it.mode === 'add') {
            while (cur > x && cur === layers.length - 1 && layers[cur].auto && ACTIVATIONS.has(layers[cur].spec.kind)) {
              moved.unshift(layers.pop()!);
              low.budget.left++;
              cur = moved[0].inputs[0];
            }
          }
          const bodyOut = cur;
          cur = x;
          const shortcut = n.parts!.length > 1;
          if (shortcut) walk(n.parts![1].nodes, { ...inner, noAct: true }, active);
          const end = n.end ?? n.stmt;
          if (overflow) break;
          emitMerge(it.mode!, `residual ${it.mode}`, [cur, bodyOut], [shortcut ? 'shortcut' : 'identity shortcut', 'body'], end, at, n.stmt.label?.text, n.construct);
          for (const m of moved) push(m.spec, m.keyword, m.text, undefined, [cur], undefined, end, at.site ?? end, m.auto, at.copy, undefined, n.construct, at.scope);
          setLabel(n);
          break;
        }
        case 'parallel': {
          if (!deepEnough(n, at)) break;
          if (n.parts!.length < 2) break;
          if (!affordable(sizeOf([n], low, at.depth, new Set(active)), n.stmt, n.stmt.head.span, '`parallel`')) break;
          const x = cur;
          const outs: number[] = [];
          const scope = labelScope(n, at) ?? at.scope;
          for (let b = 1; b < n.parts!.length && !overflow; b++) {
            cur = x;
            walk(n.parts![b].nodes, { site: at.site, copy: at.copy, construct: n.construct, noAct: at.noAct, depth: at.depth + 1, scope }, active);
            outs.push(cur);
          }
          if (overflow) break;
          emitMerge(it.mode!, `parallel ${it.mode}`, outs, outs.map((_, b) => `branch ${b + 1}`), n.end ?? n.stmt, at, n.stmt.label?.text, n.construct);
          setLabel(n);
          break;
        }
        case 'merge': {
          const ins: number[] = [];
          const names: string[] = [];
          let ok = true;
          for (const tok of n.stmt.args) {
            if (tok.type !== 'word') { ok = false; continue; }
            const hit = labelled.get(tok.text);
            low.references.push({ token: tok, target: hit?.token });
            if (hit) {
              ins.push(hit.id);
              names.push(`\`${tok.text}\``);
            } else {
              ok = false;
              unknownLabel(tok, low);
            }
          }
          if (!ok || !ins.length) {
            // Keep the current tensor flowing so the lines after are still checked.
            push({ kind: 'unknown' }, 'unknown', it.text, n.stmt.label?.text, [cur], undefined, n.stmt, at.site ?? n.stmt, undefined, at.copy, undefined, at.construct, at.scope);
          } else {
            emitMerge(it.mode!, it.text, [...ins, cur], [...names, 'the current tensor'], n.stmt, at, n.stmt.label?.text, at.construct);
          }
          setLabel(n);
          break;
        }
        default:
          break;
      }
    }
  };

  /** Refuses a construct nested past MAX_DEPTH (counting block calls), so no walk recurses without bound. */
  const deepEnough = (n: Node, at: Place): boolean => {
    if (at.depth < MAX_DEPTH) return true;
    problem('too-deep', 'error', `nested more than ${MAX_DEPTH} levels deep (constructs and block uses); flatten the nesting`, n.stmt.head.span);
    return false;
  };

  walk(nodes, { noAct: false, depth: 0 }, new Set());
  dropLastFcAuto(layers);

  const first = nodes[0]?.stmt.span.start ?? header?.span.start ?? 0;
  const lastNode = nodes.length ? nodes[nodes.length - 1] : undefined;
  const last = lastNode ? (lastNode.end?.span.end ?? lastNode.stmt.span.end) : header?.span.end ?? 0;
  const branching = layers.some((l, i) => l.inputs.length !== 1 || l.inputs[0] !== i - 1);
  return { name, header, input, layers, span: { start: header?.span.start ?? first, end: last }, body, branching };
}

/** Adds a node's statements (and those nested in it, with section lines and `end`) to a network's body. */
function collect(n: Node, out: Statement[]): void {
  const stack: Node[] = [n];
  while (stack.length) {
    const m = stack.pop()!;
    out.push(m.stmt);
    if (!m.parts || m.it?.kind === 'block') continue;
    for (const p of m.parts) {
      if (p.head) out.push(p.head);
      for (const c of p.nodes) stack.push(c);
    }
    if (m.end) out.push(m.end);
  }
}

/** `unknown-label`: a reference to no label written before it, with "did you mean" and "defined later". */
function unknownLabel(tok: Token, low: Lowering): void {
  const defs = low.labels.get(tok.text);
  const later = defs?.find((d) => d.span.start > tok.span.start);
  if (later) {
    const line = low.text.slice(0, later.span.start).split('\n').length;
    low.problem('unknown-label', 'error', `no output is labelled '${tok.text}' before this line: '${tok.text}' is defined later, on line ${line}; a reference reads an output computed before it`, tok.span);
    return;
  }
  let best: string | undefined;
  let bestD = Infinity;
  for (const name of low.labels.keys()) {
    const d = levenshtein(tok.text, name);
    if (d < bestD && d <= Math.max(1, Math.floor(name.length / 3))) { best = name; bestD = d; }
  }
  low.problem('unknown-label', 'error', `no output is labelled '${tok.text}'${best ? ` — did you mean '${best}'?` : ' (label a layer as `name: conv3-64`)'}`, tok.span,
    best ? [{ title: `Change to '${best}'`, edits: [{ span: tok.span, text: best }], preferred: true }] : undefined);
}

/** `auto` adds nothing after the network's last fc (the classifier): drop those layers and renumber the inputs. */
function dropLastFcAuto(layers: LayerDecl[]): void {
  let lastFc = -1;
  for (let i = layers.length - 1; i >= 0; i--) if (layers[i].spec.kind === 'fc') { lastFc = i; break; }
  if (lastFc < 0) return;
  let k = 0;
  while (lastFc + 1 + k < layers.length && layers[lastFc + 1 + k].auto && layers[lastFc + 1 + k].stmt === layers[lastFc].stmt) k++;
  if (!k) return;
  layers.splice(lastFc + 1, k);
  for (let i = lastFc + 1; i < layers.length; i++) {
    const l = layers[i];
    if (l.inputs.some((x) => x > lastFc)) {
      (l as { inputs: readonly number[] }).inputs = l.inputs.map((x) => (x > lastFc + k ? x - k : x > lastFc ? lastFc : x));
    }
  }
}
