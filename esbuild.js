// Bundles the CLI, the language server and the VS Code client into dist/.
// The package is ESM ("type": "module") because chevrotain is ESM-only; the bundles are CommonJS so
// VS Code's extension host can require them, hence the small package.json written into dist/.
import * as esbuild from 'esbuild';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';

const watch = process.argv.includes('--watch');
mkdirSync('dist', { recursive: true });
writeFileSync('dist/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');

/** One bundle per entry point; vscode is provided by the editor at run time. */
const entries = [
  { in: 'server/src/cli.ts', out: 'dist/cli.js', banner: '#!/usr/bin/env node' },
];

const contexts = await Promise.all(entries.map((e) => esbuild.context({
  entryPoints: [e.in],
  outfile: e.out,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  external: ['vscode'],
  banner: e.banner ? { js: e.banner } : undefined,
  logLevel: 'warning',
})));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  chmodSync('dist/cli.js', 0o755);
}
