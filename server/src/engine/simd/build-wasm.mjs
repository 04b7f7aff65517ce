// Assembles kernels.wat (hand-written WebAssembly text with 128-bit SIMD, bulk memory and a shared memory) into
// binary WebAssembly with the `wabt` npm package. As a script it writes dist/cnnlab-simd.wasm, the file the bundled
// engine loads from beside dist/*.js:  node server/src/engine/simd/build-wasm.mjs [outFile]
// As a module it exports assembleKernels() for esbuild.js and for tests run from source.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The name of the assembled kernels file, written next to the bundles in dist/. */
export const WASM_FILE_NAME = 'cnnlab-simd.wasm';

/** The same kernels with the GEMM micro-kernel's multiply-adds fused (relaxed SIMD), beside it. */
export const WASM_FMA_FILE_NAME = 'cnnlab-simd-fma.wasm';

/**
 * The micro-kernels' accumulations c += a·b (8 per step of k in the 4x8 block, 12 in the 6x8 one),
 * which the FMA build turns into f32x4.relaxed_madd(a, b, c): one instruction where the runtime has
 * FMA, half the arithmetic.
 */
const MULTIPLY_ADD = /\(f32x4\.add \(local\.get (\$c[0-5][01])\) \(f32x4\.mul \(local\.get \$av\) \(local\.get (\$b[01])\)\)\)/g;
/** How many: gemm_b4's 8 and gemm_b12's 12. */
export const MULTIPLY_ADDS = 20;

/** kernels.wat with the micro-kernels' multiply-adds fused; throws if the pattern no longer matches. */
export function fmaVariant(text) {
  const count = (text.match(MULTIPLY_ADD) ?? []).length;
  if (count !== MULTIPLY_ADDS) throw new Error(`kernels.wat: expected the micro-kernels' ${MULTIPLY_ADDS} multiply-adds, found ${count}`);
  return text.replace(MULTIPLY_ADD, '(f32x4.relaxed_madd (local.get $av) (local.get $2) (local.get $1))');
}

/** The path of the WebAssembly text source. */
export const WAT_PATH = join(here, 'kernels.wat');

/**
 * Assembles the kernels' text into a WebAssembly binary (simd enabled) and returns its bytes; with
 * `fma`, the build whose micro-kernel uses relaxed SIMD's fused multiply-add.
 */
export async function assembleKernels(watPath = WAT_PATH, { fma = false } = {}) {
  const { default: initWabt } = await import('wabt');
  const wabt = await initWabt();
  const source = await readFile(watPath, 'utf8');
  const text = fma ? fmaVariant(source) : source;
  const features = { simd: true, threads: true, bulk_memory: true, relaxed_simd: fma };
  const module = wabt.parseWat(watPath, text, features);
  try {
    module.resolveNames();
    module.validate(features);
    return module.toBinary({ log: false, write_debug_names: true }).buffer;
  } finally {
    module.destroy();
  }
}

/**
 * Assembles the kernels and writes them to outFile (default: <repo>/dist/cnnlab-simd.wasm), and the
 * FMA build beside it as cnnlab-simd-fma.wasm.
 */
export async function buildKernels(outFile = resolve(here, '../../../../dist', WASM_FILE_NAME)) {
  const bytes = await assembleKernels();
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, bytes);
  await writeFile(join(dirname(outFile), WASM_FMA_FILE_NAME), await assembleKernels(WAT_PATH, { fma: true }));
  return { outFile, size: bytes.length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outFile, size } = await buildKernels(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`wrote ${outFile} (${size} bytes)`);
}
