/**
 * Lexer and parser for .cnn files (chevrotain). The notation is line based: every statement is
 * `[label:] head arg*` on one line, and the head's own spelling (`conv3-64`, `FC-4096`) carries most
 * of the meaning, which `program.ts` interprets. The parser's job is to split lines into statements,
 * recover from anything malformed on a line, and report it with a position.
 */
import { createToken, EmbeddedActionsParser, Lexer, EOF, type IToken, type TokenType } from 'chevrotain';
import type { ParseResult, Statement, SyntaxProblem, Token } from './ast.js';

const Newline = createToken({ name: 'Newline', pattern: /\r?\n|\r/, line_breaks: true, label: 'end of line' });
const Whitespace = createToken({ name: 'Whitespace', pattern: /[ \t\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });
const Comment = createToken({ name: 'Comment', pattern: /(?:#|\/\/)[^\r\n]*/, group: 'comments' });
const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
/** Anything that can follow a statement's head: a category, so the grammar needs no alternation there. */
const Arg = createToken({ name: 'Arg', pattern: Lexer.NA });
const Dims = createToken({ name: 'Dims', pattern: /\d+(?:\.\d+)?(?:[xX×]\d+)+/, label: 'dimensions', categories: [Arg] });
const NumberTok = createToken({ name: 'Number', pattern: /\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/, label: 'number', categories: [Arg] });
const Word = createToken({ name: 'Word', pattern: /[A-Za-z_][A-Za-z0-9_.\-]*/, label: 'word', categories: [Arg] });

const allTokens: TokenType[] = [Newline, Whitespace, Comment, Colon, Arg, Dims, NumberTok, Word];
/** The one lexer instance. */
export const lexer = new Lexer(allTokens, { ensureOptimizations: true, positionTracking: 'onlyOffset' });

function tok(t: IToken): Token {
  const type = t.tokenType === Word ? 'word' : t.tokenType === Dims ? 'dims' : 'number';
  return { type, text: t.image, span: { start: t.startOffset, end: t.startOffset + t.image.length } };
}

/** The grammar: `file := (statement? Newline)*` (the text is lexed with a final newline), `statement := (Word ':')? Word Arg*`. */
class CnnParser extends EmbeddedActionsParser {
  constructor() {
    super(allTokens, { recoveryEnabled: true, maxLookahead: 2 });
    this.performSelfAnalysis();
  }

  /**
   * Statements found so far. A field, not a local of `file`: when recovery re-syncs inside `file`,
   * chevrotain returns the rule's recovery value and a local list would be lost with it.
   */
  statements: Statement[] = [];
  /** Colons found among a statement's arguments (`conv3-64 pad1 : 7`). */
  strayColons: IToken[] = [];

  file = this.RULE('file', () => {
    this.MANY(() => {
      this.OPTION(() => {
        const s = this.SUBRULE(this.statement);
        this.ACTION(() => { if (s) this.statements.push(s); });
      });
      this.CONSUME(Newline);
    });
  });

  statement = this.RULE('statement', (): Statement | undefined => {
    let label: IToken | undefined;
    const first = this.CONSUME(Word);
    let head = first;
    this.OPTION(() => {
      this.CONSUME(Colon);
      label = first;
      head = this.CONSUME2(Word);
    });
    const args: IToken[] = [];
    this.MANY(() => {
      this.OR([
        { ALT: () => { args.push(this.CONSUME(Arg)); } },
        // A colon among the arguments is reported, not a parse failure: the rest of the file stays analysed.
        { ALT: () => { const c = this.CONSUME2(Colon); this.ACTION(() => this.strayColons.push(c)); } },
      ]);
    });
    return this.ACTION(() => {
      // Recovery can hand us tokens inserted out of thin air (startOffset NaN); drop them.
      if (Number.isNaN(head.startOffset)) return undefined;
      const real: Token[] = [];
      for (const a of args) if (!Number.isNaN(a.startOffset)) real.push(tok(a));
      const l = label && !Number.isNaN(label.startOffset) ? tok(label) : undefined;
      const h = tok(head);
      const start = l ? l.span.start : h.span.start;
      const end = real.length ? real[real.length - 1].span.end : h.span.end;
      return { label: l, head: h, args: real, span: { start, end } };
    });
  });
}

/** One parser instance for the whole process, reused by resetting its input (chevrotain's advice). */
const parser = new CnnParser();

/** Parses a whole file. Never throws: malformed lines become errors and parsing resumes on the next line. */
export function parse(text: string): ParseResult {
  // A final line break lets every statement end the same way; it sits past the text's end.
  const lexed = lexer.tokenize(text + '\n');
  const errors: SyntaxProblem[] = lexed.errors.map((e) => ({
    message: `unexpected character '${text.substr(e.offset, e.length > 0 ? Math.min(e.length, 1) : 1)}'`,
    span: { start: e.offset, end: e.offset + Math.max(1, Math.min(e.length, 1)) },
  }));
  const comments = (lexed.groups.comments ?? []).map((c) => ({ start: c.startOffset, end: c.startOffset + c.image.length }));
  parser.input = lexed.tokens;
  parser.statements = [];
  parser.strayColons = [];
  try {
    parser.file();
  } catch (e) {
    // Chevrotain should never throw with recovery on; if it does, keep the editor alive.
    errors.push({ message: `internal parser error: ${(e as Error).message}`, span: { start: 0, end: 0 } });
  }
  for (const c of parser.strayColons) {
    errors.push({ message: describe(c, ''), span: { start: c.startOffset, end: c.startOffset + 1 } });
  }
  for (const e of parser.errors) {
    const t = e.token;
    const start = Number.isNaN(t.startOffset) ? text.length : Math.min(t.startOffset, text.length);
    const end = Number.isNaN(t.startOffset) ? text.length : Math.min(start + Math.max(1, t.image.length), text.length);
    errors.push({ message: describe(e.token, e.message), span: { start, end } });
  }
  errors.sort((a, b) => a.span.start - b.span.start);
  const statements = parser.statements;
  parser.statements = [];
  return { statements, errors, comments };
}

/** Turns chevrotain's message into one a .cnn author can act on. */
function describe(t: IToken, raw: string): string {
  if (t.tokenType === EOF) return 'unexpected end of file';
  if (t.tokenType === Colon) return "unexpected ':' — a label is written `name: layer`, e.g. `conv1: conv3-64 pad1`";
  if (t.tokenType === NumberTok || t.tokenType === Dims) {
    return `a statement cannot start with the number '${t.image}' — write a layer such as conv3-64 or fc-4096`;
  }
  return raw.replace(/\s+/g, ' ');
}
