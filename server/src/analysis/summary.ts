/**
 * The summary of an analysis in the two forms people read: the JSON contract (`cnnlab summary
 * --json`, the `cnnLab/summary` request) and a torchinfo-style table (CLI, Markdown, the summary view).
 */
import type { Analysis, NetworkResult } from './analyze.js';
import type { Shape } from '../language/types.js';

/** One layer in the JSON contract. Lines are 1-based. */
export interface SummaryLayer {
  /** `inputs`: indices of the layers this one reads, −1 for the network input (a chain has [index − 1]). */
  index: number; line: number; text: string; kind: string; name?: string; auto?: boolean; inputs: number[];
  in: Shape | null; out: Shape | null; params: number; macs: number; activations: number;
  rf: number[] | null; jump: number[] | null; padding: number[] | null; formula: string; implicitFlatten?: boolean;
}

/** One network in the JSON contract. */
export interface SummaryNetwork {
  name: string; line: number; input: Shape | null; layers: SummaryLayer[];
  totals: { params: number; macs: number; flops: number; activations: number; activationBytes: number; paramBytes: number; fcParams: number; fcShare: number; complete: boolean };
}

/** One diagnostic in the JSON contract; lines and columns are 1-based, the end exclusive. */
export interface SummaryDiagnostic { line: number; column: number; endLine: number; endColumn: number; severity: string; code: string; message: string }

/** The whole JSON document. */
export interface Summary { networks: SummaryNetwork[]; diagnostics: SummaryDiagnostic[] }

/** Builds the JSON contract; `only` limits it to one network by name. */
export function toSummary(a: Analysis, only?: string): Summary {
  const nets = a.networks.filter((n) => only === undefined || n.name === only);
  return {
    networks: nets.map((n) => networkSummary(a, n)),
    diagnostics: a.diagnostics.map((d) => {
      const s = a.lines.position(d.span.start);
      const e = a.lines.position(d.span.end);
      return { line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1, severity: d.severity, code: d.code, message: d.message };
    }),
  };
}

/** One network's JSON record. */
export function networkSummary(a: Analysis, n: NetworkResult): SummaryNetwork {
  return {
    name: n.name,
    line: a.lines.position(n.decl.span.start).line + 1,
    input: n.input ?? null,
    layers: n.layers.map((l) => ({
      index: l.index, line: a.lines.position(l.decl.stmt.span.start).line + 1, text: l.decl.text, kind: l.decl.keyword, inputs: [...l.inputs],
      ...(l.decl.label ? { name: l.decl.label } : {}), ...(l.decl.auto ? { auto: true } : {}),
      in: l.in ?? null, out: l.out ?? null, params: l.params, macs: l.macs, activations: l.activations,
      rf: l.rf ? [...l.rf] : null, jump: l.jump ? [...l.jump] : null, padding: l.padding ? [...l.padding] : null, formula: l.formula,
      ...(l.implicitFlatten ? { implicitFlatten: true } : {}),
    })),
    totals: summaryTotals(n),
  };
}

/** One network's totals in the JSON contract (without its layers: the status bar asks on every cursor move). */
export function summaryTotals(n: NetworkResult): SummaryNetwork['totals'] {
  const t = n.totals;
  return {
    params: t.params, macs: t.macs, flops: 2 * t.macs, activations: t.activations, activationBytes: t.activationBytes,
    paramBytes: t.paramBytes, fcParams: t.fcParams, fcShare: t.fcShare, complete: t.complete,
  };
}

import { fmtBytes, fmtInt, fmtSi } from '../language/format.js';

export { fmtBytes, fmtInt, fmtSi };

/** C×H×W or N. */
export const fmtShape = (s: Shape | null | undefined): string => (s ? s.map(fmtInt).join('×') : '?');

/** Rows of the table: one per layer, with the columns people read. */
export function tableRows(n: SummaryNetwork): string[][] {
  return n.layers.map((l) => [
    String(l.index), l.text, fmtShape(l.out), fmtInt(l.params), fmtInt(l.macs),
    l.rf ? (l.rf[0] === l.rf[1] ? String(l.rf[0]) : `${l.rf[0]}×${l.rf[1]}`) : '?',
  ]);
}

const HEAD = ['#', 'Layer', 'Output shape', 'Params', 'MACs', 'RF'];

/** The totals as label/value pairs. */
export function totalLines(n: SummaryNetwork): [string, string][] {
  const t = n.totals;
  const out: [string, string][] = [
    ['Total params', `${fmtInt(t.params)}${t.params ? `  (fc layers ${fmtInt(t.fcParams)} = ${(100 * t.fcShare).toFixed(1)}%)` : ''}`],
    ['Total MACs', `${fmtInt(t.macs)}  (${fmtSi(t.macs)}MACs; FLOPs = 2·MACs = ${fmtSi(2 * t.macs)}FLOPs)`],
    ['Activations', `${fmtInt(t.activations)} values, ${fmtBytes(t.activationBytes)} in float32 (batch 1)`],
    ['Parameter memory', `${fmtBytes(t.paramBytes)} in float32`],
  ];
  if (!t.complete) out.push(['Note', 'some shapes are unknown (see the diagnostics): totals cover only the layers before them']);
  return out;
}

/**
 * The table as the feature-map panel shows it, computed where the analysis is (the run worker) so the
 * webview only draws strings: one row of cells per layer (the columns of tableRows) and the totals.
 */
export interface SummaryTable {
  readonly rows: readonly (readonly string[])[];
  readonly totals: readonly (readonly [string, string])[];
}

/** The panel's table of a network (see SummaryTable). */
export function summaryTable(n: SummaryNetwork): SummaryTable {
  return { rows: tableRows(n), totals: totalLines(n) };
}

/** A plain-text table in the spirit of torchinfo. */
export function formatTable(n: SummaryNetwork): string {
  const rows = tableRows(n);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const right = [true, false, false, true, true, true];
  const line = (r: string[]) => r.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  const title = `${n.name}: input ${fmtShape(n.input)}`;
  const totals = totalLines(n);
  const lw = Math.max(...totals.map(([k]) => k.length));
  return [title, rule, line(HEAD), rule, ...rows.map(line), rule, ...totals.map(([k, v]) => `${(k + ':').padEnd(lw + 1)} ${v}`)].join('\n');
}

/** The same table in Markdown, for "Copy Summary as Markdown". */
export function formatMarkdown(n: SummaryNetwork): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const rows = tableRows(n);
  return [
    `### ${esc(n.name)} — input ${fmtShape(n.input)}`, '',
    `| ${HEAD.join(' | ')} |`, '| ---: | --- | --- | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.map((c, i) => (i === 1 ? '`' + esc(c) + '`' : esc(c))).join(' | ')} |`), '',
    ...totalLines(n).map(([k, v]) => `- **${k}:** ${esc(v)}`),
  ].join('\n');
}
