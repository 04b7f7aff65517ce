/**
 * Completion: layer and statement keywords (with snippets) at the start of a line, block names, and
 * after a layer's head only the options that layer takes and that are not written yet. Every item
 * carries the keyword table's one- or two-sentence explanation.
 */
import {
  CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem, type MarkupContent,
} from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';
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
const AUTO_WORDS = ['relu', 'leakyrelu', 'sigmoid', 'tanh', 'bn', 'none'];

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
  if (!tokens.length) {
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
