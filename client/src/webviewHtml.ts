/**
 * What every webview page of the extension needs when its HTML is built (the summary view and the
 * feature-map panel): a nonce for its script under the content security policy, and escaping of text
 * put into the markup. Pure apart from the nonce's randomness, so tests can check the pages.
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
