/**
 * Finds the SIMD kernels' WebAssembly bytes. A bundle (dist/cli.js, dist/server.js, the worker)
 * reads dist/cnnlab-simd.wasm, written by build-wasm.mjs beside it; code run from source (tests,
 * benchmarks under tsx) assembles kernels.wat on the spot with wabt, so no build step is needed.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The assembled kernels' file name; build-wasm.mjs writes it next to the bundles. */
export const WASM_FILE_NAME = 'cnnlab-simd.wasm';

/** The build whose GEMM uses relaxed SIMD's fused multiply-add, beside it. */
export const WASM_FMA_FILE_NAME = 'cnnlab-simd-fma.wasm';

/** An environment variable that, when set, names the .wasm file to load instead (the FMA build is then not tried). */
export const WASM_PATH_ENV = 'CNNLAB_SIMD_WASM';

/** The directory of the running file: the bundle's when bundled, this module's when run from source. */
function moduleDir(): string {
  // A CommonJS bundle has __dirname and no import.meta; an ES module has the reverse.
  if (typeof __dirname === 'string') return __dirname;
  return dirname(fileURLToPath(import.meta.url));
}

/**
 * Reads or assembles the kernels (with `fma`, the relaxed-SIMD build; $CNNLAB_SIMD_WASM names the
 * plain one only); throws with the places it looked if none worked.
 */
export async function loadKernelBytes(fma = false): Promise<Uint8Array<ArrayBuffer>> {
  const dir = moduleDir();
  const fromEnv = fma ? undefined : process.env[WASM_PATH_ENV];
  const candidates = fromEnv ? [fromEnv] : [join(dir, fma ? WASM_FMA_FILE_NAME : WASM_FILE_NAME)];
  for (const path of candidates) {
    if (existsSync(path)) return new Uint8Array(await readFile(path));
  }
  const wat = join(dir, 'kernels.wat');
  const builder = join(dir, 'build-wasm.mjs');
  if (existsSync(wat) && existsSync(builder)) {
    // A computed specifier keeps bundlers from pulling wabt into the bundle; only source runs get here.
    const specifier = pathToFileURL(builder).href;
    const mod = (await import(specifier)) as { assembleKernels(path: string, opts: { fma: boolean }): Promise<Uint8Array> };
    return new Uint8Array(await mod.assembleKernels(wat, { fma }));
  }
  throw new Error(`SIMD kernels not found: looked for ${candidates.join(', ')} and ${wat}`);
}
