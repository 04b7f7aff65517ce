/** Applies offset edits to a text, as an editor would. */
import type { Edit } from '../../server/src/language/types.js';

/** Applies non-overlapping edits (any order) and returns the new text. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => b.span.start - a.span.start);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.span.start) + e.text + out.slice(e.span.end);
  return out;
}
