/**
 * The messages between the extension and the comparison webview ("CNN Lab: Compare Networks"), as
 * readonly discriminated unions on `type`, shared by comparePanel.ts and webview/compare.ts.
 */
import type { CompareNetworkResult } from '../../server/src/protocol.js';

/** From the extension to the comparison webview. */
export type ToCompareView =
  /** The networks of the document, as `cnnLab/compare` answered (sent on 'ready' and after each edit). */
  | { readonly type: 'show'; readonly file: string; readonly networks: readonly CompareNetworkResult[] };

/** From the comparison webview to the extension. */
export type FromCompareView =
  /** The page's script is listening: send the data. */
  | { readonly type: 'ready' }
  /** The user clicked a network (its row or bar): reveal its `network` line in the editor. */
  | { readonly type: 'reveal'; readonly network: string };

/** True when a value received from the webview is one of its messages. */
export function isFromCompareView(m: unknown): m is FromCompareView {
  if (!m || typeof m !== 'object') return false;
  const t = (m as { type?: unknown }).type;
  if (t === 'reveal') return typeof (m as { network?: unknown }).network === 'string';
  return t === 'ready';
}
