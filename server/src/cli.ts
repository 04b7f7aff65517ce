/**
 * `cnnlab`: the command-line face of the analysis (and, later, the engine).
 *   cnnlab summary FILE [--network NAME] [--json]
 *   cnnlab check FILE...
 *   cnnlab run FILE --input IMAGE_OR_NPY [--network NAME] [--weights W.safetensors] [--dump DIR] [--png DIR] [--top K]
 * Exit codes: 0 fine, 1 the file has errors (check), 2 the command itself failed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { analyze, type Analysis } from './analysis/analyze.js';
import { fmtShape, formatTable, toSummary } from './analysis/summary.js';
import { bufferPool, createSimdBackend, featureGridPng, runNetwork, simdLoadProblem, writeNpy } from './engine/index.js';
import { DEFAULT_BUDGET, planRun } from './plan.js';
import { loadInput, loadParams, topK } from './runner.js';
import { tuneYoungGeneration } from './heap.js';

/** An error of the command itself: printed as one line, exit code 2. */
class UsageError extends Error {}

const USAGE = `usage:
  cnnlab summary FILE [--network NAME] [--json]   layer table: shapes, params, MACs, receptive field
  cnnlab check FILE...                            diagnostics as file:line:col: severity: message [code]
  cnnlab run FILE --input IMAGE_OR_NPY [--network NAME] [--weights W.safetensors]
             [--dump DIR] [--png DIR] [--top K] [--seed N] [--max-gmacs G] [--threads N] [--no-simd] [--repeat N]
                                                  runs the network on a PNG/JPEG/.npy input
                                                  (--repeat N: N forwards after loading, each timed)`;

function load(file: string): Analysis {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
  return analyze(text, basename(file, extname(file)));
}

/** Reads `--flag value` options and positional arguments. */
function options(args: string[], flags: string[], withValue: string[]): { pos: string[]; opt: Map<string, string | true> } {
  const pos: string[] = [];
  const opt = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
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

function readBytes(file: string, what: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
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
    input = loadInput(readBytes(inputFile, 'input'), basename(inputFile), plan);
    params = loadParams(plan, weightsFile ? { bytes: readBytes(weightsFile, 'weights'), fileName: basename(weightsFile) } : undefined, num('--seed', 0));
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
  let outputs: Awaited<ReturnType<typeof runNetwork>> = [];
  let ms = 0;
  for (let r = 0; r < repeat; r++) {
    const started = performance.now();
    // Only the last output is kept: each other goes once its last reader has run (after being written
    // out here), and its buffer serves a later layer. Without --dump or --png no layer's output is
    // looked at, so each conv runs with its bn and activation fused in (fuse.ts).
    outputs = await runNetwork(input, plan.layers, params, {
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
    `${((2 * plan.macs) / (ms * 1e6)).toFixed(2)} GFLOP/s)${weightsFile ? '' : ', He-initialised weights (seed ' + num('--seed', 0) + ')'}\n`);
  if (top > 0) {
    process.stdout.write(`top ${Math.min(top, last.data.length)} of the last layer (${layers[layers.length - 1].decl.text}):\n`);
    for (const { index, value } of topK(last, top)) process.stdout.write(`  ${String(index).padStart(6)}  ${value.toPrecision(6)}\n`);
  }
  if (dump) process.stdout.write(`wrote ${layers.length} .npy files to ${dump}\n`);
  if (png) process.stdout.write(`wrote ${layers.length} feature-map grids to ${png}\n`);
  return 0;
}

/** Runs the CLI with the given arguments and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'summary': return summary(rest);
      case 'check': return check(rest);
      case 'run': return await run(rest);
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
