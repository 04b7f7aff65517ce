// Assembles kernels.wat (hand-written WebAssembly text with 128-bit SIMD and a shared memory) into
// binary WebAssembly with the `wabt` npm package. As a script it writes dist/cnnlab-simd.wasm, the file the bundled
// engine loads from beside dist/*.js:  node server/src/engine/simd/build-wasm.mjs [outFile]
// As a module it exports assembleKernels() for esbuild.js and for tests run from source.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The name of the assembled kernels file, written next to the bundles in dist/. */
export const WASM_FILE_NAME = 'cnnlab-simd.wasm';

/** The path of the WebAssembly text source. */
export const WAT_PATH = join(here, 'kernels.wat');

/** Assembles the kernels' text into a WebAssembly binary (simd enabled) and returns its bytes. */
export async function assembleKernels(watPath = WAT_PATH) {
  const { default: initWabt } = await import('wabt');
  const wabt = await initWabt();
  const text = await readFile(watPath, 'utf8');
  const features = { simd: true, threads: true };
  const module = wabt.parseWat(watPath, text, features);
  try {
    module.resolveNames();
    module.validate(features);
    return module.toBinary({ log: false, write_debug_names: true }).buffer;
  } finally {
    module.destroy();
  }
}

/** Assembles the kernels and writes them to outFile (default: <repo>/dist/cnnlab-simd.wasm). */
export async function buildKernels(outFile = resolve(here, '../../../../dist', WASM_FILE_NAME)) {
  const bytes = await assembleKernels();
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, bytes);
  return { outFile, size: bytes.length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outFile, size } = await buildKernels(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`wrote ${outFile} (${size} bytes)`);
}
