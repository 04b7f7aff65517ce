/**
 * `cnnlab`: the command-line face of the analysis (and, later, the engine).
 *   cnnlab summary FILE [--network NAME] [--json]
 *   cnnlab check FILE...
 *   cnnlab compare FILE [--json]
 *   cnnlab run FILE --input IMAGE_OR_NPY [--network NAME] [--weights W.safetensors|W.pth] [--dump DIR] [--png DIR] [--top K]
 *   cnnlab export FILE --format onnx [--network NAME] [-o OUT] [--weights W.safetensors] [--seed N] [--dynamic-batch]
 *   cnnlab import MODEL.onnx [-o NET.cnn] [--weights-out W.safetensors] [--name NAME]
 *   cnnlab export FILE --format pytorch [--network NAME] [-o OUT.py] [--weights W.safetensors] [--seed N]
 * Exit codes: 0 fine, 1 the file has errors (check), 2 the command itself failed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { analyze, type Analysis } from './analysis/analyze.js';
import { fmtInt, fmtShape, formatTable, toSummary } from './analysis/summary.js';
import { compareNetworks, comparisonJson, formatComparison } from './analysis/compare.js';
import { bufferPool, createSimdBackend, featureGridPng, forward, simdLoadProblem, writeNpy } from './engine/index.js';
import { simdKernelVariant } from './engine/simd/simd-backend.js';
import { kernelsText } from './run/display.js';
import { FileRefused, readRegularFile, type FileKind } from './files.js';
import { DEFAULT_BUDGET } from './run/budget.js';
import { planRun } from './run/plan.js';
import { loadInput, loadParams, topK } from './run/load.js';
import { tuneYoungGeneration } from './heap.js';
import { EXPORT_FORMATS, exportFormat } from './interop/formats.js';
import { importOnnx } from './interop/onnxImport.js';
import { writeSafetensors } from './engine/safetensors.js';
import pkg from '../../package.json' with { type: 'json' };

const VERSION = pkg.version;
import { pytorchFiles } from './exportPytorch.js';

/** An error of the command itself: printed as one line, exit code 2. */
class UsageError extends Error {}

const USAGE = `usage:
  cnnlab summary FILE [--network NAME] [--json]   layer table: shapes, params, MACs, receptive field
  cnnlab check FILE...                            diagnostics as file:line:col: severity: message [code]
  cnnlab compare FILE [--json]                    the file's networks side by side (the VGG paper's Table 2)
  cnnlab run FILE --input IMAGE_OR_NPY [--network NAME] [--weights W.safetensors|W.pth]
             [--dump DIR] [--png DIR] [--top K] [--seed N] [--max-gmacs G] [--threads N] [--no-simd] [--repeat N]
                                                  runs the network on a PNG/JPEG/.npy input
                                                  (--repeat N: N forwards after loading, each timed)
  cnnlab export FILE --format FORMAT [--network NAME] [-o OUT] [--weights W.safetensors] [--seed N] [--dynamic-batch]
                                                  writes the network with its weights (He-initialised from
                                                  the seed without --weights); formats: ${Object.keys(EXPORT_FORMATS).join(', ')}
  cnnlab import MODEL.onnx [-o NET.cnn] [--weights-out W.safetensors] [--name NAME]
                                                  writes an ONNX model as .cnn text (stdout without -o) and its weights
                                                  (--format pytorch writes OUT.py and, with --weights or
                                                  --seed, OUT.safetensors beside it)`;

/**
 * Reads a file the user named (after `what` in messages, e.g. "input"), refusing as a UsageError what
 * is not a regular file (/dev/zero would be read forever) or is over its kind's limit, before reading.
 */
function readBytes(file: string, kind: FileKind, what?: string): Uint8Array {
  try {
    return readRegularFile(file, kind, what);
  } catch (e) {
    if (e instanceof FileRefused) throw new UsageError(e.message);
    throw e;
  }
}

function load(file: string): Analysis {
  const bytes = readBytes(file, 'source');
  return analyze(new TextDecoder().decode(bytes), basename(file, extname(file)));
}

/** Reads `--flag value` options and positional arguments; `-o` is `--output`. */
function options(args: string[], flags: string[], withValue: string[]): { pos: string[]; opt: Map<string, string | true> } {
  const pos: string[] = [];
  const opt = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] === '-o' && withValue.includes('--output') ? '--output' : args[i];
    if (a.startsWith('--')) {
      if (withValue.includes(a)) {
        if (i + 1 >= args.length) throw new UsageError(`${a} needs a value`);
        opt.set(a, args[++i]);
      } else if (flags.includes(a)) opt.set(a, true);
      else throw new UsageError(`unknown option ${a}\n${USAGE}`);
    } else pos.push(a);
  }
  return { pos, opt };
}

function summary(args: string[]): number {
  const { pos, opt } = options(args, ['--json'], ['--network']);
  if (pos.length !== 1) throw new UsageError(`summary takes one file\n${USAGE}`);
  const a = load(pos[0]);
  const name = opt.get('--network') as string | undefined;
  if (name !== undefined && !a.networks.some((n) => n.name === name)) {
    throw new UsageError(`no network named '${name}' in ${pos[0]} (it has: ${a.networks.map((n) => n.name).join(', ') || 'none'})`);
  }
  const s = toSummary(a, name);
  if (opt.has('--json')) {
    process.stdout.write(JSON.stringify(s, null, 2) + '\n');
  } else {
    process.stdout.write(s.networks.map(formatTable).join('\n\n') + '\n');
    const errors = s.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning');
    if (errors.length) process.stdout.write(`\n${errors.length} problem${errors.length === 1 ? '' : 's'}: run \`cnnlab check ${pos[0]}\`\n`);
  }
  return 0;
}

function compare(args: string[]): number {
  const { pos, opt } = options(args, ['--json'], []);
  if (pos.length !== 1) throw new UsageError(`compare takes one file\n${USAGE}`);
  const a = load(pos[0]);
  if (!a.networks.length) throw new UsageError(`${pos[0]} has no network to compare`);
  const c = compareNetworks(a);
  process.stdout.write(opt.has('--json') ? JSON.stringify(comparisonJson(c), null, 2) + '\n' : formatComparison(c) + '\n');
  return 0;
}

function check(args: string[]): number {
  const { pos } = options(args, [], []);
  if (!pos.length) throw new UsageError(`check takes at least one file\n${USAGE}`);
  let failed = false;
  for (const file of pos) {
    const s = toSummary(load(file));
    for (const d of s.diagnostics) {
      process.stdout.write(`${file}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.code}]\n`);
      if (d.severity === 'error') failed = true;
    }
  }
  return failed ? 1 : 0;
}

async function run(args: string[]): Promise<number> {
  const { pos, opt } = options(args, ['--no-simd'], ['--network', '--input', '--weights', '--dump', '--png', '--top', '--seed', '--max-gmacs', '--threads', '--repeat']);
  if (pos.length !== 1) throw new UsageError(`run takes one file\n${USAGE}`);
  const inputFile = opt.get('--input') as string | undefined;
  if (!inputFile) throw new UsageError('run needs --input IMAGE_OR_NPY (a PNG, a JPEG or a float32 .npy of shape C×H×W)');
  const num = (flag: string, dflt: number) => {
    const v = opt.get(flag);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} takes a number, not '${v}'`);
    return n;
  };
  const a = load(pos[0]);
  const top = num('--top', 5);
  const budget = { ...DEFAULT_BUDGET, maxMacs: num('--max-gmacs', DEFAULT_BUDGET.maxMacs / 1e9) * 1e9 };
  let plan;
  try {
    plan = planRun(a, opt.get('--network') as string | undefined, budget, 'last');
  } catch (e) {
    throw new UsageError(`${pos[0]}: ${(e as Error).message}`);
  }
  const weightsFile = opt.get('--weights') as string | undefined;
  let input, params;
  try {
    // Decoding an image counts in the run's memory budget: it may use what the network leaves.
    input = loadInput(readBytes(inputFile, 'input', 'input'), basename(inputFile), plan, { maxBytes: budget.maxMemoryBytes - plan.memoryBytes });
    params = loadParams(plan, weightsFile ? { bytes: readBytes(weightsFile, 'weights', 'weights'), fileName: basename(weightsFile) } : undefined, num('--seed', 0));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
  const dump = opt.get('--dump') as string | undefined;
  const png = opt.get('--png') as string | undefined;
  for (const d of [dump, png]) if (d) mkdirSync(d, { recursive: true });
  const layers = plan.network.layers;
  // WebAssembly SIMD kernels for conv and fc where the runtime has them, else the TypeScript ones.
  const backend = opt.has('--no-simd') ? null : await createSimdBackend({ threads: num('--threads', 1) });
  if (!backend && !opt.has('--no-simd')) process.stderr.write(`cnnlab: using the TypeScript kernels (${simdLoadProblem() ?? 'no SIMD'})\n`);
  const repeat = num('--repeat', 1);
  if (!Number.isInteger(repeat) || repeat < 1) throw new UsageError(`--repeat takes a whole number of runs ≥ 1, not '${opt.get('--repeat')}'`);
  // The SIMD backend's buffers live in its WebAssembly memory, so its kernels need not copy them.
  const pool = backend?.bufferPool?.() ?? bufferPool();
  let outputs: Awaited<ReturnType<typeof forward>> = [];
  let ms = 0;
  for (let r = 0; r < repeat; r++) {
    const started = performance.now();
    // Only the last output is kept: each other goes once its last reader has run (after being written
    // out here), and its buffer serves a later layer. Without --dump or --png no layer's output is
    // looked at, so each conv runs with its bn and activation fused in (fuse.ts).
    outputs = await forward(input, plan.layers, params, {
      backend: backend ?? undefined,
      inputs: plan.inputs,
      keep: plan.keep,
      fuse: !dump && !png,
      ...pool,
      onLayer: dump || png ? (i, out) => {
        const name = `${String(i).padStart(3, '0')}-${layers[i].decl.keyword}`;
        if (dump) writeFileSync(join(dump, `${name}.npy`), writeNpy(out.shape, out.data));
        if (png) writeFileSync(join(png, `${name}.png`), featureGridPng(out));
      } : undefined,
    });
    ms = performance.now() - started;
    if (repeat > 1) process.stdout.write(`run ${r + 1}/${repeat}: ${ms.toFixed(1)} ms\n`);
    // The next run allocates its own last output; this one's buffer can serve it.
    if (r < repeat - 1) pool.free(outputs[outputs.length - 1].data);
  }
  const last = outputs[outputs.length - 1];
  process.stdout.write(`${plan.network.name}: ${layers.length} layer${layers.length === 1 ? "" : "s"} in ${ms.toFixed(0)} ms (${fmtShape(plan.inputShape)} → ${fmtShape(last.shape)}, ` +
    `${((2 * plan.macs) / (ms * 1e6)).toFixed(2)} GFLOP/s, ${backend ? kernelsText('simd', simdKernelVariant()) : kernelsText('typescript')})` +
    `${weightsFile ? '' : ', He-initialised weights (seed ' + num('--seed', 0) + ')'}\n`);
  if (top > 0) {
    process.stdout.write(`top ${Math.min(top, last.data.length)} of the last layer (${layers[layers.length - 1].decl.text}):\n`);
    for (const { index, value } of topK(last, top)) process.stdout.write(`  ${String(index).padStart(6)}  ${value.toPrecision(6)}\n`);
  }
  if (dump) process.stdout.write(`wrote ${layers.length} .npy files to ${dump}\n`);
  if (png) process.stdout.write(`wrote ${layers.length} feature-map grids to ${png}\n`);
  return 0;
}

function planFor(a: Analysis, file: string, network: string | undefined): ReturnType<typeof planRun> {
  try {
    // Nothing runs: the budget that guards runs does not apply, the exporter checks what it writes.
    return planRun(a, network, { maxMacs: Infinity, maxMemoryBytes: Infinity }, 'last');
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
}

function exportCommand(args: string[]): number {
  const { pos, opt } = options(args, ['--dynamic-batch'], ['--network', '--format', '--output', '--weights', '--seed']);
  if (pos.length !== 1) throw new UsageError(`export takes one file\n${USAGE}`);
  const formatName = opt.get('--format') as string | undefined;
  if (!formatName) throw new UsageError(`export needs --format (${Object.keys(EXPORT_FORMATS).join(', ')})`);
  // PyTorch writes a .py (and the weights beside it) rather than one model file.
  if (formatName === 'pytorch') return exportPytorch(args);
  const format = exportFormat(formatName);
  if (typeof format === 'string') throw new UsageError(format);
  const seedText = opt.get('--seed') as string | undefined;
  const seed = seedText === undefined ? 0 : Number(seedText);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed takes a whole number, not '${seedText}'`);
  const a = load(pos[0]);
  const plan = planFor(a, pos[0], opt.get('--network') as string | undefined);
  const weightsFile = opt.get('--weights') as string | undefined;
  const out = (opt.get('--output') as string | undefined) ?? join(dirname(pos[0]), `${plan.network.name}${format.extension}`);
  let bytes: Uint8Array;
  try {
    const params = loadParams(plan, weightsFile ? { bytes: readBytes(weightsFile, 'weights'), fileName: basename(weightsFile) } : undefined, seed);
    const source = weightsFile ? `weights from ${basename(weightsFile)}` : `He-initialised weights (seed ${seed})`;
    bytes = format.write(a, plan, params, {
      dynamicBatch: opt.has('--dynamic-batch'), producerVersion: VERSION, doc: `${plan.network.name} from ${basename(pos[0])}, ${source}`,
    });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${pos[0]}: ${(e as Error).message}`);
  }
  writeFileSync(out, bytes);
  process.stdout.write(`wrote ${out}: ${plan.network.name}, ${plan.layers.length} layers, ${fmtInt(bytes.length)} bytes (${format.description})\n`);
  return 0;
}

function importCommand(args: string[]): number {
  const { pos, opt } = options(args, [], ['--output', '--weights-out', '--name']);
  if (pos.length !== 1) throw new UsageError(`import takes one .onnx file\n${USAGE}`);
  const file = pos[0];
  const out = opt.get('--output') as string | undefined;
  const name = (opt.get('--name') as string | undefined) ?? basename(out ?? file, extname(out ?? file));
  let result;
  try {
    result = importOnnx(readBytes(file, 'model'), { name, label: basename(file) });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
  if (result.problems.length) {
    for (const p of result.problems) process.stderr.write(`${file}: ${p.op} node '${p.node}': ${p.message}\n`);
    process.stderr.write(`cnnlab: ${result.problems.length} node${result.problems.length === 1 ? '' : 's'} cannot be written as .cnn; nothing written\n`);
    return 1;
  }
  if (out) writeFileSync(out, result.text);
  else process.stdout.write(result.text);
  const weightsOut = opt.get('--weights-out') as string | undefined;
  if (weightsOut) writeFileSync(weightsOut, writeSafetensors(result.tensors.map((t) => ({ name: t.name, shape: t.shape, data: t.data }))));
  const where = [out && `wrote ${out}`, weightsOut && `${weightsOut} (${result.tensors.length} tensors)`].filter(Boolean).join(' and ');
  process.stderr.write(`${where ? `${where}: ` : ''}${result.network}, ${result.layers} layers, ${fmtInt(result.params)} parameters, ${fmtInt(result.macs)} MACs\n`);
  return 0;
}

/** `export --format pytorch`: a .py module (and its weights beside it under build().state_dict()'s keys). */
function exportPytorch(args: string[]): number {
  const { pos, opt } = options(args.map((x) => (x === '-o' ? '--output' : x)), [], ['--network', '--format', '--output', '--weights', '--seed']);
  if (pos.length !== 1) throw new UsageError(`export takes one file\n${USAGE}`);
  const seedText = opt.get('--seed') as string | undefined;
  const seed = seedText === undefined ? undefined : Number(seedText);
  if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`--seed takes a whole number, not '${seedText}'`);
  const weightsFile = opt.get('--weights') as string | undefined;
  const out = (opt.get('--output') as string | undefined) ?? pos[0].replace(/\.cnn$/i, '') + '.py';
  if (!out.endsWith('.py')) throw new UsageError(`-o names the .py to write, not '${out}'`);
  let files;
  try {
    files = pytorchFiles(load(pos[0]), basename(pos[0]), {
      network: opt.get('--network') as string | undefined, seed,
      weights: weightsFile ? { bytes: readBytes(weightsFile, 'weights'), fileName: basename(weightsFile) } : undefined,
    });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${pos[0]}: ${(e as Error).message}`);
  }
  writeFileSync(out, files.source);
  process.stdout.write(`wrote ${out} (class ${files.className}; build() returns the model)\n`);
  if (files.weights) {
    const st = out.replace(/\.py$/, '.safetensors');
    writeFileSync(st, files.weights);
    process.stdout.write(`wrote ${st} (${files.tensors} tensors under build().state_dict()'s keys, from ${weightsFile ?? `seed ${seed}`})\n`);
  }
  return 0;
}

/** Runs the CLI with the given arguments and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'summary': return summary(rest);
      case 'check': return check(rest);
      case 'compare': return compare(rest);
      case 'run': return await run(rest);
      case 'export': return exportCommand(rest);
      case 'import': return importCommand(rest);
      case undefined: case '-h': case '--help': case 'help':
        process.stdout.write(USAGE + '\n');
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${cmd}'\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`cnnlab: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

tuneYoungGeneration();

// `cnnlab summary … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (e: unknown) => {
  process.stderr.write(`cnnlab: internal error: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 3;
});
