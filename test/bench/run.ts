/**
 * `npm run bench`: every benchmark in turn, each in its own process so one's heap does not slow the next.
 * The core benchmark runs bundled by esbuild, as the CLI and the language server ship (tsx's transform
 * keeps function names and costs the parser about a third); the others run from source.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
// dist/bench/ sits two levels below the repository like test/bench/, so the benchmarks' paths still resolve.
mkdirSync(here('../../dist/bench'), { recursive: true });
await esbuild.build({
  entryPoints: [here('core-bench.ts')], outfile: here('../../dist/bench/core-bench.mjs'), bundle: true, platform: 'node', format: 'esm', logLevel: 'error',
});
// The end-to-end harness's Node 24 (code-server's): V8 13, like VS Code's Electron, so the kernels' FMA
// build with its 6x8 GEMM blocks, as the editors run them (Node 20 here runs the plain build).
const { NODE24 } = (await import(here('../e2e/lib/paths.mjs'))) as { NODE24: string };
const benches: [string, string[], string?][] = [
  ['core-bench (bundled)', [here('../../dist/bench/core-bench.mjs')]],
  ...['lsp-bench.ts', 'engine-bench.ts', 'run-bench.ts'].filter((b) => existsSync(here(b))).map((b): [string, string[]] => [b, ['--import', 'tsx', here(b)]]),
  ...(existsSync(NODE24) ? [['engine-bench.ts on the harness\'s Node 24 (the FMA build, as in the editors)', ['--import', 'tsx', here('engine-bench.ts')], NODE24] as [string, string[], string]] : []),
  // In a real VS Code (code-server), when the end-to-end harness is installed; it says so when not.
  ['panel-bench.mjs', [here('panel-bench.mjs')]],
];
let failed = false;
for (const [name, args, node] of benches) {
  console.log(`\n## ${name}\n`);
  const r = spawnSync(node ?? process.execPath, args, { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
