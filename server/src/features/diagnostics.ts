/** Diagnostics: every problem the analysis found, at the level the settings ask for. */
import type { Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';
import type { Diagnostic } from '../language/types.js';
import { toLspDiagnostic } from './convert.js';
import { levelOf, type Settings } from './settings.js';

/** The core diagnostics that the settings let through, each with the level to show it at. */
export function visibleDiagnostics(a: Analysis, settings: Settings): { diagnostic: Diagnostic; level: Diagnostic['severity'] }[] {
  const out: { diagnostic: Diagnostic; level: Diagnostic['severity'] }[] = [];
  for (const d of a.diagnostics) {
    const level = levelOf(settings, d.code, d.severity);
    if (level !== 'off') out.push({ diagnostic: d, level });
  }
  return out;
}

/**
 * At most this many problems are published for one file: VS Code takes seconds to lay out thousands of
 * squiggles (a pasted binary file gave 7,728), and nobody reads past the first screens of them.
 */
export const MAX_DIAGNOSTICS = 1000;

/**
 * The LSP diagnostics of a document: the first MAX_DIAGNOSTICS in document order and, when there
 * are more, one `too-many-problems` note where the first one left out is, saying how many.
 */
export function diagnostics(a: Analysis, uri: string, settings: Settings, max = MAX_DIAGNOSTICS): LspDiagnostic[] {
  const visible = visibleDiagnostics(a, settings);
  if (visible.length <= max) return visible.map(({ diagnostic, level }) => toLspDiagnostic(a.lines, uri, diagnostic, level));
  visible.sort((x, y) => x.diagnostic.span.start - y.diagnostic.span.start);
  const shown = visible.slice(0, max).map(({ diagnostic, level }) => toLspDiagnostic(a.lines, uri, diagnostic, level));
  const next = visible[max].diagnostic;
  const more = visible.length - max;
  const note: Diagnostic = {
    code: 'too-many-problems', severity: 'information', span: next.span,
    message: `${more.toLocaleString('en-US')} more problem${more === 1 ? '' : 's'} from here on are not shown: CNN Lab reports the first ${max.toLocaleString('en-US')} of a file`,
  };
  return [...shown, toLspDiagnostic(a.lines, uri, note)];
}
