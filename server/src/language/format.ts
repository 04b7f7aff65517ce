/** Number formatting shared by messages, summaries and hovers (cheaper than toLocaleString on hot paths). */

/** 1234567 → "1,234,567" (en-US grouping). */
export function fmtInt(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const s = String(Math.abs(n));
  let out = '';
  for (let i = s.length; i > 0; i -= 3) out = (i > 3 ? ',' : '') + s.slice(Math.max(0, i - 3), i) + out;
  return n < 0 ? `-${out}` : out;
}

/** 15.47 G, 1.79 M, 740 */
export function fmtSi(n: number): string {
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [v, u] of units) if (Math.abs(n) >= v) return `${(n / v).toFixed(2)} ${u}`;
  return String(n);
}

/** Bytes as MB (10^6) with MiB beside, as torchinfo and the lecture quote them. */
export function fmtBytes(n: number): string {
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(1)} MB (${(n / 2 ** 20).toFixed(1)} MiB)`;
}
