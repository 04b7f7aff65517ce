/** Folding ranges: networks, `block` and `repeat` bodies (keeping `end` visible), runs of comment lines. */
import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';
import { indexOf } from './locate.js';

/** The folding ranges of a document. */
export function foldingRanges(a: Analysis): FoldingRange[] {
  const ix = indexOf(a);
  const line = (offset: number) => a.lines.position(offset).line;
  const out: FoldingRange[] = [];
  const add = (startLine: number, endLine: number, kind?: FoldingRangeKind) => {
    if (endLine > startLine) out.push(kind ? { startLine, endLine, kind } : { startLine, endLine });
  };
  for (const net of a.networks) add(line(net.decl.span.start), line(net.decl.span.end));
  for (const n of ix.nestings) {
    const start = line(n.open.span.start);
    // Without an `end`, the body runs to the last statement of the file.
    const stop = n.end ? line(n.end.span.start) - 1 : line(a.parsed.statements[a.parsed.statements.length - 1].span.end);
    add(start, stop);
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
