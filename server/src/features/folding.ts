/**
 * Folding ranges: networks, the bodies of constructs (`block`, `repeat`, `residual`, `parallel`, keeping
 * `end` visible) and their `shortcut`/`branch` sections, runs of comment lines. The constructs are the
 * lowering's (`program.constructs`).
 */
import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';

/** The folding ranges of a document. */
export function foldingRanges(a: Analysis): FoldingRange[] {
  const line = (offset: number) => a.lines.position(offset).line;
  const out: FoldingRange[] = [];
  const add = (startLine: number, endLine: number, kind?: FoldingRangeKind) => {
    if (endLine > startLine) out.push(kind ? { startLine, endLine, kind } : { startLine, endLine });
  };
  for (const net of a.networks) add(line(net.decl.span.start), line(net.decl.span.end));
  const lastLine = a.parsed.statements.length ? line(a.parsed.statements[a.parsed.statements.length - 1].span.end) : 0;
  for (const c of a.program.constructs) {
    // Without an `end`, the body runs to the last statement of the file.
    const stop = c.end ? line(c.end.span.start) - 1 : lastLine;
    add(line(c.open.span.start), stop);
    // Each section runs to the line before the next one, or before `end`.
    c.sections.forEach((sec, k) => {
      const next = c.sections[k + 1];
      add(line(sec.span.start), next ? line(next.span.start) - 1 : stop);
    });
  }
  // Runs of two or more lines holding only a comment.
  const statementLines = new Set<number>();
  for (const s of a.parsed.statements) statementLines.add(line(s.span.start));
  let runStart = -1;
  let runEnd = -1;
  for (const c of a.parsed.comments) {
    const l = line(c.start);
    if (statementLines.has(l)) continue;
    if (l === runEnd + 1 && runStart >= 0) runEnd = l;
    else {
      add(runStart, runEnd, FoldingRangeKind.Comment);
      runStart = runEnd = l;
    }
  }
  if (runStart >= 0) add(runStart, runEnd, FoldingRangeKind.Comment);
  out.sort((x, y) => x.startLine - y.startLine);
  return out;
}
