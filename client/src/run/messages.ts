/**
 * The messages between the extension and the feature-map webview, declared once as readonly
 * discriminated unions on `type` and shared by both sides (panel.ts and webview/featureMaps.ts).
 * Pixel data travels as typed arrays, which VS Code passes to the webview without JSON encoding.
 *
 * The webview never receives a whole run's floats: it gets the run's description first ('show'), then
 * asks for each expanded layer's 8-bit pixels at the size its tiles have on screen ('requestLayer' →
 * 'layerPixels'), and for the exact value of a unit the user clicks ('probe' → 'probeValue').
 */
import type { SummaryTable } from '../../../server/src/analysis/summary.js';
import type { DisplayLayout } from '../../../server/src/run/display.js';
import type { LayerView, RunKernels, TopEntry } from '../../../server/src/run/workerProtocol.js';

/** The run worker describes each layer (workerProtocol.ts); the panel and the webview read these. */
export type { LayerField, LayerView, RunKernels } from '../../../server/src/run/workerProtocol.js';

/** Class-activation maps as the panel shows them (see CamResult in server/src/run/workerProtocol.ts). */
export interface CamView {
  readonly featureLayer: number;
  readonly fcLayer: number;
  readonly height: number;
  readonly width: number;
  readonly classes: readonly { readonly index: number; readonly score: number; readonly map: Float32Array }[];
}

/** What re-runs a panel's run: kept in the webview's state so a reloaded window can repeat it. */
export interface RunOrigin {
  /** The `.cnn` document's URI. */
  readonly uri: string;
  readonly network: string;
  /** The image's URI. */
  readonly image: string;
  /** The weights file's URI; He initialisation when absent. */
  readonly weights?: string;
  readonly seed: number;
}

/** Everything about one run except the layers' pixels. */
export interface RunView {
  /** Distinguishes runs, so the webview ignores pixels that arrive for a run it no longer shows. */
  readonly runId: number;
  readonly origin: RunOrigin;
  readonly network: string;
  /** File names (not paths) for the header. */
  readonly sourceName: string;
  readonly imageName: string;
  readonly weightsName?: string;
  /** What the layers' weights are without a weights file (see RunKernels). */
  readonly kernels: RunKernels;
  readonly backend: 'simd' | 'typescript';
  /** Which build of the SIMD kernels (StartedMessage.kernelBuild). */
  readonly kernelBuild?: 'fma' | 'plain';
  /** Why the run uses slower kernels than it could (StartedMessage.backendNote); the header shows it. */
  readonly backendNote?: string;
  readonly loadMs: number;
  /** Milliseconds in the layers; absent while the run goes on (layers are shown as they finish). */
  readonly runMs?: number;
  readonly paramsCached: boolean;
  readonly macs: number;
  readonly inputShape: readonly number[];
  /** The input as the network sees it (after resizing), as RGBA. */
  readonly input: { readonly width: number; readonly height: number; readonly rgba: Uint8ClampedArray };
  readonly layers: readonly LayerView[];
  /** The summary table's rows and totals, as the worker's analysis gave them (the webview only draws them). */
  readonly table: SummaryTable;
  /** The last layer's largest values (empty until the run has finished). */
  readonly top: readonly TopEntry[];
  readonly cam?: CamView;
}

/** The header's words for a run's weights: the file, the fixed teaching kernels, or He-initialised ones. */
export function weightsText(r: Pick<RunView, 'weightsName' | 'kernels' | 'origin'>): string {
  if (r.weightsName) return r.weightsName;
  const he = `He-initialised weights (seed ${r.origin.seed})`;
  switch (r.kernels) {
    case 'fixed': return 'fixed teaching kernels';
    case 'mixed': return `fixed teaching kernels and ${he}`;
    case 'none': return 'no weights';
    default: return he;
  }
}

/** Extension → webview. */
export type ToView =
  /** Show a run (replacing whatever was shown); a run still going gets its layers' pixels as they finish. */
  | { readonly type: 'show'; readonly run: RunView }
  /** The run shown has finished: the same view with its time, largest outputs and class-activation maps. */
  | { readonly type: 'finished'; readonly run: RunView }
  /** The run shown stopped before its end (cancelled or failed): its unfinished layers will have no maps. */
  | { readonly type: 'stopped'; readonly runId: number; readonly text: string }
  /**
   * One layer's pixels: `pixels` holds layout.channels tiles of tileHeight×tileWidth bytes (the map
   * itself, or the map shrunk by averaging when it is larger than asked), each scaled from its own
   * channel's [min, max]. A vector's tile is layout.plane bytes (its last row may be partly empty).
   * With `shared`, `pixels` holds only the tiles whose code is TileSource.Own; the others are those of
   * layer `shared.from` as last sent to the page, as they are or inverted (display.ts, shareTiles).
   */
  | {
    readonly type: 'layerPixels'; readonly runId: number; readonly index: number; readonly layout: DisplayLayout;
    readonly tileHeight: number; readonly tileWidth: number;
    readonly pixels: Uint8Array; readonly min: Float32Array; readonly max: Float32Array;
    readonly shared?: { readonly from: number; readonly codes: Uint8Array };
  }
  /** The exact value of one unit, answering 'probe'; NaN when the unit does not exist. */
  | { readonly type: 'probeValue'; readonly runId: number; readonly index: number; readonly channel: number; readonly flat: number; readonly value: number }
  /** The sum of a layer's channels, height×width floats, for the heatmap overlay. */
  | { readonly type: 'heatmap'; readonly runId: number; readonly index: number; readonly height: number; readonly width: number; readonly values: Float32Array }
  /** Nothing to show (yet): a restored panel waiting for its re-run, or a run that failed. */
  | { readonly type: 'message'; readonly text: string; readonly origin?: RunOrigin };

/** Webview → extension. */
export type FromView =
  /** The page loaded (or reloaded after being hidden) and wants the current run. */
  | { readonly type: 'ready' }
  /** Send layer `index`'s pixels, maps larger than `maxSide` pixels either way shrunk to it. */
  | { readonly type: 'requestLayer'; readonly runId: number; readonly index: number; readonly maxSide: number }
  /** Send the value of unit `flat` (y·W + x, or the vector index) of channel `channel` of layer `index`. */
  | { readonly type: 'probe'; readonly runId: number; readonly index: number; readonly channel: number; readonly flat: number }
  /** Send layer `index`'s channel sum. */
  | { readonly type: 'requestHeatmap'; readonly runId: number; readonly index: number }
  /** Show a line (0-based) of the `.cnn` file. */
  | { readonly type: 'reveal'; readonly line: number }
  /** Run the same network on the same image again (after editing the file). */
  | { readonly type: 'rerun' }
  /** A layer's maps were drawn, `ms` after its pixels were asked for (for tests and timing). */
  | { readonly type: 'rendered'; readonly runId: number; readonly index: number; readonly tiles: number; readonly ms: number };

const isInt = (v: unknown): v is number => Number.isInteger(v);

/** True when a value received from the webview is one of its messages. */
export function isFromView(m: unknown): m is FromView {
  if (!m || typeof m !== 'object') return false;
  const o = m as Record<string, unknown>;
  switch (o.type) {
    case 'ready':
    case 'rerun':
      return true;
    case 'requestLayer':
      return isInt(o.runId) && isInt(o.index) && isInt(o.maxSide) && (o.maxSide as number) > 0;
    case 'requestHeatmap':
      return isInt(o.runId) && isInt(o.index);
    case 'probe':
      return isInt(o.runId) && isInt(o.index) && isInt(o.channel) && isInt(o.flat);
    case 'reveal':
      return isInt(o.line);
    case 'rendered':
      return isInt(o.runId) && isInt(o.index) && isInt(o.tiles) && typeof o.ms === 'number';
    default:
      return false;
  }
}

/** The state the webview keeps with vscode.setState (what the serializer receives after a reload). */
export interface ViewState {
  readonly origin?: RunOrigin;
  /** Layers the user expanded, by index, and the run they belong to (`uri#network#layer count`). */
  readonly expanded?: readonly number[];
  readonly expandedFor?: string;
  readonly colormap?: 'grey' | 'viridis';
  /** The overlay chosen: '', 'sum:<layer>' or 'cam:<class rank>'. */
  readonly overlay?: string;
  readonly opacity?: number;
  readonly tile?: number;
}

/** What the feature-map panel may re-open, by file extension (lower case). */
const ORIGIN_FILES = {
  uri: ['.cnn'],
  image: ['.png', '.jpg', '.jpeg', '.npy'],
  weights: ['.safetensors'],
} as const;

/** The URI string `v` when it is a `file:` URI (nothing else: no query, no fragment) whose path ends in one of `exts`. */
function fileUri(v: unknown, exts: readonly string[]): string | undefined {
  if (typeof v !== 'string' || v.length > 4096) return undefined;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'file:' || url.search || url.hash) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(url.pathname).toLowerCase();
  } catch {
    return undefined;
  }
  return exts.some((e) => path.endsWith(e)) && !path.includes('\0') ? v : undefined;
}

/** A RunOrigin from untrusted state, or undefined unless every field has its type and every URI is a file of its kind. */
export function parseRunOrigin(v: unknown): RunOrigin | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const uri = fileUri(o.uri, ORIGIN_FILES.uri);
  const image = fileUri(o.image, ORIGIN_FILES.image);
  const weights = o.weights === undefined ? undefined : fileUri(o.weights, ORIGIN_FILES.weights);
  const network = typeof o.network === 'string' && o.network.length > 0 && o.network.length <= 200 ? o.network : undefined;
  const seed = Number.isSafeInteger(o.seed) && (o.seed as number) >= 0 ? o.seed as number : undefined;
  if (!uri || !image || network === undefined || seed === undefined || (o.weights !== undefined && !weights)) return undefined;
  return { uri, network, image, ...(weights ? { weights } : {}), seed };
}

/**
 * The state a webview kept (vscode.getState, or what VS Code hands the serializer after a window
 * reload), checked field by field: the state is the page's, so anything in it may be stale or forged.
 * A field of the wrong type or out of range is dropped; the origin is kept only when it names `file:`
 * URIs of the kinds a run reads (whether those files still exist is for the extension to check).
 */
export function parseViewState(raw: unknown): ViewState {
  if (!raw || typeof raw !== 'object') return {};
  const s = raw as Record<string, unknown>;
  const origin = parseRunOrigin(s.origin);
  const expanded = Array.isArray(s.expanded) && s.expanded.length <= 100_000 && s.expanded.every((i) => Number.isSafeInteger(i) && i >= 0)
    ? s.expanded as number[] : undefined;
  const expandedFor = typeof s.expandedFor === 'string' && s.expandedFor.length <= 4096 ? s.expandedFor : undefined;
  const colormap = s.colormap === 'grey' || s.colormap === 'viridis' ? s.colormap : undefined;
  const overlay = typeof s.overlay === 'string' && /^(|(sum|cam):\d{1,6})$/.test(s.overlay) ? s.overlay : undefined;
  const opacity = typeof s.opacity === 'number' && s.opacity >= 0 && s.opacity <= 100 ? s.opacity : undefined;
  const tile = typeof s.tile === 'number' && Number.isInteger(s.tile) && s.tile >= 8 && s.tile <= 1024 ? s.tile : undefined;
  return {
    ...(origin ? { origin } : {}), ...(expanded ? { expanded } : {}), ...(expandedFor !== undefined ? { expandedFor } : {}),
    ...(colormap ? { colormap } : {}), ...(overlay !== undefined ? { overlay } : {}), ...(opacity !== undefined ? { opacity } : {}),
    ...(tile !== undefined ? { tile } : {}),
  };
}
