/**
 * What one node does to its inputs: output shape, parameters, multiply-accumulates and how it moves
 * the receptive field, read from the kind table (language/kinds.ts). Pure functions of (spec, input
 * shapes); the checks that judge the result live in checks.ts.
 */
import { inputField, isProblem, KINDS, type Field, type KindProblem, type KindRecord } from '../language/kinds.js';
import type { LayerKind, LayerSpec, Shape } from '../language/types.js';

export { inputField, slide, type Field } from '../language/kinds.js';

/** The outcome of one layer on known input shapes. */
export interface LayerOutcome {
  /** Output shape, or undefined when the layer cannot apply (an error explains why). */
  readonly out?: Shape;
  readonly weights: number;
  readonly biases: number;
  readonly macs: number;
  /** How the parameters are counted, e.g. `64×3×3×3 + 64`. */
  readonly formula: string;
  readonly field: Field;
  /** Set when an fc layer flattens a map on its own. */
  readonly implicitFlatten?: boolean;
  /** Why the layer cannot apply to this input (becomes a diagnostic). */
  readonly error?: KindProblem;
  /** For merges: the input whose field the output takes (the largest, as Araujo et al. define it). */
  readonly fieldFrom?: number;
}

const numel = (s: readonly number[] | undefined): number => (s ? s.reduce((a, b) => a * b, 1) : 0);

/** The input with the largest receptive field (by height, then width), whose jump and padding a merge keeps. */
export function widestField(fields: readonly Field[]): number {
  let best = 0;
  for (let i = 1; i < fields.length; i++) {
    const a = fields[i].rf;
    const b = fields[best].rf;
    if (a[0] > b[0] || (a[0] === b[0] && a[1] > b[1])) best = i;
  }
  return best;
}

/** Applies one layer to its input shapes (one, or several for a merge) and their fields. */
export function applyLayer(spec: LayerSpec, ins: readonly Shape[], fields: readonly Field[]): LayerOutcome {
  // Every outcome has the same property order: object spread here was the analysis' hot spot.
  const rec = KINDS[spec.kind] as unknown as KindRecord<LayerKind> & { out(s: LayerSpec, i: readonly Shape[]): Shape | KindProblem };
  const from = rec.arity === 'many' ? widestField(fields) : 0;
  const inp = ins[from];
  const o = rec.out(spec as never, ins);
  const readable = !rec.needsMap || ins[0].length === 3;
  const p = readable ? rec.params(spec as never, ins[0]) : {};
  const weights = numel(p.weight);
  const biases = numel(p.bias);
  const formula = readable ? rec.formula(spec as never, ins[0]) : '0';
  if (isProblem(o)) {
    // A window that does not fit still has its weights; a layer that cannot read its input has none.
    const counted = o.code === 'shape-collapse';
    return { out: undefined, weights: counted ? weights : 0, biases: counted ? biases : 0, macs: 0, formula, field: fields[from], implicitFlatten: undefined, error: o, fieldFrom: undefined };
  }
  return {
    out: o, weights, biases, macs: rec.macs(spec as never, ins[0], o), formula, field: rec.field(spec as never, fields[from], inp, o),
    implicitFlatten: spec.kind === 'fc' && ins[0].length === 3 ? true : undefined, error: undefined, fieldFrom: rec.arity === 'many' ? from : undefined,
  };
}
