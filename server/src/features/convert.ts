/** Conversions between the core's offsets and records and LSP's positions, ranges and diagnostics. */
import {
  DiagnosticSeverity, type Diagnostic as LspDiagnostic, type DiagnosticRelatedInformation, type Position, type Range,
} from 'vscode-languageserver';
import type { LineIndex } from '../language/lines.js';
import type { Diagnostic, Severity, Span } from '../language/types.js';

/** The LSP range of an offset span. */
export function toRange(lines: LineIndex, span: Span): Range {
  return { start: lines.position(span.start), end: lines.position(span.end) };
}

/** The offset of an LSP position (clamped to the text); throws on a malformed position. */
export function toOffset(lines: LineIndex, pos: Position): number {
  if (!pos || !Number.isInteger(pos.line) || !Number.isInteger(pos.character)) {
    throw new TypeError(`invalid position ${JSON.stringify(pos)}`);
  }
  return lines.offset(pos.line, pos.character);
}

/** The LSP severity of a core severity. */
export const SEVERITY: Readonly<Record<Severity, DiagnosticSeverity>> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** Diagnostics carry this source so editors can tell them apart from other linters'. */
export const SOURCE = 'cnn-lab';

/** One core diagnostic as LSP has it, with its related spans in the same document. */
export function toLspDiagnostic(lines: LineIndex, uri: string, d: Diagnostic, severity: Severity = d.severity): LspDiagnostic {
  const related: DiagnosticRelatedInformation[] | undefined = d.related?.map((r) => ({
    location: { uri, range: toRange(lines, r.span) },
    message: r.message,
  }));
  return {
    range: toRange(lines, d.span),
    severity: SEVERITY[severity],
    code: d.code,
    source: SOURCE,
    message: d.message,
    ...(related?.length ? { relatedInformation: related } : {}),
  };
}

/** True when two half-open spans overlap, or touch when one of them is empty (a cursor). */
export function overlaps(a: Span, b: Span): boolean {
  return a.start <= b.end && b.start <= a.end;
}
