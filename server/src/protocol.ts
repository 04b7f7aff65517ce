/**
 * Every custom message between the CNN Lab server and its clients, declared once with its method
 * name, parameter and result types (as vscode-eslint's customMessages.ts does). Standard LSP needs no
 * declaration here; these are the extras the VS Code client, the tests and the benchmark use.
 *
 * A declaration is a method name carrying its types as phantoms rather than a jsonrpc `RequestType`:
 * the server and the client bundle different copies of vscode-jsonrpc (9 and 10), and a `RequestType`
 * made by one copy is rejected by the other's parameter-structure check. A method string is not.
 */
import type { Summary, SummaryNetwork } from './analysis/summary.js';
import type { CompareNetwork } from './analysis/compare.js';

/** A request's method name with its parameter type `P` and result type `R` attached for the compiler. */
export interface RequestDecl<P, R> {
  readonly method: string;
  /** Never set: only carries the types. */
  readonly __types?: { readonly params: P; readonly result: R };
}

/** The parameter type of a declared request. */
export type ParamsOf<D> = D extends RequestDecl<infer P, unknown> ? P : never;
/** The result type of a declared request. */
export type ResultOf<D> = D extends RequestDecl<unknown, infer R> ? R : never;

function request<P, R>(method: string): RequestDecl<P, R> {
  return { method };
}

/** A position as LSP has it: 0-based line and UTF-16 character. */
export interface Position {
  readonly line: number;
  readonly character: number;
}

/** Parameters of `cnnLab/summary`. */
export interface SummaryParams {
  /** The document, which must be open in the server. */
  readonly uri: string;
  /** Only this network (by name); every network when omitted, unless `position` picks one. */
  readonly network?: string;
  /** Only the network at this position (used when `network` is omitted). */
  readonly position?: Position;
}

/**
 * `cnnLab/summary`: the core's summary JSON (the contract of `cnnlab summary --json`) for an open
 * document, limited to one network when asked. Null when the document is not open.
 */
export const summaryRequest = request<SummaryParams, Summary | null>('cnnLab/summary');

/** Parameters of `cnnLab/networkAt`. */
export interface NetworkAtParams {
  readonly uri: string;
  readonly position: Position;
}

/** Result of `cnnLab/networkAt`: which network a position is in, and its totals. */
export interface NetworkAtResult {
  readonly name: string;
  /** 0-based line of the network's first statement. */
  readonly line: number;
  readonly totals: SummaryNetwork['totals'];
}

/**
 * `cnnLab/networkAt`: the network at a position with its totals only (no layers), cheap enough for
 * a status bar that follows the cursor. Null when the document is not open or has no network.
 */
export const networkAtRequest = request<NetworkAtParams, NetworkAtResult | null>('cnnLab/networkAt');

/** A range as LSP has it: start inclusive, end exclusive. */
export interface Range {
  readonly start: Position;
  readonly end: Position;
}

/** Parameters of `cnnLab/compare`. */
export interface CompareParams {
  /** The document, which must be open in the server. */
  readonly uri: string;
}

/** One network of `cnnLab/compare`: the core's comparison record and where its `network` line is. */
export interface CompareNetworkResult extends CompareNetwork {
  /** The network's `network` statement (its first statement when it has none), for revealing it. */
  readonly range: Range;
}

/** Result of `cnnLab/compare`: every network of the document, in file order. */
export interface CompareResult {
  readonly networks: readonly CompareNetworkResult[];
}

/**
 * `cnnLab/compare`: the document's networks side by side (the core's comparison, the data of
 * `cnnlab compare`), with per-stage params and MACs for the bar chart. Null when the document is not open.
 */
export const compareRequest = request<CompareParams, CompareResult | null>('cnnLab/compare');

/** Result of `cnnLab/stats`. */
export interface StatsResult {
  /** `process.memoryUsage()` of the server, in bytes. */
  readonly memory: { readonly rss: number; readonly heapTotal: number; readonly heapUsed: number; readonly external: number; readonly arrayBuffers: number };
  /** Documents open in the server. */
  readonly documents: number;
  /** Analyses computed since start (one per document version that was asked about). */
  readonly analyses: number;
  /** Duration of the most recent analysis in ms: the core's share of a didChange → diagnostics. */
  readonly lastAnalysisMs: number;
}

/** `cnnLab/stats`: the server's memory and how much analysing it has done, for the benchmark. */
export const statsRequest = request<Record<string, never> | null | undefined, StatsResult>('cnnLab/stats');

/** Command the code lens and the client share: show the summary of (uri, network name). */
export const SHOW_SUMMARY_COMMAND = 'cnnLab.showSummary';

/** The client command a "Run on image" code lens runs, with (uri, network name) arguments. */
export const RUN_ON_IMAGE_COMMAND = 'cnnLab.runOnImage';

/**
 * What a client may pass as `initializationOptions`: the `cnnLab` settings section, for clients that
 * do not answer `workspace/configuration` (e.g. a minimal Neovim setup).
 */
export interface InitializationOptions {
  readonly settings?: {
    readonly inlayHints?: { readonly shapes?: boolean; readonly params?: boolean };
    readonly codeLens?: { readonly enabled?: boolean };
    readonly diagnostics?: { readonly teachingHints?: boolean; readonly severity?: Readonly<Record<string, string>> };
  };
}
