// The runner extension of the e2e harness (test/e2e/vscode-api.e2e.test.mjs): code-server has no
// extensionTestsPath, so this extension, installed next to CNN Lab, runs the same suite that
// @vscode/test-electron runs on a desktop. On start-up it requires the bundled suite named by the
// setting cnnLabTests.suite (or CNN_LAB_VSCODE_SUITE, else a suite.js the harness copied beside this
// file), runs it, and writes results.json into
// cnnLabTests.resultsDir (or CNN_LAB_VSCODE_RESULTS): written to a temp name and renamed, so whoever
// waits for the file never reads half of it. With neither set it does nothing.
'use strict';
const vscode = require('vscode');
const fs = require('node:fs');
const path = require('node:path');

/** A setting of this extension, else the environment variable, else ''. */
function option(setting, envName) {
  const v = vscode.workspace.getConfiguration('cnnLabTests').get(setting);
  return (typeof v === 'string' && v.trim()) || process.env[envName] || '';
}

/** Writes `value` as JSON to dir/name in one step (temp file, then rename). */
function writeJson(dir, name, value) {
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(tmp, path.join(dir, name));
}

async function activate() {
  const beside = path.join(__dirname, 'suite.js');
  const suite = option('suite', 'CNN_LAB_VSCODE_SUITE') || (fs.existsSync(beside) ? beside : '');
  const dir = option('resultsDir', 'CNN_LAB_VSCODE_RESULTS');
  if (!suite || !dir) return;
  const started = Date.now();
  let result;
  try {
    const { runSuite } = require(suite);
    result = await runSuite({ reporter: 'spec' });
  } catch (e) {
    // The suite could not even load or run: one failed entry says why.
    result = { passed: 0, failed: 1, durationMs: Date.now() - started, tests: [{ title: `loading and running ${suite}`, state: 'failed', durationMs: 0, error: (e && e.stack) || String(e) }] };
  }
  writeJson(dir, 'results.json', { ...result, vscodeVersion: vscode.version, at: new Date().toISOString() });
}

function deactivate() {}

module.exports = { activate, deactivate };
