/**
 * Completion: layer and statement keywords (with snippets) at the start of a line, block names, and
 * after a layer's head only the options that layer takes and that are not written yet; after `add`,
 * `concat` and `mul` the labels written before the cursor in that network (most recent first, with
 * their shape); after `residual`/`parallel` their merge words. An empty file offers `network` and
 * `input` first and a few starter networks. Every item carries the keyword table's explanation.
 */
import {
  CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem, type MarkupContent,
} from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';
import { fmtShape } from '../analysis/summary.js';
import { indexOf } from './locate.js';
import {
  keywordPrefix, LAYER_KEYWORDS, matchLayer, OPTION_DOCS, parseOption, STATEMENT_DOCS, STATEMENT_KEYWORDS,
  type LayerKeyword, type OptionDoc,
} from '../language/layers.js';

/** What the client can show. */
export interface CompletionCapabilities {
  readonly snippets: boolean;
  readonly markdown: boolean;
}

/** The layers `auto` can add, and `none`. */
const AUTO_WORDS = ['relu', 'relu6', 'leakyrelu', 'sigmoid', 'tanh', 'silu', 'hardswish', 'bn', 'none'];

/** The merge words of `residual` and `parallel` (the first is the default), with what they do. */
const MERGE_WORDS: Readonly<Record<'residual' | 'parallel', readonly (readonly [string, string])[]>> = {
  residual: [['add', 'shortcut + body, element-wise (ResNet; the default)'], ['concat', 'shortcut then body along channels (DenseNet)'], ['mul', 'shortcut × body, element-wise (squeeze-and-excitation)']],
  parallel: [['concat', 'the branches along channels, in order (Inception; the default)'], ['add', 'the branches summed element-wise']],
};

/** Whole networks offered on an empty file; each analyses without errors (tested). */
export const STARTERS: readonly { readonly label: string; readonly doc: string; readonly snippet: string }[] = [
  {
    label: 'small CNN', doc: 'A small classifier for 32×32 images: two conv stages, global average pooling and an fc layer.',
    snippet: 'network ${1:small}\ninput ${2:3}x${3:32}x${4:32}\nauto relu\nconv3-${5:32} pad1\nmaxpool\nconv3-64 pad1\nmaxpool\ngap\nfc-${6:10}\n$0',
  },
  {
    label: 'VGG block', doc: 'A network built from a reusable VGG stage (two 3×3 convs, then 2×2 max pooling), used three times.',
    snippet: 'block ${1:stage}\n\tconv3-${2:64} pad1 x2\n\tmaxpool\nend\n\nnetwork ${3:vgg}\ninput 3x${4:224}x${4:224}\nauto relu\n${1:stage} x3\ngap\nfc-${5:1000}\n$0',
  },
  {
    label: 'ResNet basic block', doc: 'A ResNet stem and two basic blocks: two 3×3 convs with batch norm on the body, added to the shortcut (a strided 1×1 projection where the shape changes).',
    snippet: 'network ${1:resnet}\ninput 3x${2:224}x${2:224}\nauto bn relu\nconv7-64 stride2 pad3 nobias\nmaxpool3 stride2 pad1\nresidual\n\tconv3-64 pad1 nobias\n\tconv3-64 pad1 nobias\nend\nresidual\n\tconv3-128 stride2 pad1 nobias\n\tconv3-128 pad1 nobias\nshortcut\n\tconv1-128 stride2 nobias\nend\ngap\nfc-${3:1000}\n$0',
  },
];

/** A snippet as plain text, for clients without snippet support: placeholders become their defaults. */
export function snippetToText(snippet: string): string {
  return snippet
    .replace(/\$\{\d+:([^}]*)\}/g, '$1')
    .replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1')
    .replace(/\$\d+/g, '')
    .replace(/\t/g, '  ');
}

/** The example a keyword's snippet produces, e.g. `conv3-64 pad1`. */
const example = (snippet: string) => snippetToText(snippet).replace(/\n\s*\n/g, '\n');

/** The completion items at an offset. */
export function completion(a: Analysis, offset: number, caps: CompletionCapabilities): CompletionItem[] {
  const { line } = a.lines.position(offset);
  const lineStart = a.lines.lineStart(line);
  const prefix = a.text.slice(lineStart, offset);
  if (/#|\/\//.test(prefix)) return [];
  const word = /[A-Za-z0-9_.\-×]*$/.exec(prefix)![0];
  const before = prefix.slice(0, prefix.length - word.length).replace(/^\s*[A-Za-z_][A-Za-z0-9_.\-]*\s*:\s*/, '');
  const range = { start: a.lines.position(offset - word.length), end: a.lines.position(offset) };
  const doc = (value: string): MarkupContent => ({ kind: caps.markdown ? MarkupKind.Markdown : MarkupKind.PlainText, value });
  const item = (label: string, snippet: string, kind: CompletionItemKind, detail: string, documentation: string, sort: string, filter = label): CompletionItem => {
    const plain = !/\$/.test(snippet);
    return {
      label, kind, detail, documentation: doc(documentation), sortText: sort, filterText: filter,
      insertTextFormat: caps.snippets && !plain ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
      textEdit: { range, newText: caps.snippets ? snippet : snippetToText(snippet) },
    };
  };

  const tokens = before.trim() ? before.trim().split(/\s+/) : [];
  if (!tokens.length && !a.parsed.statements.some((st) => st.span.start < lineStart || st.span.start >= offset)) {
    // An empty file: a network starts with `network` or `input`, or with a starter.
    const first = (['network', 'input'] as const).map((k, i) => item(k, STATEMENT_DOCS[k].snippet, CompletionItemKind.Keyword, 'statement', STATEMENT_DOCS[k].doc, `0${i}`));
    const starters = STARTERS.map((st, i) => item(st.label, st.snippet, CompletionItemKind.Snippet, 'starter network', `${st.doc}\n\n\`\`\`\n${snippetToText(st.snippet).trim()}\n\`\`\``, `1${i}`));
    return [...first, ...starters, ...headItems()];
  }
  if (!tokens.length) return headItems();

  function headItems(): CompletionItem[] {
    // The head of a statement.
    const out: CompletionItem[] = LAYER_KEYWORDS.map((kw, i) => item(kw.keyword, kw.snippet, CompletionItemKind.Function, kw.synopsis,
      `${kw.doc}\n\nExample: \`${example(kw.snippet)}\``, `a${String(i).padStart(2, '0')}`, example(kw.snippet)));
    STATEMENT_KEYWORDS.forEach((k, i) => {
      const d = STATEMENT_DOCS[k];
      out.push(item(k, d.snippet, CompletionItemKind.Keyword, 'statement', d.doc, `b${i}`));
    });
    for (const name of a.program.blocks.keys()) {
      out.push(item(name, name, CompletionItemKind.Module, 'block', `Uses block \`${name}\` here (\`${name} x2\` uses it twice).`, `c${name}`));
    }
    return out;
  }

  const head = tokens[0];
  const lower = head.toLowerCase();
  const args = tokens.slice(1);
  if (lower === 'auto') {
    return AUTO_WORDS.filter((w) => !args.some((x) => x.toLowerCase() === w)).map((w, i) => {
      const kw = LAYER_KEYWORDS.find((k) => k.keyword === w);
      return item(w, w, CompletionItemKind.Function, 'auto', kw?.doc ?? 'Stops adding layers automatically.', `a${i}`);
    });
  }
  if (lower === 'add' || lower === 'concat' || lower === 'mul') {
    if (lower === 'mul' && args.length) return [];
    return labelsBefore(a, lineStart).filter((l) => !args.includes(l.name)).map((l, i) =>
      item(l.name, l.name, CompletionItemKind.Variable, l.shape, `The output labelled \`${l.name}\` on line ${l.line}: ${l.shape}.\n\n${STATEMENT_DOCS[lower].doc}`, `a${String(i).padStart(4, '0')}`));
  }
  if ((lower === 'residual' || lower === 'parallel') && !args.length) {
    return MERGE_WORDS[lower].map(([w, d], i) => item(w, w, CompletionItemKind.EnumMember, `${lower} ${w}`, `${d}.\n\n${STATEMENT_DOCS[lower].doc}`, `a${i}`));
  }
  if (lower === 'input') {
    return args.length ? [] : [item('C×H×W', '${1:3}x${2:224}x${3:224}', CompletionItemKind.Value, 'input shape', STATEMENT_DOCS.input.doc, 'a', word || '3x224x224')];
  }
  if ((STATEMENT_KEYWORDS as readonly string[]).includes(lower)) return [];
  if (a.program.blocks.has(head)) {
    const rep = OPTION_DOCS.find((d) => d.kind === 'repeat')!;
    return args.some((x) => parseOption(x.toLowerCase())?.kind === 'repeat') ? [] : [optionItem(rep, 'block call', 0)];
  }
  const kw: LayerKeyword | undefined = matchLayer(lower)?.kw ?? keywordPrefix(lower);
  if (!kw) return [];
  const written = args.map((x) => parseOption(x.toLowerCase())).filter((o) => o !== undefined);
  const taken = (d: OptionDoc) => written.some((o) => o!.kind === d.kind && (o!.kind !== 'lrn' || d.label.startsWith(o!.key)));
  return OPTION_DOCS.filter((d) => kw.options.includes(d.kind) && !taken(d)).map((d, i) => optionItem(d, kw.keyword, i));

  function optionItem(d: OptionDoc, of: string, i: number): CompletionItem {
    const letters = /^[a-z]+/.exec(d.label)?.[0] ?? d.label;
    return item(d.label, d.snippet, CompletionItemKind.Property, `option of ${of}`, `${d.doc}\n\nExample: \`${example(d.snippet)}\``,
      `o${String(i).padStart(2, '0')}`, letters);
  }
}

/** The labels written before a line in the network it stands in, most recent first, each once, with the shape of the output it names. */
function labelsBefore(a: Analysis, lineStart: number): { name: string; line: number; shape: string }[] {
  const ix = indexOf(a);
  const net = ix.networkAt(lineStart);
  const found: { name: string; start: number; line: number; shape: string }[] = [];
  for (const [name, tokens] of a.program.labels) {
    for (let i = tokens.length - 1; i >= 0; i--) {
      const t = tokens[i];
      if (t.span.start >= lineStart) continue;
      const stmt = ix.statementAt(t.span.start);
      if (!stmt || !net || ix.networkOf(stmt) !== net) continue;
      // A construct's label names its output: the layers of its `end`.
      const c = ix.constructOf(stmt);
      const at = c && c.open === stmt && (c.kind === 'residual' || c.kind === 'parallel') ? c.end ?? stmt : stmt;
      const refs = ix.layersOf(at);
      found.push({ name, start: t.span.start, line: a.lines.position(t.span.start).line + 1, shape: fmtShape(refs[refs.length - 1]?.layer.out) });
      break;
    }
  }
  return found.sort((x, y) => y.start - x.start).map(({ name, line, shape }) => ({ name, line, shape }));
}
