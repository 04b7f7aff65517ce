/** Small helpers shared by the unit tests: analyse a snippet, find a network, read layer figures. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { analyze, type Analysis, type NetworkResult } from '../../server/src/analysis/analyze.js';

/** Absolute path of a file in the repository. */
export const repoPath = (rel: string): string => fileURLToPath(new URL(`../../${rel}`, import.meta.url));

/** Reads a repository file as text. */
export const readRepo = (rel: string): string => readFileSync(repoPath(rel), 'utf8');

/** Analyses a sample file of the repository. */
export const analyzeSample = (rel: string): Analysis => analyze(readRepo(rel), rel.replace(/^.*\/|\.cnn$/g, ''));

/** The network of an analysis by name (throws with the names it has, so a typo fails loudly). */
export function net(a: Analysis, name?: string): NetworkResult {
  const n = name === undefined ? a.networks[0] : a.networks.find((x) => x.name === name);
  if (!n) throw new Error(`no network ${name}; have ${a.networks.map((x) => x.name).join(', ')}`);
  return n;
}

/** The diagnostic codes of an analysis, in order. */
export const codes = (a: Analysis): string[] => a.diagnostics.map((d) => d.code);

/** 1-based line of a diagnostic. */
export const lineOf = (a: Analysis, offset: number): number => a.lines.position(offset).line + 1;

/** Codes of errors and warnings only (the teaching information and hints left out). */
export const problems = (a: Analysis): string[] =>
  a.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning').map((d) => d.code);
