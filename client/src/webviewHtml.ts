/**
 * What every webview page of the extension needs when its HTML is built (the summary view and the
 * feature-map panel): a nonce for its script under the content security policy, and escaping of text
 * put into the markup. Pure, so tests can check the pages.
 */

/** A fresh nonce for a page's script tag. */
export function makeNonce(random: () => number = Math.random): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 32; i++) s += chars[Math.floor(random() * chars.length)];
  return s;
}

/** Text escaped for HTML content and attribute values. */
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
