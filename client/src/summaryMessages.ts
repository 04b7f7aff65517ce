/** The messages between the extension and the summary webview, as readonly discriminated unions. */

/** From the summary webview to the extension. */
export type FromSummaryView =
  /** The user clicked a layer row: show its line (0-based) in the editor. */
  | { readonly type: 'reveal'; readonly line: number }
  /** The user pressed "Copy as Markdown". */
  | { readonly type: 'copyMarkdown' };

/** True when a value received from the webview is one of its messages. */
export function isFromSummaryView(m: unknown): m is FromSummaryView {
  if (!m || typeof m !== 'object') return false;
  const t = (m as { type?: unknown }).type;
  if (t === 'reveal') return Number.isInteger((m as { line?: unknown }).line);
  return t === 'copyMarkdown';
}
