/** The syntax tree of a .cnn file: a flat list of line statements with source spans. */
import type { Span } from './types.js';

/** One token of a statement: a word (`conv3-64`, `pad1`), a number (`0.5`) or dimensions (`3x224x224`). */
export interface Token {
  readonly type: 'word' | 'number' | 'dims';
  readonly text: string;
  readonly span: Span;
}

/** A statement is one line: an optional `label:`, a head word and its arguments. */
export interface Statement {
  readonly label?: Token;
  readonly head: Token;
  readonly args: readonly Token[];
  /** From the label (or head) to the last argument. */
  readonly span: Span;
}

/** A syntax error with the span of the offending text. */
export interface SyntaxProblem {
  readonly message: string;
  readonly span: Span;
}

/** What the parser returns: it never throws, whatever the text. */
export interface ParseResult {
  readonly statements: readonly Statement[];
  readonly errors: readonly SyntaxProblem[];
  /** Spans of comments, for semantic highlighting and formatting. */
  readonly comments: readonly Span[];
}
