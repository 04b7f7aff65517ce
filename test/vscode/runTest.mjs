// npm run test:desktop: the integration suite (test/vscode/suite/) in a desktop VS Code, the way VS Code
// extensions are tested. @vscode/test-electron downloads VS Code (into .vscode-test/) and starts it with
// this repository as the extension under development and dist/test/vscode/suite.js as
// extensionTestsPath, on a temp copy of samples/ as the workspace.
//   CNN_LAB_VSCODE_VERSION=1.91.0    a given VS Code (default: the latest stable)
//   CNN_LAB_VSCODE_EXECUTABLE=path   a VS Code already on this machine: no download
// Where VS Code cannot be downloaded (no network), it says so and exits 1; the same suite then runs in
// code-server through npm run test:e2e (test/e2e/vscode-api.e2e.test.mjs).
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const suite = join(repo, 'dist', 'test', 'vscode', 'suite.js');
if (!existsSync(suite)) {
  console.error(`test:desktop: ${suite} is missing: build it with node esbuild.js`);
  process.exit(1);
}

let vscodeExecutablePath = process.env.CNN_LAB_VSCODE_EXECUTABLE;
if (!vscodeExecutablePath) {
  const version = process.env.CNN_LAB_VSCODE_VERSION || 'stable';
  console.error(`test:desktop: downloading VS Code ${version} from update.code.visualstudio.com into .vscode-test/ (once)…`);
  try {
    vscodeExecutablePath = await downloadAndUnzipVSCode({ version, cachePath: join(repo, '.vscode-test') });
  } catch (e) {
    console.error(`test:desktop: FAILED at the download step: VS Code ${version} could not be downloaded (${e instanceof Error ? e.message : e}).`);
    console.error('test:desktop: this needs network access to update.code.visualstudio.com, or CNN_LAB_VSCODE_EXECUTABLE=/path/to/code.');
    console.error('test:desktop: without either, the same suite runs in code-server: node --test test/e2e/vscode-api.e2e.test.mjs (part of npm test).');
    process.exit(1);
  }
}

const workspace = mkdtempSync(join(tmpdir(), 'cnn-lab-vscode-'));
cpSync(join(repo, 'samples'), workspace, { recursive: true });
let code = 0;
try {
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: repo,
    extensionTestsPath: suite,
    // Only CNN Lab: other extensions installed on this machine stay off.
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  });
} catch (e) {
  console.error(`test:desktop: FAILED: ${e instanceof Error ? e.message : e}`);
  code = 1;
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
process.exit(code);
