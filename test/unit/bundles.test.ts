/**
 * What each bundle carries, read from the source maps of the built bundles (node esbuild.js): the
 * extension host's bundle must not analyse, run or convert networks (the language server and the run
 * worker do), and the feature-map webview must only draw (its numbers come precomputed in the RunView).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../helpers/core.js';

/** The repository's own sources a bundle was built from (paths relative to the repository). */
function bundledSources(bundle: string): string[] {
  const map = JSON.parse(readFileSync(repoPath(`dist/${bundle}.map`), 'utf8')) as { sources: string[] };
  return map.sources.filter((s) => !s.includes('node_modules/')).map((s) => s.replace(/^(\.\.\/)+/, ''));
}

/** The newest modification time of the TypeScript sources under `dir`, and the file that has it. */
function newestSource(dir: string): { file: string; mtimeMs: number } {
  let newest = { file: '', mtimeMs: 0 };
  for (const entry of readdirSync(repoPath(dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(ts|mjs|json)$/.test(entry.name)) continue;
    const file = join(entry.parentPath, entry.name);
    const mtimeMs = statSync(file).mtimeMs;
    if (mtimeMs > newest.mtimeMs) newest = { file, mtimeMs };
  }
  return newest;
}

/** Fails when `bundle` is older than a source it may be built from: its map would describe other code. */
function assertFresh(bundle: string): void {
  const built = statSync(repoPath(`dist/${bundle}.map`)).mtimeMs;
  for (const dir of ['client/src', 'server/src']) {
    const newest = newestSource(dir);
    assert.ok(newest.mtimeMs <= built, `dist/${bundle} is older than ${newest.file}: run node esbuild.js first`);
  }
}

/** Sources of `sources` that `forbidden` matches. */
const offending = (sources: readonly string[], forbidden: readonly RegExp[]): string[] => sources.filter((s) => forbidden.some((f) => f.test(s)));

test('the extension bundle has no parser, no analysis, no engine and no interop: the worker and the server do that', () => {
  assertFresh('extension.js');
  const sources = bundledSources('extension.js');
  assert.ok(sources.includes('client/src/extension.ts') && sources.includes('client/src/run/commands.ts'), sources.join('\n'));
  const bad = offending(sources, [/^server\/src\/language\/parser\.ts$/, /^server\/src\/analysis\/analyze\.ts$/, /^server\/src\/engine\//, /^server\/src\/interop\//]);
  assert.deepEqual(bad, [], `dist/extension.js bundles what the worker or the server should compute:\n${bad.join('\n')}`);
});

test('the feature-map webview bundle has no analysis: only formatting and display geometry of the server\'s code', () => {
  assertFresh('webview.js');
  const sources = bundledSources('webview.js');
  assert.ok(sources.includes('client/src/webview/featureMaps.ts'), sources.join('\n'));
  const bad = offending(sources, [/^server\/src\/analysis\//]);
  assert.deepEqual(bad, [], `dist/webview.js bundles the analysis:\n${bad.join('\n')}`);
  // What it may take from the server: number formatting and the pure display geometry.
  assert.deepEqual(sources.filter((s) => s.startsWith('server/')).sort(), ['server/src/language/format.ts', 'server/src/run/display.ts']);
});

test('the run worker bundle carries what the extension asks it for: the analysis, the engine and the interop', () => {
  assertFresh('worker.js');
  const sources = bundledSources('worker.js');
  for (const s of ['server/src/analysis/analyze.ts', 'server/src/run/describe.ts', 'server/src/run/interop.ts', 'server/src/interop/onnxExport.ts', 'server/src/interop/onnxImport.ts']) {
    assert.ok(sources.includes(s), `dist/worker.js lacks ${s}`);
  }
});
