/**
 * "CNN Lab: Run on Image" and "Run on Image with Weights…": find the network at the cursor, refuse it
 * up front when it is over the budget (saying the estimate), pick an image (offering the last one and
 * the bundled samples), run it in the worker with per-layer progress in a cancellable notification,
 * then show the maps in the feature-map panel.
 */
import { availableParallelism } from 'node:os';
import * as vscode from 'vscode';
import { refusal, type FileKind } from '../../../server/src/files.js';
import type { RunOrigin } from './messages.js';
import { defaultNetworkName } from '../../../server/src/language/names.js';
import { budgetFromSettings } from '../../../server/src/run/budget.js';
import { kernelsText } from '../../../server/src/run/display.js';
import { buildRun, startRun } from './model.js';
import type { Log } from './log.js';
import type { FeatureMapsPanel } from './panel.js';
import { RunError, type WorkerClient, type RunOptions, type RunOutcome, type RunParams } from './workerClient.js';

const LAST_IMAGE_KEY = 'cnnLab.run.lastImage';
/** The run's notification is updated at most this often (milliseconds). */
const PROGRESS_EVERY_MS = 250;
const LAST_WEIGHTS_KEY = 'cnnLab.run.lastWeights';

/** What one run needs, however it was asked for. */
interface RunTarget {
  readonly document: vscode.TextDocument;
  /** By name (a code lens, a re-run), else the network at `offset`. */
  readonly network?: string;
  readonly offset?: number;
  /** Known image and weights (a re-run); asked for otherwise. */
  readonly image?: vscode.Uri;
  readonly weights?: vscode.Uri | 'ask';
}

/** What the panel does as a run goes: show it when it starts, add each layer as it finishes. */
type RunHooks = Pick<RunOptions, 'onStarted' | 'onLayer'>;

/** The starter offered for a file without a network: small enough to run in a blink on any image. */
const STARTER = 'network small\ninput 3x32x32\nauto relu\nconv3-16 pad1\nmaxpool\nconv3-32 pad1\nmaxpool\ngap\nfc-10\n';

/**
 * What `cnnLab.runOnImage` resolves to when a run finishes (undefined when none ran): the figures of
 * the run, so a caller such as the integration suite (test/vscode/) can check them without the panel.
 */
export interface RunResult {
  readonly network: string;
  readonly backend: 'simd' | 'typescript';
  readonly inputShape: readonly number[];
  /** Each layer's output shape and its smallest and largest finite value over all channels. */
  readonly layers: readonly { readonly index: number; readonly text: string; readonly shape: readonly number[]; readonly min: number; readonly max: number }[];
  /** The last layer's largest values (flat index, value), at most 5. */
  readonly top: readonly { readonly index: number; readonly value: number }[];
}

const baseName = (uri: vscode.Uri): string => uri.path.split('/').pop() ?? uri.path;

/** Runs networks for the commands and the panel; one per extension. */
export class RunCommands {
  private runCount = 0;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly client: WorkerClient,
    private readonly panel: FeatureMapsPanel,
    private readonly log: Log,
  ) {}

  /**
   * The command handler. Arguments, when given: the `.cnn` file (a Uri from the editor title menu or a
   * URI string from a code lens), a network name, and an image (a Uri or URI string) to run on instead
   * of asking for one, which is how the integration suite runs a network without the picker.
   */
  async runOnImage(askWeights: boolean, uriArg?: unknown, networkArg?: unknown, imageArg?: unknown): Promise<RunResult | undefined> {
    try {
      const editor = vscode.window.activeTextEditor;
      const uri = uriArg instanceof vscode.Uri ? uriArg : typeof uriArg === 'string' ? vscode.Uri.parse(uriArg) : editor?.document.uri;
      if (!uri) {
        void vscode.window.showInformationMessage('CNN Lab: open a .cnn file to run one of its networks on an image.');
        return;
      }
      const document = editor && editor.document.uri.toString() === uri.toString() ? editor.document : await vscode.workspace.openTextDocument(uri);
      const offset = editor && editor.document === document ? document.offsetAt(editor.selection.active) : undefined;
      const image = imageArg instanceof vscode.Uri ? imageArg : typeof imageArg === 'string' ? vscode.Uri.parse(imageArg) : undefined;
      return await this.runTarget({
        document, offset, network: typeof networkArg === 'string' ? networkArg : undefined, weights: askWeights ? 'ask' : undefined,
        ...(image ? { image } : {}),
      });
    } catch (e) {
      void vscode.window.showErrorMessage(`CNN Lab: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }

  /** Repeats a panel's run (its "Run again" button, or a panel restored after a reload). */
  async rerun(origin: RunOrigin): Promise<void> {
    try {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(origin.uri));
      await this.runTarget({
        document, network: origin.network, image: vscode.Uri.parse(origin.image),
        ...(origin.weights ? { weights: vscode.Uri.parse(origin.weights) } : {}),
      }, origin);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.panel.showMessage(`Could not run ${origin.network} again: ${message}`, origin);
      void vscode.window.showErrorMessage(`CNN Lab: ${message}`);
    }
  }

  private async runTarget(t: RunTarget, rerunOf?: RunOrigin): Promise<RunResult | undefined> {
    const { document } = t;
    const config = vscode.workspace.getConfiguration('cnnLab.run', document.uri);
    const text = document.getText();
    const defaultName = defaultNetworkName(document.uri.path);
    const budget = budgetFromSettings(config.get('maxGigaMacs'), config.get('maxMemoryMB'));
    const seed = numberSetting(config.get('seed'), 0);
    const settingWeights = t.weights === undefined ? this.weightsSetting(config, document.uri) : undefined;
    // The worker picks the network and checks it before any dialog: a network with errors or over the
    // budget is refused here. While the user picks the image, it He-initialises the weights it will need.
    const prepared = await this.client.prepare({
      text, defaultName, budget, ...(t.network !== undefined ? { network: t.network } : {}), ...(t.offset !== undefined ? { offset: t.offset } : {}),
      ...(t.weights || settingWeights ? {} : { initialise: { seed } }),
    });
    const network = prepared.network;
    if (!network) {
      if (t.network !== undefined) throw new Error(`${baseName(document.uri)} has no network named '${t.network}' any more`);
      await this.offerStarter(document);
      return;
    }
    if (prepared.refusal !== undefined) {
      await this.refuse(prepared.refusal, rerunOf);
      return;
    }
    const { kernels } = network;
    const opened = this.panel.prepare(t.image ? `Running ${network.name}…` : `Pick an image to run ${network.name} on.`);
    const image = t.image ?? await this.pickImage();
    const weights = !image ? undefined : t.weights === 'ask' ? await this.pickWeights() : t.weights ?? settingWeights;
    if (!image || (t.weights === 'ask' && !weights)) {
      if (opened) this.panel.closeIfEmpty();
      return;
    }
    this.panel.showMessage(`Running ${network.name} on ${baseName(image)}…`);
    const [imageBytes, weightBytes] = await Promise.all([
      readChecked(image, 'input', 'the image'),
      weights ? readChecked(weights, 'weights', 'the weights file') : Promise.resolve(undefined),
    ]);
    // One core is left to the editor, which draws the maps while the network runs.
    const threads = numberSetting(config.get('threads'), 0) || Math.max(1, Math.min(4, availableParallelism() - 1));
    const origin: RunOrigin = {
      uri: document.uri.toString(), network: network.name, image: image.toString(), ...(weights ? { weights: weights.toString() } : {}), seed,
    };
    const texts = network.layers;
    const runId = ++this.runCount;
    const ctx = {
      runId, origin, sourceName: baseName(document.uri), imageName: baseName(image), ...(weights ? { weightsName: baseName(weights) } : {}),
    };
    // The panel shows the run as soon as the worker starts it, and each layer's maps as it finishes.
    let shown = false;
    const hooks: RunHooks = {
      onStarted: (m) => {
        try {
          this.panel.show(startRun(ctx, m));
          shown = true;
        } catch (e) {
          // Shown whole at the end instead.
          this.log.error(`cannot show the run as it goes: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        }
      },
      onLayer: (m) => {
        if (shown) this.panel.addLayer(runId, m);
      },
    };
    let outcome: RunOutcome | undefined;
    try {
      outcome = await this.runWithProgress(network.name, texts, baseName(image), weights !== undefined || kernels === 'fixed' || kernels === 'none', {
        text, network: network.name, defaultName,
        image: { bytes: imageBytes, fileName: baseName(image) },
        ...(weightBytes && weights ? { weights: { bytes: weightBytes, fileName: baseName(weights) } } : {}),
        seed, budget, threads, maxSide: this.panel.displaySide,
      }, hooks);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (shown) this.panel.abandon(runId, `The run failed: ${message}`);
      if (e instanceof RunError && e.kind === 'budget') {
        await this.refuse(message, rerunOf);
      } else {
        if (rerunOf && !shown) this.panel.showMessage(`The run failed: ${message}`, rerunOf);
        void vscode.window.showErrorMessage(`CNN Lab: ${message}`);
      }
      return;
    }
    if (!outcome) {
      if (shown) this.panel.abandon(runId);
      else if (rerunOf) this.panel.showMessage('The run was cancelled.', rerunOf);
      return;
    }
    if (shown) this.panel.finish(runId, outcome.done);
    else this.panel.show(buildRun(ctx, outcome));
    return runResult(outcome, texts);
  }

  /**
   * Says, as information, how to start when the file has no network, and offers to insert a small CNN
   * (an input, two conv stages, global average pooling and a classifier) at the end of the file.
   */
  private async offerStarter(document: vscode.TextDocument): Promise<void> {
    const insert = 'Insert a small CNN';
    const choice = await vscode.window.showInformationMessage(
      `CNN Lab: ${baseName(document.uri)} has no network to run yet. Write \`input 3x32x32\` and a layer such as \`conv3-16 pad1\`, or insert the small CNN starter.`,
      insert);
    if (choice !== insert) return;
    const end = document.lineAt(document.lineCount - 1).range.end;
    const sep = document.getText().trim() ? (document.lineAt(document.lineCount - 1).text ? '\n\n' : '\n') : '';
    const edit = new vscode.WorkspaceEdit();
    edit.insert(document.uri, end, `${sep}${STARTER}`);
    await vscode.workspace.applyEdit(edit);
  }

  /** Runs in the worker under a cancellable notification naming the layer that runs; undefined when cancelled. */
  private runWithProgress(
    network: string, texts: readonly string[], imageName: string, hasWeights: boolean, params: RunParams, hooks: RunHooks,
  ): Thenable<RunOutcome | undefined> {
    return vscode.window.withProgress({
      location: vscode.ProgressLocation.Notification,
      title: `CNN Lab: ${network} on ${imageName}`,
      cancellable: true,
    }, async (progress, token) => {
      const controller = new AbortController();
      const sub = token.onCancellationRequested(() => controller.abort());
      const count = texts.length;
      // The worker reports a layer when it ends, so the one running is the next.
      const running = (i: number) => (i < count ? `layer ${i + 1} of ${count}: ${texts[i]}` : 'preparing the maps…');
      let lastReport = 0;
      let owed = 0;
      progress.report({ message: hasWeights ? 'loading the image…' : 'loading the image and initialising the weights…' });
      try {
        return await this.client.run(params, {
          signal: controller.signal,
          onStarted: (m) => {
            progress.report({ message: `${running(0)} (${kernelsText(m.backend, m.kernelBuild)})` });
            hooks.onStarted?.(m);
          },
          onLayer: hooks.onLayer,
          onProgress: (m) => {
            // At most four updates a second: VGG16's small layers end every few milliseconds, and each
            // update animates the notification's progress bar for 100 ms, repainting the workbench.
            owed += 100 / Math.max(1, m.count);
            const now = Date.now();
            if (now - lastReport < PROGRESS_EVERY_MS && m.index + 1 < count) return;
            lastReport = now;
            progress.report({ increment: owed, message: running(m.index + 1) });
            owed = 0;
          },
        });
      } catch (e) {
        if (e instanceof RunError && e.kind === 'cancelled') return undefined;
        throw e;
      } finally {
        sub.dispose();
      }
    });
  }

  /** Says why a run is refused; over budget, offers the settings. */
  private async refuse(message: string, rerunOf?: RunOrigin): Promise<void> {
    if (rerunOf) this.panel.showMessage(message, rerunOf);
    const over = /over the budget/.test(message);
    const choice = await vscode.window.showErrorMessage(`CNN Lab: ${message}`, ...(over ? ['Open Settings'] : []));
    if (choice === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'cnnLab.run');
  }

  /**
   * Asks for an image: the last one of this workspace, the workspace's own PNG and JPEG files, "Choose
   * an image…" (a file dialog that starts in the workspace) and the bundled samples.
   */
  private async pickImage(): Promise<vscode.Uri | undefined> {
    const state = this.context.workspaceState;
    const lastStr = state.get<string>(LAST_IMAGE_KEY);
    const last = lastStr ? vscode.Uri.parse(lastStr) : undefined;
    type Item = vscode.QuickPickItem & { uri?: vscode.Uri };
    const items: Item[] = [];
    const [lastExists, workspace, samples] = await Promise.all([last ? exists(last) : false, workspaceImages(), this.sampleImages()]);
    if (last && lastExists) {
      items.push({ label: `$(history) ${baseName(last)}`, description: 'reuse last image', detail: last.scheme === 'file' ? last.fsPath : last.toString(), uri: last });
    }
    const workspaceItems: Item[] = workspace.filter((u) => u.toString() !== last?.toString())
      .map((u) => ({ label: `$(file-media) ${baseName(u)}`, description: vscode.workspace.asRelativePath(u, true), uri: u }));
    if (workspaceItems.length) items.push({ label: 'in this workspace', kind: vscode.QuickPickItemKind.Separator }, ...workspaceItems);
    const choose: Item = { label: '$(folder-opened) Choose an image…', description: 'PNG, JPEG or a float32 .npy' };
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, choose);
    if (samples.length) items.push({ label: 'bundled with CNN Lab', kind: vscode.QuickPickItemKind.Separator });
    for (const sample of samples) items.push({ label: `$(file-media) ${baseName(sample)}`, description: 'bundled sample', uri: sample });
    const item = await vscode.window.showQuickPick(items, { title: 'CNN Lab: Run on Image', placeHolder: 'Which image should the network see?', matchOnDescription: true });
    if (!item) return undefined;
    let picked = item.uri;
    if (!picked) {
      // The dialog starts beside the last image when it is in the workspace, else at the workspace (never in the extension's folder).
      const root = vscode.workspace.workspaceFolders?.[0]?.uri;
      const folder = last && vscode.workspace.getWorkspaceFolder(last) ? vscode.Uri.joinPath(last, '..') : root;
      const files = await vscode.window.showOpenDialog({
        canSelectMany: false, openLabel: 'Run on This Image', title: 'CNN Lab: Run on Image',
        filters: { 'Images': ['png', 'jpg', 'jpeg'], 'NumPy arrays (float32, C×H×W)': ['npy'] },
        ...(folder ? { defaultUri: folder } : {}),
      });
      picked = files?.[0];
    }
    if (picked) await state.update(LAST_IMAGE_KEY, picked.toString());
    return picked;
  }

  /** The pictures shipped in samples/images, so a first run needs no image of one's own. */
  private async sampleImages(): Promise<vscode.Uri[]> {
    const dir = vscode.Uri.joinPath(this.context.extensionUri, 'samples', 'images');
    try {
      const entries = await vscode.workspace.fs.readDirectory(dir);
      return entries.filter(([name, type]) => type === vscode.FileType.File && /\.(png|jpe?g)$/i.test(name)).map(([name]) => vscode.Uri.joinPath(dir, name));
    } catch {
      return [];
    }
  }

  /** Asks for a weights file (.safetensors, or .pth/.pt from torch.save), starting where the last one was. */
  private async pickWeights(): Promise<vscode.Uri | undefined> {
    const state = this.context.workspaceState;
    const lastStr = state.get<string>(LAST_WEIGHTS_KEY);
    const folder = lastStr ? vscode.Uri.joinPath(vscode.Uri.parse(lastStr), '..') : vscode.workspace.workspaceFolders?.[0]?.uri;
    const files = await vscode.window.showOpenDialog({
      canSelectMany: false, openLabel: 'Use These Weights', title: 'CNN Lab: weights for the run',
      filters: { 'Weights (safetensors, PyTorch)': ['safetensors', 'pth', 'pt'] }, ...(folder ? { defaultUri: folder } : {}),
    });
    const picked = files?.[0];
    if (picked) await state.update(LAST_WEIGHTS_KEY, picked.toString());
    return picked;
  }

  /** `cnnLab.run.weights` for this file (see weightsSetting). */
  private weightsSetting(config: vscode.WorkspaceConfiguration, doc: vscode.Uri): vscode.Uri | undefined {
    return weightsSetting(config, doc);
  }
}

/** The figures of a finished run (see RunResult). */
function runResult(o: RunOutcome, texts: readonly string[]): RunResult {
  const range = (a: Float32Array, pick: (x: number, y: number) => number, start: number) => a.reduce((m, v) => (Number.isFinite(v) ? pick(m, v) : m), start);
  return {
    network: o.started.network,
    backend: o.started.backend,
    inputShape: o.started.inputShape,
    layers: o.layers.map((l) => ({
      index: l.index, text: texts[l.index] ?? '', shape: l.shape, min: range(l.min, Math.min, Infinity), max: range(l.max, Math.max, -Infinity),
    })),
    top: o.done.top.map((e) => ({ index: e.index, value: e.value })),
  };
}

/** `cnnLab.run.weights`: a path, absolute or relative to the workspace folder of the file (else its folder). */
export function weightsSetting(config: vscode.WorkspaceConfiguration, doc: vscode.Uri): vscode.Uri | undefined {
  const p = config.get<string>('weights')?.trim();
  if (!p) return undefined;
  if (/^([a-zA-Z]:[\\/]|[\\/])/.test(p)) return vscode.Uri.file(p);
  const base = vscode.workspace.getWorkspaceFolder(doc)?.uri ?? vscode.Uri.joinPath(doc, '..');
  return vscode.Uri.joinPath(base, p);
}

/** A whole, non-negative number setting, else the default. */
export function numberSetting(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : dflt;
}

/**
 * Reads a file the user picked (or a setting or a restored panel names) after checking by stat that it
 * is a regular file within its kind's limit (files.ts): a device such as /dev/zero would otherwise be
 * read until the extension host runs out of memory.
 */
async function readChecked(uri: vscode.Uri, kind: FileKind, what: string): Promise<Uint8Array> {
  const st = await vscode.workspace.fs.stat(uri);
  const type = st.type & vscode.FileType.File ? 'file' : st.type & vscode.FileType.Directory ? 'a directory' : 'a device or other special file';
  const refused = refusal(`${what} ${baseName(uri)}`, kind, type, st.size);
  if (refused) throw new Error(refused);
  return vscode.workspace.fs.readFile(uri);
}

/** The workspace's PNG and JPEG files (at most 50, none under node_modules), by path. */
async function workspaceImages(): Promise<vscode.Uri[]> {
  if (!vscode.workspace.workspaceFolders?.length) return [];
  try {
    const found = await vscode.workspace.findFiles('**/*.{png,jpg,jpeg,PNG,JPG,JPEG}', '**/{node_modules,.git}/**', 50);
    return found.sort((a, b) => a.path.localeCompare(b.path));
  } catch {
    return [];
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
