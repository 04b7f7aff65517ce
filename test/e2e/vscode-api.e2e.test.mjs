// The integration suite of test/vscode/ (VS Code's API: diagnostics, hover, inlay hints, code actions,
// formatting, the Run command) inside code-server's extension host. code-server has no
// extensionTestsPath, so a small runner extension (test/vscode/runner/) is installed next to the CNN Lab
// .vsix; on start-up it runs the bundled suite (dist/test/vscode/suite.js, the file
// @vscode/test-electron loads on a desktop) and writes results.json, which this file waits for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_DIR } from './lib/paths.mjs';
import { recordTiming } from './lib/timings.mjs';
import { startWorkbench } from './lib/workbench.mjs';

const SUITE = join(REPO_DIR, 'dist', 'test', 'vscode', 'suite.js');
const RUNNER = join(REPO_DIR, 'test', 'vscode', 'runner');
/** How long the whole suite may take in the extension host (it takes well under a minute). */
const SUITE_TIMEOUT = Number(process.env.CNN_LAB_E2E_SUITE_TIMEOUT_MS || 240_000);

/**
 * Resolves to the parsed file once `dir/name` exists: checked at once, then on every change fs.watch
 * reports in the folder (the runner writes a temp file and renames it, so a name seen is complete).
 * Rejects after `timeoutMs`, or as soon as `failed()` says why waiting is pointless.
 */
function waitForJson(dir, name, timeoutMs, failed) {
  return new Promise((resolve, reject) => {
    const file = join(dir, name);
    let done = false;
    const finish = (err, value) => {
      if (done) return;
      done = true;
      watcher.close();
      clearTimeout(timer);
      clearInterval(alive);
      if (err) reject(err); else resolve(value);
    };
    const check = () => {
      if (existsSync(file)) finish(null, JSON.parse(readFileSync(file, 'utf8')));
    };
    const watcher = watch(dir, () => check());
    const timer = setTimeout(() => finish(new Error(`no ${file} within ${timeoutMs} ms`)), timeoutMs);
    // code-server dying ends the wait at once (checked on a timer: it is an event of another process).
    const alive = setInterval(() => { const why = failed(); if (why) finish(new Error(why)); }, 1000);
    check();
  });
}

/**
 * Copies an unpacked extension into the extensions folder (with `extra` files, name → source path) and
 * registers it in extensions.json beside the installed .vsix: code-server marks a folder that is not
 * listed there as removed ("Marked extension as removed …") and never loads it.
 */
function addExtensionFolder(extensionsDir, from, extra = {}) {
  const { publisher, name, version } = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
  const rel = `${publisher}.${name}-${version}`;
  const dest = join(extensionsDir, rel);
  cpSync(from, dest, { recursive: true });
  for (const [file, src] of Object.entries(extra)) cpSync(src, join(dest, file));
  const listFile = join(extensionsDir, 'extensions.json');
  const list = existsSync(listFile) ? JSON.parse(readFileSync(listFile, 'utf8')) : [];
  list.push({
    identifier: { id: `${publisher}.${name}` }, version,
    location: { $mid: 1, path: dest, scheme: 'file' }, relativeLocation: rel,
    metadata: { installedTimestamp: Date.now(), source: 'vsix' },
  });
  writeFileSync(listFile, JSON.stringify(list));
}

test('integration suite (test/vscode/) in code-server\'s extension host', { timeout: SUITE_TIMEOUT + 240_000 }, async (t) => {
  assert.ok(existsSync(SUITE), `${SUITE} is missing: build it with node esbuild.js`);
  const resultsDir = mkdtempSync(join(tmpdir(), 'cnn-lab-vscode-results-'));
  let wb;
  try {
    const t0 = Date.now();
    wb = await startWorkbench({
      name: 'vscode-api',
      settings: { 'cnnLabTests.resultsDir': resultsDir },
      // The runner as an extension folder beside the installed .vsix, with the suite bundle inside it
      // (so the suite's require('vscode') is the runner's API); the runner finds ./suite.js there.
      beforeStart: (dirs) => addExtensionFolder(dirs.extensions, RUNNER, { 'suite.js': SUITE }),
    });
    recordTiming('vscode-api: workbench load (s)', wb.timings.workbenchLoadMs / 1000);
    let results;
    try {
      results = await waitForJson(resultsDir, 'results.json', SUITE_TIMEOUT,
        () => (wb.exited ? `code-server exited (${JSON.stringify(wb.exited)}); see ${wb.log}` : undefined));
    } catch (e) {
      await wb.saveFailure('integration suite');
      throw e;
    }
    recordTiming('vscode-api: suite in the extension host (s)', results.durationMs / 1000);
    recordTiming('vscode-api: whole file until results (s)', (Date.now() - t0) / 1000);
    console.error(`# integration suite in VS Code ${results.vscodeVersion}: ${results.passed} passed, ${results.failed} failed, ${results.durationMs} ms`);
    // One subtest per suite test, so the report lists each by name with its result.
    for (const r of results.tests) {
      await t.test(r.title, { skip: r.state === 'pending' }, () => {
        if (r.state === 'failed') throw new Error(`failed in the extension host:\n${r.error}`);
        console.error(`# ${r.state}: ${r.title} (${r.durationMs} ms)`);
      });
    }
    assert.ok(results.tests.length >= 8, `the suite reported ${results.tests.length} tests`);
    if (results.failed) await wb.saveFailure('integration suite');
    assert.equal(results.failed, 0, `${results.failed} integration tests failed`);
  } finally {
    await wb?.close();
    if (!process.env.CNN_LAB_E2E_KEEP) rmSync(resultsDir, { recursive: true, force: true });
  }
});
