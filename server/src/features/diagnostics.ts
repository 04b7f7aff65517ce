/** Diagnostics: every problem the analysis found, at the level the settings ask for. */
import type { Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { Analysis } from '../analysis/analyze.js';
import type { Diagnostic } from '../analysis/types.js';
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

/** The LSP diagnostics of a document. */
export function diagnostics(a: Analysis, uri: string, settings: Settings): LspDiagnostic[] {
  return visibleDiagnostics(a, settings).map(({ diagnostic, level }) => toLspDiagnostic(a.lines, uri, diagnostic, level));
}
