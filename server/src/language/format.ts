/** Number formatting shared by messages, summaries and hovers (cheaper than toLocaleString on hot paths). */

/** 1234567 → "1,234,567" (en-US grouping). */
export function fmtInt(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const s = String(Math.abs(n));
  let out = '';
  for (let i = s.length; i > 0; i -= 3) out = (i > 3 ? ',' : '') + s.slice(Math.max(0, i - 3), i) + out;
  return n < 0 ? `-${out}` : out;
}
