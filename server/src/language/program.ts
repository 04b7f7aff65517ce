/**
 * Lowers the parsed statements into networks of layers: interprets each head and its options
 * against the keyword table, expands blocks, `repeat` and `xN`, and inserts the `auto` layers.
 * Problems of the text itself (unknown words, malformed options, unbalanced `end`) are found here;
 * problems of shapes and costs are the analysis' job.
 */
import type { Diagnostic, Fix, LayerSpec, Span } from '../analysis/types.js';
import type { ParseResult, Statement, Token } from './ast.js';
import {
  buildSpec, keywordPrefix, LAYER_KEYWORDS, levenshtein, matchLayer, OPTION_DOCS, parseOption, STATEMENT_KEYWORDS,
  VALUE_OPTIONS, type LayerKeyword, type ParsedOption,
} from './layers.js';

/** One layer of a lowered network, with where it came from in the text. */
export interface LayerDecl {
  readonly spec: LayerSpec;
  /** The keyword as written in summaries: conv, dwconv, maxpool, fc, relu, … or unknown. */
  readonly keyword: string;
  /** The statement's text, normalised (`conv3-64 pad1`); auto layers read `relu (auto)`. */
  readonly text: string;
  readonly label?: string;
  /** The statement that declares this layer (for auto layers, the layer they follow). */
  readonly stmt: Statement;
  /** The statement in the network's own body that produced it: itself, or a block call / repeat. */
  readonly site: Statement;
  /** Set for layers inserted by an `auto` statement; the span is that statement's. */
  readonly auto?: Span;
  /** Set when `xN`, `repeat` or a block call expanded this statement more than once. */
  readonly copy?: number;
  /** Set when the line says `noact`: no `auto` layers after it. */
  readonly noact?: boolean;
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
  readonly layers: readonly LayerDecl[];
  /** From the first to the last statement of the network. */
  readonly span: Span;
  /** Statements of the network's own body in order (layers, calls, repeats, input, auto). */
  readonly body: readonly Statement[];
}

/** A named block definition and the statements that call it. */
export interface BlockDecl {
  readonly name: string;
  readonly header: Statement;
  readonly nameToken: Token;
  readonly end?: Statement;
  readonly calls: Statement[];
}

/** The lowered file. */
export interface Program {
  readonly networks: readonly NetworkDecl[];
  readonly blocks: ReadonlyMap<string, BlockDecl>;
  readonly diagnostics: readonly Diagnostic[];
}

/** A statement read against the keyword table. */
export interface Interpretation {
  readonly kind: 'layer' | 'network' | 'input' | 'auto' | 'block' | 'repeat' | 'end' | 'call' | 'unknown';
  readonly kw?: LayerKeyword;
  readonly spec?: LayerSpec;
  readonly repeat: number;
  readonly noact: boolean;
  readonly text: string;
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

/** A tree node: a statement, or a `block`/`repeat` with its children. */
interface Node {
  readonly stmt: Statement;
  readonly children?: Node[];
  end?: Statement;
  /** Filled once blocks are known (a call can precede its block's definition). */
  it?: Interpretation;
}

const MAX_EXPANSION = 1_000_000;

/** The layers `auto` can add. */
const AUTO_LAYERS = ['relu', 'leakyrelu', 'sigmoid', 'tanh', 'bn'];

/** Lowers a parse result; `defaultName` names a network without a `network` line. Never throws. */
export function lower(parsed: ParseResult, text: string, defaultName = 'network'): Program {
  const diagnostics: Diagnostic[] = parsed.errors.map((e) => ({ code: 'syntax', severity: 'error', message: e.message, span: e.span }));
  const problem = (code: string, severity: Diagnostic['severity'], message: string, span: Span, fixes?: Fix[], related?: Diagnostic['related']) =>
    diagnostics.push({ code, severity, message, span, fixes, related });

  // Nest block/repeat bodies up to their `end`.
  const root: Node[] = [];
  const stack: Node[] = [];
  for (const stmt of parsed.statements) {
    const head = stmt.head.text.toLowerCase();
    const node: Node = { stmt };
    if (head === 'end' && !stmt.label) {
      const open = stack.pop();
      if (open) open.end = stmt;
      else problem('unbalanced-end', 'error', '`end` without a `block` or `repeat` to close', stmt.head.span);
      continue;
    }
    (stack.length ? stack[stack.length - 1].children! : root).push(node);
    if ((head === 'block' || head === 'repeat') && !stmt.label) {
      (node as { children?: Node[] }).children = [];
      stack.push(node);
    }
  }
  for (const open of stack) {
    problem('unbalanced-end', 'error', `\`${open.stmt.head.text}\` is not closed by \`end\``, open.stmt.head.span,
      [{ title: 'Add `end`', edits: [{ span: { start: text.length, end: text.length }, text: (text.endsWith('\n') || text === '' ? '' : '\n') + 'end\n' }] }]);
  }

  // Block definitions are hoisted: a block may be used before it is defined.
  const blocks = new Map<string, BlockDecl>();
  const blockBodies = new Map<string, Node[]>();
  const collectBlocks = (nodes: Node[]) => {
    for (const n of nodes) {
      if (!n.children) continue;
      if (n.stmt.head.text.toLowerCase() === 'block') {
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
          blockBodies.set(nameTok.text, n.children);
        }
      }
      collectBlocks(n.children);
    }
  };
  collectBlocks(root);

  // Interpret every statement once, so a mistake inside a block is reported once.
  const interpretAll = (nodes: Node[]) => {
    for (const n of nodes) {
      n.it = interpret(n.stmt, blocks, problem);
      if (n.children) interpretAll(n.children);
    }
  };
  interpretAll(root);

  // Split the top level into networks at `network` statements.
  const networks: NetworkDecl[] = [];
  let current: { header?: Statement; nodes: Node[] } | undefined;
  const groups: { header?: Statement; nodes: Node[] }[] = [];
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

  const usedNames = new Map<string, Statement>();
  for (const g of groups) {
    const name = g.header?.args[0]?.text ?? (groups.length === 1 ? defaultName : `${defaultName}${networks.length + 1}`);
    if (g.header && !g.header.args[0]) problem('syntax', 'error', '`network` needs a name, e.g. `network vgg16`', g.header.head.span);
    if (g.header?.args[0]) {
      const prev = usedNames.get(name);
      if (prev) problem('duplicate-name', 'warning', `network '${name}' is defined twice; --network picks the first`, g.header.args[0].span, undefined, [{ span: prev.span, message: 'first definition' }]);
      else usedNames.set(name, g.header);
    }
    networks.push(lowerNetwork(name, g.header, g.nodes, blockBodies, problem));
  }
  return { networks, blocks, diagnostics };
}

type Report = (code: string, severity: Diagnostic['severity'], message: string, span: Span, fixes?: Fix[], related?: Diagnostic['related']) => void;

/** Reads one statement against the keyword table, reporting unknown words with suggestions. */
function interpret(stmt: Statement, blocks: ReadonlyMap<string, BlockDecl>, problem: Report): Interpretation {
  const head = stmt.head.text.toLowerCase();
  const text = normalise(stmt);
  // Plain literals rather than object spread: spread was the hot spot of lowering (~20 µs per line).
  const base = (kind: Interpretation['kind'], repeat = 1): Interpretation => ({ kind, repeat, noact: false, text });
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
          problem('unknown-option', 'error', `\`auto\` takes activations (relu, leakyrelu, sigmoid, tanh), bn or none, not '${a.text}'`, a.span);
        }
      }
      if (!stmt.args.length) problem('syntax', 'error', '`auto` needs the layers to add, e.g. `auto relu`', stmt.head.span);
      return base('auto');
    }
    if (head === 'repeat') {
      const n = stmt.args[0];
      const count = n && n.type === 'number' && /^\d+$/.test(n.text) ? Number(n.text) : undefined;
      if (count === undefined || count < 1) problem('syntax', 'error', '`repeat` needs a count of at least 1, e.g. `repeat 3`', n?.span ?? stmt.head.span);
      extraArgs(stmt, 1, problem);
      return base('repeat', count ?? 1);
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

/** Expands one network's body into layers. */
function lowerNetwork(
  name: string, header: Statement | undefined, nodes: readonly Node[], blockBodies: ReadonlyMap<string, Node[]>, problem: Report,
): NetworkDecl {
  const layers: LayerDecl[] = [];
  let input: NetworkDecl['input'];
  let auto: { names: string[]; span: Span } | undefined;
  const autoOf: (typeof auto)[] = []; // auto setting in force for each layer
  const body = nodes.map((n) => n.stmt);
  let overflow = false;

  const emit = (decl: LayerDecl) => {
    if (layers.length >= MAX_EXPANSION) {
      if (!overflow) problem('too-large', 'error', `more than ${MAX_EXPANSION.toLocaleString('en-US')} layers after expansion; stopped expanding here`, decl.site.span);
      overflow = true;
      return;
    }
    layers.push(decl);
    autoOf.push(auto);
  };

  const walk = (list: readonly Node[], site: Statement | undefined, copy: number | undefined, active: Set<string>) => {
    for (const n of list) {
      if (overflow) return;
      const it = n.it!;
      const s = site ?? n.stmt;
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
        case 'repeat':
          for (let r = 0; r < it.repeat && !overflow; r++) walk(n.children ?? [], s, it.repeat > 1 ? r : copy, active);
          break;
        case 'call': {
          const bname = n.stmt.head.text;
          if (active.has(bname)) {
            problem('recursive-block', 'error', `block '${bname}' uses itself`, n.stmt.head.span);
            break;
          }
          active.add(bname);
          for (let r = 0; r < it.repeat && !overflow; r++) walk(blockBodies.get(bname) ?? [], s, it.repeat > 1 ? r : copy, active);
          active.delete(bname);
          break;
        }
        case 'layer':
        case 'unknown': {
          const spec = it.spec!;
          const keyword = it.kw?.keyword ?? 'unknown';
          for (let r = 0; r < it.repeat; r++) {
            emit({ spec, keyword, text: it.text, label: n.stmt.label?.text, stmt: n.stmt, site: s, copy: it.repeat > 1 ? r : copy, noact: it.noact });
          }
          break;
        }
        default:
          break;
      }
    }
  };
  walk(nodes, undefined, undefined, new Set());

  const withAuto = insertAuto(layers, autoOf);
  const first = nodes[0]?.stmt.span.start ?? header?.span.start ?? 0;
  const lastNode = nodes.length ? nodes[nodes.length - 1] : undefined;
  const last = lastNode ? (lastNode.end?.span.end ?? lastNode.stmt.span.end) : header?.span.end ?? 0;
  return { name, header, input, layers: withAuto, span: { start: header?.span.start ?? first, end: last }, body };
}

/** Inserts the `auto` layers after every conv and every fc but the last. */
function insertAuto(layers: readonly LayerDecl[], autoOf: readonly ({ names: string[]; span: Span } | undefined)[]): LayerDecl[] {
  if (!autoOf.some(Boolean)) return layers as LayerDecl[];
  let lastFc = -1;
  layers.forEach((l, i) => { if (l.spec.kind === 'fc') lastFc = i; });
  const out: LayerDecl[] = [];
  layers.forEach((l, i) => {
    out.push(l);
    const a = autoOf[i];
    if (!a || l.noact) return;
    const isConv = l.spec.kind === 'conv';
    const isHiddenFc = l.spec.kind === 'fc' && i !== lastFc;
    if (!isConv && !isHiddenFc) return;
    for (const nm of a.names) {
      if (nm === 'bn' && !isConv) continue;
      const spec: LayerSpec = nm === 'bn' ? { kind: 'bn', eps: 1e-5 } : nm === 'leakyrelu' ? { kind: 'leakyrelu', slope: 0.01 } : { kind: nm as 'relu' };
      out.push({ spec, keyword: nm, text: `${nm} (auto)`, stmt: l.stmt, site: l.site, auto: a.span, copy: l.copy });
    }
  });
  return out;
}
