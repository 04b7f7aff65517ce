/**
 * The feature-map panel (view type `cnnLab.featureMaps`): one webview showing the last run. A run is
 * shown as soon as the worker starts it and its layers' maps appear as they finish. The extension
 * answers the webview's requests for one layer's 8-bit pixels (at the size of its tiles on screen),
 * channel sum or unit value from what the run sent or by asking the run worker, which keeps the floats
 * (VGG16's are 114 MB); a request for a layer still running is answered when it finishes. A cancelled or failed run
 * gives the panel back to the run it showed before. The panel is reused by every run, and a serializer
 * brings it back after a reload by repeating the run it showed.
 */
import * as vscode from 'vscode';
import { makeNonce } from '../webviewHtml.js';
import { revealWebview, trackWebview, webviewColumn } from '../webviewColumn.js';
import { featureMapsHtml } from './html.js';
import { isFromView, parseViewState, type FromView, type RunOrigin, type ToView } from './messages.js';
import type { DoneMessage, LayerMessage, LayerQuery, QueryResult } from '../../../server/src/run/workerProtocol.js';
import { consoleLog, type Log } from './log.js';
import { addLayer, finishRun, layerPixels, pixelsMessage, sharePixels, type StoredRun } from './model.js';

/** The files of a run (source, image, weights) that are not regular files on disk any more, by name. */
async function missingFiles(origin: RunOrigin): Promise<string[]> {
  const uris = [origin.uri, origin.image, ...(origin.weights ? [origin.weights] : [])].map((u) => vscode.Uri.parse(u, true));
  const present = await Promise.all(uris.map(async (u) => {
    try {
      return ((await vscode.workspace.fs.stat(u)).type & vscode.FileType.File) !== 0;
    } catch {
      return false;
    }
  }));
  return uris.filter((_, i) => !present[i]).map((u) => u.path.split('/').pop() ?? u.path);
}

/** The panel's view type, also named in package.json's `onWebviewPanel:` activation event. */
export const FEATURE_MAPS_VIEW_TYPE = 'cnnLab.featureMaps';

/** The single feature-map panel of the extension. */
export class FeatureMapsPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelDisposables: vscode.Disposable[] = [];
  private run: StoredRun | undefined;
  /** The finished run shown before the one in progress: shown again if that one is cancelled or fails. */
  private previous: StoredRun | undefined;
  /** Requests for layers of the run in progress that have not finished yet: layer → pixel size or 'heatmap'. */
  private readonly pendingPixels = new Map<number, number>();
  private readonly pendingHeatmaps = new Set<number>();
  /** The tile size (pixels) the webview asked for last: what the next run sends its layers at. */
  private side = 72;
  /** Why the run shown stopped early, said again when the page reloads. */
  private stopped: Extract<ToView, { type: 'stopped' }> | undefined;
  /** What to show when there is no run (a restored panel waiting, a failed re-run). */
  private note: { text: string; origin?: RunOrigin } | undefined;
  /** The pixels last posted to the page, by layer, whole: what a layer's message may share tiles with (sharePixels). */
  private readonly sent = new Map<number, Extract<ToView, { type: 'layerPixels' }>>();
  /** True once the page said 'ready'; messages before that would be lost. */
  private ready = false;
  private stale = false;
  private readonly renderEmitter = new vscode.EventEmitter<Extract<FromView, { type: 'rendered' }>>();
  private readonly disposables: vscode.Disposable[] = [this.renderEmitter];

  /** Fires when the webview has drawn a layer's visible maps (end-to-end tests wait for it). */
  readonly onDidRender = this.renderEmitter.event;

  /**
   * @param extensionUri the extension's root (dist/ holds webview.js and webview.css)
   * @param rerun called when the webview asks to run again, or a restored panel needs its run
   * @param query asks the run worker about a layer of one of its runs (WorkerClient.query)
   * @param closed called when the user closes the panel
   * @param log where the panel's own failures go (the "CNN Lab" output channel)
   */
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly rerun: (origin: RunOrigin) => void,
    private readonly query: (run: number, q: LayerQuery) => Promise<QueryResult>,
    private readonly closed: () => void = () => undefined,
    private readonly log: Log = consoleLog,
  ) {
    this.disposables.push(vscode.workspace.onDidChangeTextDocument((e) => {
      const origin = this.origin;
      if (!this.stale && origin && e.contentChanges.length && e.document.uri.toString() === origin.uri) {
        this.stale = true;
        this.post({ type: 'message', text: 'The file has changed since this run: press "Run again" to see the new network.', origin });
      }
    }));
  }

  /** The largest tile side (pixels) the webview wants, for the next run to send its layers at. */
  get displaySide(): number {
    return this.side;
  }

  /** The run shown (or about to be re-run), if any. */
  get origin(): RunOrigin | undefined {
    return this.run?.view.origin ?? this.note?.origin;
  }

  /**
   * Shows a run in the panel, creating it beside the editor or reusing it. A run still going (from
   * RunCommands, at the worker's 'started') is completed with addLayer and finish, or dropped with abandon.
   */
  show(run: StoredRun): void {
    if (this.run && this.run.view.runMs !== undefined) this.previous = this.run;
    this.run = run;
    if (run.view.runMs !== undefined) this.previous = undefined;
    this.pendingPixels.clear();
    this.pendingHeatmaps.clear();
    this.stopped = undefined;
    this.note = undefined;
    this.stale = false;
    const panel = this.ensurePanel();
    panel.title = `Feature maps: ${run.view.network}`;
    if (!panel.visible) revealWebview(panel);
    if (this.ready) this.post({ type: 'show', run: run.view });
  }

  /**
   * Opens the panel (if it is not open) while a run is being prepared: in a browser-hosted editor the
   * first webview page takes seconds to load, which then passes while the user picks the image and
   * the network runs. It says what is coming until the run starts. True when it opened the panel.
   */
  prepare(text: string): boolean {
    if (this.panel) return false;
    this.note = { text };
    this.ensurePanel();
    return true;
  }

  /** Closes the panel if it has shown nothing yet (the user gave up picking an image). */
  closeIfEmpty(): void {
    if (!this.run) this.panel?.dispose();
  }

  /** Stores a finished layer of the run in progress and answers the webview's requests that waited for it. */
  addLayer(runId: number, m: LayerMessage): void {
    const run = this.run;
    if (!run || run.view.runId !== runId) return;
    addLayer(run, m);
    const side = this.pendingPixels.get(m.index);
    if (side !== undefined) {
      this.pendingPixels.delete(m.index);
      this.sendPixels(run, m.index, side);
    }
    if (this.pendingHeatmaps.delete(m.index)) this.sendHeatmap(run, m.index);
  }

  /** Posts a layer's pixels at `maxSide`: those the run sent, or asked of the worker at that size. */
  private sendPixels(run: StoredRun, index: number, maxSide: number): void {
    const msg = layerPixels(run, index, maxSide);
    if (msg) this.post(msg);
    else this.ask(run, { kind: 'pixels', index, maxSide }, (r) => r.kind === 'pixels' && this.post(pixelsMessage(run, r)));
  }

  /** Posts the sum of a layer's channels, for the heatmap overlay. */
  private sendHeatmap(run: StoredRun, index: number): void {
    this.ask(run, { kind: 'sum', index }, (r) => {
      if (r.kind === 'sum') this.post({ type: 'heatmap', runId: run.view.runId, index, height: r.height, width: r.width, values: r.values });
    });
  }

  /** Asks the worker about a layer of `run`; the answer is used only if that run is still shown. */
  private ask(run: StoredRun, q: LayerQuery, then: (r: QueryResult) => void): void {
    this.query(run.workerRun, q).then((r) => {
      if (this.run === run) then(r);
    }, (e: unknown) => this.log.warn(`feature maps: layer ${q.index}: ${e instanceof Error ? e.message : String(e)}`));
  }

  /** Completes the run in progress (its time, largest outputs and class-activation maps). */
  finish(runId: number, done: DoneMessage): void {
    const run = this.run;
    if (!run || run.view.runId !== runId) return;
    const view = finishRun(run, done);
    this.previous = undefined;
    this.post({ type: 'finished', run: view });
  }

  /**
   * Drops the run in progress (cancelled or failed): the panel shows the run it showed before; when
   * there was none, it keeps the layers that finished and says why the others have no maps.
   */
  abandon(runId: number, text?: string): void {
    const run = this.run;
    if (!run || run.view.runId !== runId || run.view.runMs !== undefined) return;
    this.pendingPixels.clear();
    this.pendingHeatmaps.clear();
    const previous = this.previous;
    this.previous = undefined;
    if (previous) {
      this.run = previous;
      if (this.panel) this.panel.title = `Feature maps: ${previous.view.network}`;
      this.post({ type: 'show', run: previous.view });
      if (text) this.post({ type: 'message', text, origin: previous.view.origin });
    } else {
      this.stopped = { type: 'stopped', runId, text: text ?? 'The run was cancelled: the layers it did not reach have no maps.' };
      this.post(this.stopped);
    }
  }

  /** Shows a message instead of (or above) the maps, e.g. why a re-run failed. */
  showMessage(text: string, origin?: RunOrigin): void {
    if (!this.panel) return;
    if (!this.run) this.note = { text, origin };
    this.post({ type: 'message', text, origin: origin ?? this.origin });
  }

  /**
   * Adopts a panel VS Code restored after a reload, and repeats the run it showed. The state comes
   * from the page, so it is checked before anything is opened: every field typed, the origin's URIs
   * `file:` URIs of the kinds a run reads (parseViewState), and each of those files still there.
   */
  async restore(panel: vscode.WebviewPanel, raw: unknown): Promise<void> {
    if (this.panel && this.panel !== panel) this.panel.dispose();
    this.attach(panel);
    const origin = parseViewState(raw).origin;
    const stored = !!raw && typeof raw === 'object' && (raw as { origin?: unknown }).origin !== undefined;
    const nothing = 'Nothing to show yet: run "CNN Lab: Run on Image" on a .cnn file.';
    if (!origin) {
      if (stored) this.log.warn('feature maps: the restored panel\'s run was not repeated: its saved state is not a run of local files');
      this.note = { text: nothing };
      return;
    }
    const missing = await missingFiles(origin);
    if (missing.length) {
      this.log.warn(`feature maps: the restored panel's run was not repeated: ${missing.join(', ')} no longer there`);
      this.note = { text: `The run this panel showed cannot be repeated: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} no longer there.` };
      this.post({ type: 'message', text: this.note.text });
      return;
    }
    this.note = { text: `Running ${origin.network} again…`, origin };
    this.rerun(origin);
  }

  private ensurePanel(): vscode.WebviewPanel {
    if (this.panel) return this.panel;
    const panel = vscode.window.createWebviewPanel(FEATURE_MAPS_VIEW_TYPE, 'Feature maps',
      { viewColumn: webviewColumn(), preserveFocus: true }, this.webviewOptions());
    this.attach(panel);
    return panel;
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist')],
      // The page keeps its own state (expanded layers, overlay) and asks for pixels again when shown.
      retainContextWhenHidden: false,
    };
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    panel.webview.options = this.webviewOptions();
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    panel.webview.html = featureMapsHtml({
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
      cspSource: panel.webview.cspSource,
      nonce: makeNonce(),
    });
    this.panelDisposables.push(
      trackWebview(panel),
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      panel.onDidDispose(() => {
        if (this.panel !== panel) return;
        this.panel = undefined;
        this.run = undefined; // let the maps' memory go with the panel
        this.previous = undefined;
        this.note = undefined;
        for (const d of this.panelDisposables) d.dispose();
        this.panelDisposables = [];
        this.closed();
      }),
    );
  }

  private post(m: ToView): void {
    if (!this.panel || !this.ready) return;
    if (m.type === 'show') this.sent.clear(); // the page drops its pixels for a run it shows anew
    if (m.type === 'layerPixels') {
      const whole = m;
      m = sharePixels(m, this.run?.view.runId === m.runId ? this.run.view.layers[m.index]?.inputs ?? [] : [], this.sent);
      this.sent.set(whole.index, whole);
    }
    this.panel.webview.postMessage(m).then(undefined, () => undefined);
  }

  private onMessage(raw: unknown): void {
    // A handler must never throw into the webview's message loop.
    try {
      if (!isFromView(raw)) return;
      this.handle(raw);
    } catch (e) {
      this.log.error(`feature maps: a message from the panel failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
  }

  private handle(m: FromView): void {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.run) this.post({ type: 'show', run: this.run.view });
        else if (this.note) this.post({ type: 'message', text: this.note.text, origin: this.note.origin });
        if (this.run && this.stopped) this.post(this.stopped);
        if (this.run && this.stale) this.post({ type: 'message', text: 'The file has changed since this run: press "Run again" to see the new network.', origin: this.origin });
        break;
      case 'requestLayer': {
        if (!this.run || m.runId !== this.run.view.runId) return;
        this.side = m.maxSide;
        if (!this.run.outputs[m.index] && m.index < this.run.outputs.length) {
          // A layer the stopped run never reached (asked for when scrolled to): say so again.
          if (this.stopped?.runId === m.runId) this.post(this.stopped);
          else this.pendingPixels.set(m.index, m.maxSide); // answered by addLayer
          return;
        }
        this.sendPixels(this.run, m.index, m.maxSide);
        break;
      }
      case 'probe': {
        const run = this.run;
        if (!run || m.runId !== run.view.runId) return;
        this.ask(run, { kind: 'value', index: m.index, channel: m.channel, flat: m.flat }, (r) => {
          if (r.kind === 'value') this.post({ type: 'probeValue', runId: m.runId, index: m.index, channel: m.channel, flat: m.flat, value: r.value });
        });
        break;
      }
      case 'requestHeatmap': {
        if (!this.run || m.runId !== this.run.view.runId) return;
        if (!this.run.outputs[m.index] && m.index < this.run.outputs.length) {
          this.pendingHeatmaps.add(m.index);
          return;
        }
        this.sendHeatmap(this.run, m.index);
        break;
      }
      case 'reveal': {
        const origin = this.origin;
        if (!origin) return;
        const pos = new vscode.Position(m.line, 0);
        void vscode.window.showTextDocument(vscode.Uri.parse(origin.uri), { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(pos, pos) })
          .then(undefined, () => undefined);
        break;
      }
      case 'rerun': {
        const origin = this.origin;
        if (origin) this.rerun(origin);
        break;
      }
      case 'rendered':
        this.renderEmitter.fire(m);
        break;
    }
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
