/**
 * What every webview page of the extension needs when its HTML is built (the summary view, the
 * comparison and the feature-map panel): a nonce for its script, the head with the content security
 * policy, and escaping of text put into the markup. Pure apart from the nonce's randomness, so tests can check the pages.
 */
import { randomBytes } from 'node:crypto';

const NONCE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A fresh nonce for a page's script tag: 32 characters drawn from the operating system's
 * cryptographic random source (a predictable nonce would let injected markup run a script). Tests
 * may pass `random` (numbers in [0, 1)) to get a fixed nonce.
 */
export function makeNonce(random?: () => number): string {
  // 62 characters: a byte below 248 (= 4·62) picks one without bias; the rare others are drawn again.
  let s = '';
  while (s.length < 32) {
    if (random) {
      s += NONCE_CHARS[Math.floor(random() * NONCE_CHARS.length)];
      continue;
    }
    for (const b of randomBytes(40)) if (b < 248 && s.length < 32) s += NONCE_CHARS[b % 62];
  }
  return s;
}

/** Text escaped for HTML content and attribute values. */
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The start of every page's head: the content security policy (nothing by default; styles from the
 * extension's files and, with `inlineStyle`, the page's own nonce'd `<style>`; only the nonce'd script),
 * the viewport and the title (escaped here).
 */
export function pageHead(p: { readonly cspSource: string; readonly nonce: string; readonly title: string; readonly inlineStyle: boolean }): string {
  const csp = ["default-src 'none'", `style-src ${p.cspSource}${p.inlineStyle ? ` 'nonce-${p.nonce}'` : ''}`, `script-src 'nonce-${p.nonce}'`].join('; ');
  return `<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${esc(p.title)}</title>`;
}
