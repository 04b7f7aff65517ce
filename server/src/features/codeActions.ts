/**
 * Code actions: the quick fixes the analysis already computed for its diagnostics (stacked 3×3 convs
 * for a large kernel, GAP for dominating fc layers, "did you mean", the missing `input`, …) turned into
 * LSP edits, plus "pad to keep the size" for a stride-1 conv that shrinks its map.
 */
import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic, type TextEdit, type WorkspaceEdit } from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';
import { applyLayer, inputField } from '../analysis/layer.js';
import { fmtShape } from '../analysis/summary.js';
import type { Edit, Span } from '../language/types.js';
import type { Statement } from '../language/ast.js';
import { overlaps, toLspDiagnostic, toRange } from './convert.js';
import { visibleDiagnostics } from './diagnostics.js';
import { indexOf, ownLayers } from './locate.js';
import type { Settings } from './settings.js';

/** How edits are addressed: with the document version when the client supports versioned edits. */
export interface EditTarget {
  readonly uri: string;
  readonly version: number;
  readonly documentChanges: boolean;
}

/** A workspace edit of one document from offset edits. */
export function workspaceEdit(a: Analysis, target: EditTarget, edits: readonly Edit[]): WorkspaceEdit {
  const textEdits: TextEdit[] = edits.map((e) => ({ range: toRange(a.lines, e.span), newText: e.text }));
  return target.documentChanges
    ? { documentChanges: [{ textDocument: { uri: target.uri, version: target.version }, edits: textEdits }] }
    : { changes: { [target.uri]: textEdits } };
}

/** True when a requested `only` filter admits quick fixes. */
function wantsQuickFix(only: readonly string[] | undefined): boolean {
  return !only || only.some((k) => k === CodeActionKind.QuickFix || k === CodeActionKind.Empty);
}

/** The code actions for a span of the document. */
export function codeActions(a: Analysis, span: Span, target: EditTarget, settings: Settings, only?: readonly string[]): CodeAction[] {
  if (!wantsQuickFix(only)) return [];
  const out: CodeAction[] = [];
  for (const { diagnostic: d, level } of visibleDiagnostics(a, settings)) {
    if (!d.fixes?.length || !overlaps(d.span, span)) continue;
    const lsp: LspDiagnostic = toLspDiagnostic(a.lines, target.uri, d, level);
    for (const fix of d.fixes) {
      out.push({
        title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [lsp],
        ...(fix.preferred ? { isPreferred: true } : {}),
        edit: workspaceEdit(a, target, fix.edits),
      });
    }
  }
  const ix = indexOf(a);
  const { line: first } = a.lines.position(span.start);
  const { line: last } = a.lines.position(span.end);
  for (const stmt of ix.statementsInLines(first, last)) {
    const pad = samePadding(a, stmt);
    if (pad) out.push({ title: pad.title, kind: CodeActionKind.QuickFix, edit: workspaceEdit(a, target, [pad.edit]) });
  }
  return out;
}

/**
 * "Pad to keep the size": for a conv line at stride 1 whose output map is smaller than its input,
 * the edit that writes `same` (padding (K−1)/2 of the dilated kernel) in place of its padding.
 */
export function samePadding(a: Analysis, stmt: Statement): { title: string; edit: Edit } | undefined {
  const ix = indexOf(a);
  if (ix.kindOf(stmt) !== 'layer') return undefined;
  const own = ownLayers(ix.layersOf(stmt), stmt).map((r) => r.layer).filter((l) => l.decl.stmt === stmt);
  const l = own[0];
  const s = l?.decl.spec;
  if (!s || s.kind !== 'conv' || s.stride[0] !== 1 || s.stride[1] !== 1) return undefined;
  const span = [0, 1].map((i) => s.dilation[i] * (s.kernel[i] - 1));
  if (span.some((x) => x % 2 !== 0)) return undefined; // an even kernel cannot be padded equally on both sides
  const shrinks = l.in && l.out && l.in.length === 3 && l.out.length === 3
    ? l.out[1] < l.in[1] || l.out[2] < l.in[2]
    : s.padding[0] < span[0] / 2 || s.padding[1] < span[1] / 2;
  if (!shrinks) return undefined;
  const args = stmt.args;
  const i = args.findIndex((t) => /^pad/i.test(t.text) || t.text.toLowerCase() === 'same');
  let edit: Edit;
  if (i >= 0) {
    const joined = args[i].text.toLowerCase() === 'pad' && args[i + 1] && args[i + 1].type !== 'word';
    edit = { span: { start: args[i].span.start, end: (joined ? args[i + 1] : args[i]).span.end }, text: 'same' };
  } else {
    edit = { span: { start: stmt.head.span.end, end: stmt.head.span.end }, text: ' same' };
  }
  // The size is promised only when the padded conv really applies (a groups mismatch stays an error).
  const kept = l.in && l.in.length === 3 ? applyLayer({ ...s, padding: [span[0] / 2, span[1] / 2] }, [l.in], [inputField(l.in)]).out : undefined;
  const size = kept ? ` (${fmtShape(l.in!.slice(1))} stays ${fmtShape(kept.slice(1))} instead of ${fmtShape(l.out?.slice(1))})` : '';
  return { title: `Pad to keep the size: \`same\`${size}`, edit };
}
