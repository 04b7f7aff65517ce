/**
 * The analysis of each open document, computed once per (uri, version): every feature asks the cache
 * and gets the same result until the next edit. Only the newest version of a document is kept.
 */
import { analyze, type Analysis } from '../analysis/analyze.js';
import { defaultNetworkName } from '../language/names.js';

export { defaultNetworkName };

/** What the cache needs of a document (vscode-languageserver-textdocument's TextDocument has it). */
export interface VersionedText {
  readonly uri: string;
  readonly version: number;
  getText(): string;
}

/** Per-document analyses keyed by version. */
export class AnalysisCache {
  private readonly entries = new Map<string, { readonly version: number; readonly analysis: Analysis }>();
  private count = 0;
  private lastMs = 0;

  /** The analysis of this version of the document, computing it on first use. */
  get(doc: VersionedText): Analysis {
    const e = this.entries.get(doc.uri);
    if (e && e.version === doc.version) return e.analysis;
    const start = performance.now();
    const analysis = analyze(doc.getText(), defaultNetworkName(doc.uri));
    this.lastMs = performance.now() - start;
    this.entries.set(doc.uri, { version: doc.version, analysis });
    this.count++;
    return analysis;
  }

  /** Forgets a closed document. */
  delete(uri: string): void {
    this.entries.delete(uri);
  }

  /** Number of documents cached. */
  get size(): number {
    return this.entries.size;
  }

  /** How long the most recent analysis took, in ms (text → parse → lower → analyse). */
  get lastDuration(): number {
    return this.lastMs;
  }

  /** Number of analyses computed since the cache was made. */
  get analyses(): number {
    return this.count;
  }
}
