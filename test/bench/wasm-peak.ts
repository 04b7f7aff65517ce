/**
 * The hardware ceiling for a WebAssembly engine on this machine, next to what onnxruntime-node reaches:
 *   (a) peak GFLOP/s of a register-only WebAssembly 128-bit SIMD loop of multiplies and adds
 *       (12 independent chains, nothing loaded or stored; see peakWat), and of the same loop with
 *       relaxed SIMD's f32x4.relaxed_madd (in a child process with --experimental-wasm-relaxed-simd,
 *       which Node 20 needs for it);
 *   (b) the engine's own 4x8 GEMM micro-kernel on operands that stay in L1 (kernels.wat's `gemm`),
 *       plain and FMA build: how close the real kernel gets to (a);
 *   (c) 1x1 convolutions 256→64 at 56x56 and 512→2048 at 7x7 (ResNet-50's shapes) and a ResNet-50
 *       forward on onnxruntime-node and on ours, at 1 and 2 threads.
 * GFLOP/s counts 2 flops per multiply-accumulate. (c) needs Debian's /usr/bin/python3 with torch and
 * torchvision to export the ONNX models into a temporary directory; without it (c) is skipped.
 *
 *   node --import tsx test/bench/wasm-peak.ts [--seconds S] [--skip-ort]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHAINS = 12;
const ITERS = 1 << 20;
const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SECONDS = Number(argOf('--seconds') ?? 1);

/**
 * A module whose `peak(iters)` runs CHAINS independent f32x4 chains for `iters` steps, all in registers
 * (x and y are function parameters, so nothing can be hoisted or folded). 'fused': acc = acc·x + y as
 * one relaxed_madd; 'chained': acc = acc·x + y as a mul then an add (each add waits for its mul);
 * 'split': half the chains multiply (m = m·x) and half add (s = s + y), so no op waits for another
 * chain's and the ports, not the latencies, set the pace. A pair (one mul, one add) counts as 2 flops
 * per lane, as a multiply-accumulate.
 */
function peakWat(kind: 'fused' | 'chained' | 'split'): string {
  const accs = Array.from({ length: CHAINS }, (_, i) => `$a${i}`);
  const step = (a: string, i: number) => kind === 'fused'
    ? `(local.set ${a} (f32x4.relaxed_madd (local.get ${a}) (local.get $x) (local.get $y)))`
    : kind === 'chained' ? `(local.set ${a} (f32x4.add (f32x4.mul (local.get ${a}) (local.get $x)) (local.get $y)))`
    : i % 2 ? `(local.set ${a} (f32x4.add (local.get ${a}) (local.get $y)))` : `(local.set ${a} (f32x4.mul (local.get ${a}) (local.get $x)))`;
  return `(module
  (func (export "peak") (param $n i32) (param $xs f32) (param $ys f32) (result f32)
    (local $x v128) (local $y v128) ${accs.map((a) => `(local ${a} v128)`).join(' ')}
    (local.set $x (f32x4.splat (local.get $xs)))
    (local.set $y (f32x4.splat (local.get $ys)))
    ${accs.map((a, i) => `(local.set ${a} (f32x4.splat (f32.const ${i + 1})))`).join('\n    ')}
    (loop $l
      ${accs.map((a, i) => step(a, i)).join('\n      ')}
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    ;; The sum of every chain, so none is dead code.
    (f32x4.extract_lane 0 ${accs.slice(1).reduce((s, a) => `(f32x4.add ${s} (local.get ${a}))`, '(local.get $a0)')})))`;
}

async function assemble(text: string, fma: boolean): Promise<Uint8Array<ArrayBuffer>> {
  const { default: initWabt } = await import('wabt');
  const wabt = await initWabt();
  const features = { simd: true, relaxed_simd: fma };
  const m = wabt.parseWat('peak.wat', text, features);
  try {
    m.resolveNames();
    m.validate();
    return new Uint8Array(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

/** The best of repeated timings of `f` over about SECONDS, in ms. */
function best(f: () => void): number {
  f();
  let min = Infinity;
  const until = performance.now() + SECONDS * 1000;
  do {
    const t = performance.now();
    f();
    min = Math.min(min, performance.now() - t);
  } while (performance.now() < until);
  return min;
}

/** GFLOP/s of the register-only loop of `kind`. */
async function loopPeak(kind: 'fused' | 'chained' | 'split'): Promise<number> {
  const bytes = await assemble(peakWat(kind), kind === 'fused');
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(bytes));
  const peak = instance.exports.peak as (n: number, x: number, y: number) => number;
  // x just above 1 keeps the products normal (below 1 they would decay into slow denormals).
  const ms = best(() => peak(ITERS, 1.0000001, 0.001));
  // A split loop does one op per chain and step: half a multiply-accumulate.
  return (ITERS * CHAINS * 4 * 2 * (kind === 'split' ? 0.5 : 1)) / (ms * 1e6);
}

/**
 * GFLOP/s of the engine's gemm (4x8 micro-kernel) on a packed A of 64 rows x k 128 and a packed B of
 * k 128 x 64 columns (32 KB + 32 KB + 16 KB of C: L1 and L2), repeated; the FMA build with `fma`.
 */
async function microKernel(fma: boolean): Promise<number> {
  const { loadKernelBytes } = await import('../../server/src/engine/simd/load-wasm.js');
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
  const { instance } = await WebAssembly.instantiate(await loadKernelBytes(fma), { env: { memory } });
  const gemm = instance.exports.gemm as (ap: number, apStride: number, bp: number, k: number, c: number, ldc: number, mp: number, np: number, acc: number,
                                         bias: number, res: number, lo: number, hi: number) => void;
  const M = 64, N = 64, K = 128;
  const ap = 1024, bp = ap + M * K * 4, c = bp + K * N * 4;
  const f32 = new Float32Array(memory.buffer);
  for (let i = 0; i < (M + N) * K; i++) f32[ap / 4 + i] = ((i % 17) - 8) / 64;
  const reps = 200;
  const ms = best(() => { for (let r = 0; r < reps; r++) gemm(ap, K * 16, bp, K, c, N * 4, M, N, r & 1, 0, 0, 0, 0); });
  return (reps * M * N * K * 2) / (ms * 1e6);
}

const EXPORT_PY = String.raw`
import sys, torch, torch.nn as nn, torchvision
out = sys.argv[1]
torch.manual_seed(0)
def export(model, shape, name):
    torch.onnx.export(model.eval(), torch.rand(*shape), out + '/' + name + '.onnx', opset_version=13,
                      input_names=['input'], output_names=['output'])
export(nn.Conv2d(256, 64, 1, bias=False), (1, 256, 56, 56), 'c1x1a')
export(nn.Conv2d(512, 2048, 1, bias=False), (1, 512, 7, 7), 'c1x1b')
export(torchvision.models.resnet50(), (1, 3, 224, 224), 'resnet50')
print('exported')
`;

/** The 1x1 convs of (c): name, Cin, Cout, size. */
const CONVS = [['c1x1a', 256, 64, 56], ['c1x1b', 512, 2048, 7]] as const;
const RESNET50_MACS = 4_089_184_256;

async function ortFigures(dir: string, threads: number): Promise<Record<string, number>> {
  const ort = await import('onnxruntime-node');
  const options = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' as const, graphOptimizationLevel: 'all' as const };
  const res: Record<string, number> = {};
  for (const [name, cin, cout, size] of CONVS) {
    const s = await ort.InferenceSession.create(join(dir, `${name}.onnx`), options);
    const feeds = { input: new ort.Tensor('float32', new Float32Array(cin * size * size).fill(0.5), [1, cin, size, size]) };
    const ms = await bestAsync(() => s.run(feeds));
    res[name] = (2 * cin * cout * size * size) / (ms * 1e6);
  }
  const s = await ort.InferenceSession.create(join(dir, 'resnet50.onnx'), options);
  const feeds = { input: new ort.Tensor('float32', new Float32Array(3 * 224 * 224).fill(0.5), [1, 3, 224, 224]) };
  const ms = await bestAsync(() => s.run(feeds));
  res.resnet50 = (2 * RESNET50_MACS) / (ms * 1e6);
  res.resnet50ms = ms;
  return res;
}

async function bestAsync(f: () => Promise<unknown>): Promise<number> {
  await f();
  let min = Infinity;
  const until = performance.now() + SECONDS * 2000;
  do {
    const t = performance.now();
    await f();
    min = Math.min(min, performance.now() - t);
  } while (performance.now() < until);
  return min;
}

/** GFLOP/s of ours on the same 1x1 convs (the SIMD backend, buffers from its pool as in a run). */
async function ourConvs(threads: number): Promise<Record<string, number>> {
  const { createSimdBackend } = await import('../../server/src/engine/simd/simd-backend.js');
  const backend = (await createSimdBackend({ threads }))!;
  const pool = backend.bufferPool!();
  const res: Record<string, number> = {};
  for (const [name, cin, cout, size] of CONVS) {
    const inp = pool.alloc(cin * size * size).fill(0.5);
    const out = pool.alloc(cout * size * size, true);
    const weight = new Float32Array(cout * cin).fill(0.01);
    const spec = { kind: 'conv', kernel: [1, 1], outChannels: cout, stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, bias: false, depthwise: false } as const;
    const ms = best(() => backend.conv2d(out, inp, weight, null, [cin, size, size], spec as never, [cout, size, size]));
    res[name] = (2 * cin * cout * size * size) / (ms * 1e6);
  }
  return res;
}

const fmt = (x: number) => x.toFixed(1).padStart(6);

if (process.argv.includes('--fma-child')) {
  // Run under --experimental-wasm-relaxed-simd: print the fused figures as JSON.
  const ok = WebAssembly.validate(await assemble(peakWat('fused'), true));
  console.log(JSON.stringify(ok ? { loop: await loopPeak('fused'), kernel: await microKernel(true) } : null));
} else {
  console.log(`wasm-peak: Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`(a) register-only f32x4 mul + add, ${CHAINS} chains: ${fmt(await loopPeak('split'))} GFLOP/s with independent muls and adds, ` +
    `${fmt(await loopPeak('chained'))} GFLOP/s with each add waiting for its mul`);
  const child = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', ...process.execArgv, fileURLToPath(import.meta.url), '--fma-child', '--seconds', String(SECONDS)], { encoding: 'utf8' });
  const fused = child.status === 0 ? JSON.parse(child.stdout.trim().split('\n').pop()!) as { loop: number; kernel: number } | null : null;
  console.log(`    register-only f32x4.relaxed_madd (--experimental-wasm-relaxed-simd): ${fused ? `${fmt(fused.loop)} GFLOP/s` : `n/a ${child.stderr.split('\n')[0]}`}`);
  console.log(`(b) engine's 4x8 micro-kernel in cache, plain build: ${fmt(await microKernel(false))} GFLOP/s; FMA build: ${fused ? fmt(fused.kernel) : 'n/a'} GFLOP/s`);

  if (!process.argv.includes('--skip-ort')) {
    const dir = mkdtempSync(join(tmpdir(), 'cnnlab-peak-'));
    try {
      const py = spawnSync('/usr/bin/python3', ['-c', EXPORT_PY, dir], { encoding: 'utf8' });
      if (!existsSync(join(dir, 'resnet50.onnx'))) {
        console.log(`(c) skipped: the ONNX export failed: ${py.stderr.trim().split('\n').pop()}`);
      } else {
        for (const threads of [1, 2]) {
          const o = await ortFigures(dir, threads);
          const w = await ourConvs(threads);
          console.log(`(c) ${threads} thread${threads > 1 ? 's' : ''}: onnxruntime-node 1x1 256→64 @56: ${fmt(o.c1x1a)}, 1x1 512→2048 @7: ${fmt(o.c1x1b)}, ` +
            `ResNet-50 forward ${o.resnet50ms.toFixed(1)} ms = ${fmt(o.resnet50)} GFLOP/s; ours 1x1 256→64 @56: ${fmt(w.c1x1a)}, 1x1 512→2048 @7: ${fmt(w.c1x1b)} GFLOP/s`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}
