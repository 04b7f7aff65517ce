/**
 * Registers everything about running networks on images: the two commands, the feature-map panel and
 * its serializer. extension.ts calls registerRunCommands(context) once on activation.
 */
import * as vscode from 'vscode';
import { RunCommands } from './commands.js';
import type { Log } from './log.js';
import { FEATURE_MAPS_VIEW_TYPE, FeatureMapsPanel } from './panel.js';
import type { WorkerClient } from './workerClient.js';

import { RUN_ON_IMAGE_COMMAND } from '../../../server/src/protocol.js';

/** Command ids (contributed in package.json with category "CNN Lab"); the server's code lens runs the first. */
export { RUN_ON_IMAGE_COMMAND };
export const RUN_ON_IMAGE_WITH_WEIGHTS_COMMAND = 'cnnLab.runOnImageWithWeights';

/**
 * Registers the run commands, the panel and its serializer; every disposable goes to the context.
 * `client` is the run worker (shared with the export and import commands; its owner disposes it) and
 * `log` where runs report what goes wrong besides their message to the user (the "CNN Lab" channel).
 */
export function registerRunCommands(context: vscode.ExtensionContext, client: WorkerClient, log: Log): void {
  // The panel and the commands refer to each other: the panel's "Run again" goes through the commands.
  let commands: RunCommands | undefined;
  // Closing the panel lets the idle worker go with the parameters it caches.
  const panel = new FeatureMapsPanel(context.extensionUri, (origin) => void commands?.rerun(origin), (run, q) => client.query(run, q), () => client.release(), log);
  commands = new RunCommands(context, client, panel, log);
  const c = commands;
  context.subscriptions.push(
    panel,
    // A third argument, an image, skips the picker (the integration suite in test/vscode/ uses it).
    vscode.commands.registerCommand(RUN_ON_IMAGE_COMMAND, (uri?: unknown, network?: unknown, image?: unknown) => c.runOnImage(false, uri, network, image)),
    vscode.commands.registerCommand(RUN_ON_IMAGE_WITH_WEIGHTS_COMMAND, (uri?: unknown, network?: unknown) => c.runOnImage(true, uri, network)),
    vscode.window.registerWebviewPanelSerializer(FEATURE_MAPS_VIEW_TYPE, {
      // The state is the page's own: restore() checks it before opening anything it names.
      deserializeWebviewPanel: (webviewPanel: vscode.WebviewPanel, state: unknown) => panel.restore(webviewPanel, state),
    }),
  );
}
