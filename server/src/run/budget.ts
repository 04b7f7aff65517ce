/**
 * The limits a run must stay within, apart from the planning that checks them (plan.ts), so the
 * extension can read its settings into a Budget without bundling the analysis.
 */

/** Limits a run must stay within, so a typo like conv3-99999 cannot freeze the machine. */
export interface Budget {
  readonly maxMacs: number;
  readonly maxMemoryBytes: number;
}

/** The default budget: a few VGG16 forwards, and 2 GB of memory. */
export const DEFAULT_BUDGET: Budget = { maxMacs: 100e9, maxMemoryBytes: 2e9 };

/** The run budget from `cnnLab.run.maxGigaMacs` and `cnnLab.run.maxMemoryMB` (defaults where unset or invalid). */
export function budgetFromSettings(maxGigaMacs: unknown, maxMemoryMB: unknown): Budget {
  const pos = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  return {
    maxMacs: pos(maxGigaMacs) ? maxGigaMacs * 1e9 : DEFAULT_BUDGET.maxMacs,
    maxMemoryBytes: pos(maxMemoryMB) ? maxMemoryMB * 1e6 : DEFAULT_BUDGET.maxMemoryBytes,
  };
}
