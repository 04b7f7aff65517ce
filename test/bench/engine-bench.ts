/**
 * Benchmarks the WebAssembly SIMD backend against reference runtimes in one run:
 *   (a) one 3x3 64->64 convolution at 224x224, pad 1 (1.85 G MACs), and
 *   (b) a whole VGG16 forward on 3x224x224 (13 conv + 5 maxpool + 3 fc, 15.47 G MACs),
 * for ours, onnxruntime-node (native), onnxruntime-web (wasm backend) and @tensorflow/tfjs-backend-wasm,
 * each at 1 and 2 threads where the runtime allows. Every runtime runs in its own child process (a
 * wasm runtime fixes its thread count at start-up) on the same weights and input; all are loaded
 * first and then timed in interleaved rounds, and each one's VGG16 logits are compared with ours.
 *
 * The ONNX models (VGG16 is ~528 MB with weights) are exported into a temporary directory by
 * Debian's /usr/bin/python3 with torch (torch.onnx.export), never committed; without it the ONNX
 * runtimes are skipped with a message.
 *
 *   node --import tsx test/bench/engine-bench.ts [--quick]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConvSpec } from '../../server/src/language/types.js';
import type { ConvBackend } from '../../server/src/engine/backend.js';
import { rng } from '../helpers/random.js';

const VGG16_CFG: ReadonlyArray<number | 'M'> = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];
const FC_SIZES: ReadonlyArray<readonly [number, number]> = [[512 * 7 * 7, 4096], [4096, 4096], [4096, 1000]];
const CONV_A = { cin: 64, cout: 64, size: 224 };
const PYTHON = '/usr/bin/python3';
const quick = process.argv.includes('--quick');

/** Multiply-accumulates of the VGG16 forward: convs at their map sizes plus the three fc layers. */
function vggMacs(): number {
  let macs = 0, c = 3, size = 224;
  for (const v of VGG16_CFG) {
    if (v === 'M') { size /= 2; continue; }
    macs += c * v * 9 * size * size;
    c = v;
  }
  for (const [i, o] of FC_SIZES) macs += i * o;
  return macs;
}
const CONV_A_MACS = CONV_A.cin * CONV_A.cout * 9 * CONV_A.size * CONV_A.size;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function randomArray(n: number, next: () => number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (next() * 2 - 1) * scale;
  return a;
}

/** One conv or fc layer's parameters, views into the shared weights file (PyTorch layouts). */
interface Param { readonly weight: Float32Array; readonly bias: Float32Array }

/** Reads vgg16-weights.bin (conv OIHW weight then bias, in order, then fc (out, in) weight then bias). */
function loadVggParams(dir: string): { convs: Param[]; fcs: Param[]; input: Float32Array } {
  const buf = readFileSync(join(dir, 'vgg16-weights.bin'));
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  let at = 0;
  const take = (n: number) => { const v = all.subarray(at, at + n); at += n; return v; };
  const convs: Param[] = [];
  let c = 3;
  for (const v of VGG16_CFG) {
    if (v === 'M') continue;
    convs.push({ weight: take(v * c * 9), bias: take(v) });
    c = v;
  }
  const fcs = FC_SIZES.map(([i, o]) => ({ weight: take(i * o), bias: take(o) }));
  if (at !== all.length) throw new Error(`vgg16-weights.bin has ${all.length} floats, expected ${at}`);
  const ib = readFileSync(join(dir, 'input.bin'));
  return { convs, fcs, input: new Float32Array(ib.buffer, ib.byteOffset, 3 * 224 * 224) };
}

/** Writes seeded random VGG16 weights and input when torch is not there to make them. */
function writeRandomVgg(dir: string): void {
  const next = rng(16);
  const parts: Float32Array[] = [];
  let c = 3;
  for (const v of VGG16_CFG) {
    if (v === 'M') continue;
    parts.push(randomArray(v * c * 9, next, 1 / Math.sqrt(c * 9)), randomArray(v, next, 1 / Math.sqrt(c * 9)));
    c = v;
  }
  for (const [i, o] of FC_SIZES) parts.push(randomArray(i * o, next, 1 / Math.sqrt(i)), randomArray(o, next, 1 / Math.sqrt(i)));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  writeFileSync(join(dir, 'vgg16-weights.bin'), new Uint8Array(all.buffer));
  writeFileSync(join(dir, 'input.bin'), new Uint8Array(randomArray(3 * 224 * 224, next, 1).buffer));
}

const EXPORT_PY = String.raw`
import sys, torch, torch.nn as nn
out = sys.argv[1]
torch.manual_seed(0)
cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M']
layers, c = [], 3
for v in cfg:
    if v == 'M':
        layers.append(nn.MaxPool2d(2, 2))
    else:
        layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
        c = v
class VGG16(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Linear(4096, 4096),
                                        nn.ReLU(True), nn.Linear(4096, 1000))
    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))
model = VGG16().eval()
x = torch.rand(1, 3, 224, 224)
with torch.no_grad():
    y = model(x)
with open(out + '/vgg16-weights.bin', 'wb') as f:
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.weight.detach().numpy().astype('float32').tofile(f)
            m.bias.detach().numpy().astype('float32').tofile(f)
x.numpy().astype('float32').tofile(out + '/input.bin')
y.numpy().astype('float32').tofile(out + '/torch-logits.bin')
torch.onnx.export(model, x, out + '/vgg16.onnx', opset_version=13, input_names=['input'], output_names=['logits'])
conv = nn.Conv2d(64, 64, 3, padding=1).eval()
torch.onnx.export(conv, torch.rand(1, 64, 224, 224), out + '/conv64.onnx', opset_version=13,
                  input_names=['input'], output_names=['output'])
print('exported')
`;

/**
 * A runtime ready to be timed: one call of `conv` runs (a), one call of `vgg` runs (b) and returns
 * the logits. `note` instead says why the runtime cannot run here.
 */
type Runner = { readonly conv: () => Promise<unknown>; readonly vgg: () => Promise<ArrayLike<number>> } | { readonly note: string };

/** What the parent learns about one runtime. */
interface Result {
  readonly runtime: string;
  readonly threads: number;
  convMs?: number;
  vggMs?: number;
  logits?: number[];
  note?: string;
}

const ROUNDS = quick ? 2 : 5;

function convAInputs() {
  const next = rng(64);
  const { cin, cout, size } = CONV_A;
  return {
    input: randomArray(cin * size * size, next, 1),
    weight: randomArray(cout * cin * 9, next, 1 / Math.sqrt(cin * 9)),
    bias: randomArray(cout, next, 0.1),
  };
}

// ----------------------------------------------------------------------------------------------
// Ours.

function conv3x3(cout: number): ConvSpec {
  return { kind: 'conv', kernel: [3, 3], outChannels: cout, stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1, bias: true, depthwise: false };
}

function reluInPlace(x: Float32Array): void {
  for (let i = 0; i < x.length; i++) if (!(x[i] > 0)) x[i] = 0;
}

/** 2x2 stride-2 max pooling of a (C, H, W) map into (C, H/2, W/2). */
function maxpool2(out: Float32Array, inp: Float32Array, c: number, h: number, w: number): void {
  const ho = h >> 1, wo = w >> 1;
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < ho; y++) {
      const r0 = (ch * h + 2 * y) * w, r1 = r0 + w, o = (ch * ho + y) * wo;
      for (let x = 0; x < wo; x++) {
        out[o + x] = Math.max(inp[r0 + 2 * x], inp[r0 + 2 * x + 1], inp[r1 + 2 * x], inp[r1 + 2 * x + 1]);
      }
    }
  }
}

async function ours(dir: string, threads: number): Promise<Runner> {
  const { createSimdBackend, simdLoadProblem } = await import('../../server/src/engine/simd/simd-backend.js');
  const backend: ConvBackend | null = await createSimdBackend({ threads });
  if (!backend) return { note: `WebAssembly SIMD unavailable: ${simdLoadProblem()}` };
  if (threads > 1 && simdLoadProblem()) return { note: simdLoadProblem()! };

  const a = convAInputs();
  const { cin, cout, size } = CONV_A;
  const outA = new Float32Array(cout * size * size);
  const conv = async () =>
    backend.conv2d(outA, a.input, a.weight, a.bias, [cin, size, size], conv3x3(cout), [cout, size, size]);

  // The layer buffers are allocated once, as the engine does, so page faults are not timed.
  const { convs, fcs, input } = loadVggParams(dir);
  const plan: Array<{ kind: 'conv'; c: number; o: number; s: number; p: Param; out: Float32Array } | { kind: 'pool'; c: number; s: number; out: Float32Array }> = [];
  let c = 3, s = 224, ci = 0;
  for (const v of VGG16_CFG) {
    if (v === 'M') { plan.push({ kind: 'pool', c, s, out: new Float32Array(c * (s / 2) * (s / 2)) }); s /= 2; continue; }
    plan.push({ kind: 'conv', c, o: v, s, p: convs[ci++], out: new Float32Array(v * s * s) });
    c = v;
  }
  const fcOut = FC_SIZES.map(([, o]) => new Float32Array(o));
  const forward = (): Float32Array => {
    let x = input;
    for (const l of plan) {
      if (l.kind === 'conv') {
        backend.conv2d(l.out, x, l.p.weight, l.p.bias, [l.c, l.s, l.s], conv3x3(l.o), [l.o, l.s, l.s]);
        reluInPlace(l.out);
      } else {
        maxpool2(l.out, x, l.c, l.s, l.s);
      }
      x = l.out;
    }
    for (const [i, [inF, outF]] of FC_SIZES.entries()) {
      backend.fc(fcOut[i], x, fcs[i].weight, fcs[i].bias, inF, outF);
      if (i < FC_SIZES.length - 1) reluInPlace(fcOut[i]);
      x = fcOut[i];
    }
    return x;
  };
  return { conv, vgg: async () => forward() };
}

// ----------------------------------------------------------------------------------------------
// onnxruntime-node and onnxruntime-web run the exported ONNX models.

async function ort(dir: string, threads: number, flavour: 'node' | 'web'): Promise<Runner> {
  if (!existsSync(join(dir, 'vgg16.onnx'))) return { note: 'skipped: no ONNX models (torch export unavailable)' };
  type Ort = typeof import('onnxruntime-node');
  let rt: Ort;
  let options: Record<string, unknown>;
  if (flavour === 'node') {
    rt = await import('onnxruntime-node');
    options = { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
  } else {
    const web = await import('onnxruntime-web');
    web.env.wasm.numThreads = threads;
    web.env.wasm.simd = true;
    rt = web as unknown as Ort;
    options = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  }
  const a = convAInputs();
  const { cin, size } = CONV_A;
  const convSession = await rt.InferenceSession.create(new Uint8Array(readFileSync(join(dir, 'conv64.onnx'))), options);
  const convFeeds = { input: new rt.Tensor('float32', a.input, [1, cin, size, size]) };
  const { input } = loadVggParams(dir);
  const session = await rt.InferenceSession.create(new Uint8Array(readFileSync(join(dir, 'vgg16.onnx'))), options);
  const feeds = { input: new rt.Tensor('float32', input, [1, 3, 224, 224]) };
  return {
    conv: () => convSession.run(convFeeds),
    vgg: async () => (await session.run(feeds)).logits.data as Float32Array,
  };
}

// ----------------------------------------------------------------------------------------------
// @tensorflow/tfjs-backend-wasm builds the same network from tfjs ops (NHWC, fused bias + relu).

async function tfjs(dir: string, threads: number): Promise<Runner> {
  const tf = await import('@tensorflow/tfjs-core');
  const tfwasm = await import('@tensorflow/tfjs-backend-wasm');
  tfwasm.setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) return { note: 'wasm backend failed to start' };
  await tf.ready();
  if (threads > 1 && !tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')) {
    return { note: 'n/a: its threaded build needs blob: Web Workers, which Node lacks' };
  }
  // (Cout, Cin, kH, kW) -> (kH, kW, Cin, Cout)
  const hwio = (w: Float32Array, o: number, i: number): Float32Array => {
    const r = new Float32Array(w.length);
    for (let co = 0; co < o; co++) for (let c = 0; c < i; c++) for (let k = 0; k < 9; k++) r[(k * i + c) * o + co] = w[(co * i + c) * 9 + k];
    return r;
  };
  const nhwc = (x: Float32Array, c: number, s: number): Float32Array => {
    const r = new Float32Array(x.length);
    for (let ch = 0; ch < c; ch++) for (let p = 0; p < s * s; p++) r[p * c + ch] = x[ch * s * s + p];
    return r;
  };

  const a = convAInputs();
  const { cin, cout, size } = CONV_A;
  const xA = tf.tensor4d(nhwc(a.input, cin, size), [1, size, size, cin]);
  const wA = tf.tensor4d(hwio(a.weight, cout, cin), [3, 3, cin, cout]);
  const bA = tf.tensor1d(a.bias);
  const conv = async () => {
    const y = tf.fused.conv2d({ x: xA, filter: wA, strides: 1, pad: 'same', bias: bA });
    await y.data();
    y.dispose();
  };

  const { convs, fcs, input } = loadVggParams(dir);
  let c = 3;
  const convT = convs.map((p, i) => {
    const o = p.bias.length;
    // Copies (slice), not views into the weights file: tfjs-wasm reads a typed array from its buffer's start.
    const t = { w: tf.tensor4d(hwio(p.weight, o, c), [3, 3, c, o]), b: tf.tensor1d(p.bias.slice()) };
    c = o;
    void i;
    return t;
  });
  const fcT = FC_SIZES.map(([i, o], k) => ({ w: tf.tensor2d(fcs[k].weight.slice(), [o, i]), b: tf.tensor1d(fcs[k].bias.slice()) }));
  const x0 = tf.tensor4d(nhwc(input, 3, 224), [1, 224, 224, 3]);
  const forward = () => tf.tidy(() => {
    let x: import('@tensorflow/tfjs-core').Tensor = x0;
    let k = 0;
    for (const v of VGG16_CFG) {
      if (v === 'M') { x = tf.maxPool(x as import('@tensorflow/tfjs-core').Tensor4D, 2, 2, 'valid'); continue; }
      x = tf.fused.conv2d({ x: x as import('@tensorflow/tfjs-core').Tensor4D, filter: convT[k].w, strides: 1, pad: 'same', bias: convT[k].b, activation: 'relu' });
      k++;
    }
    // Flatten in (C, H, W) order, as torch.flatten on NCHW.
    x = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [1, 512 * 7 * 7]);
    // Unfused: tfjs-backend-wasm 4.22's fused matMul with a bias gives wrong sums for these sizes.
    for (const [i, f] of fcT.entries()) {
      x = tf.add(tf.matMul(x as import('@tensorflow/tfjs-core').Tensor2D, f.w, false, true), f.b);
      if (i < fcT.length - 1) x = tf.relu(x);
    }
    return x;
  });
  return {
    conv,
    vgg: async () => { const y = forward(); const data = await y.data() as Float32Array; y.dispose(); return data; },
  };
}

// ----------------------------------------------------------------------------------------------
// The parent: prepare the models, run every child, print the table.

const RUNTIMES: Record<string, { name: string; make: (dir: string, threads: number) => Promise<Runner> }> = {
  ours: { name: 'ours (wasm simd)', make: ours },
  'ort-node': { name: 'onnxruntime-node', make: (dir, t) => ort(dir, t, 'node') },
  'ort-web': { name: 'onnxruntime-web (wasm)', make: (dir, t) => ort(dir, t, 'web') },
  'tfjs-wasm': { name: 'tfjs-backend-wasm', make: tfjs },
};

/**
 * A child process serving one runtime: it sets up, prints READY (or NOTE and exits), then answers
 * each line "conv" or "vgg" from the parent with "MS <wall ms>", and "logits" with the logits.
 */
async function child(kind: string, threads: number, dir: string): Promise<void> {
  let runner: Runner;
  try {
    runner = await RUNTIMES[kind].make(dir, threads);
  } catch (err) {
    runner = { note: `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
  if ('note' in runner) {
    process.stdout.write(`NOTE ${runner.note}\n`);
    process.exit(0);
  }
  const r = runner;
  process.stdout.write('READY\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'conv' || line === 'vgg') {
      const t0 = performance.now();
      await (line === 'conv' ? r.conv() : r.vgg());
      process.stdout.write(`MS ${performance.now() - t0}\n`);
    } else if (line === 'logits') {
      process.stdout.write(`LOGITS ${JSON.stringify(Array.from(await r.vgg()))}\n`);
    } else {
      break;
    }
  }
  process.exit(0);
}

/** The parent's handle on a child: send a command, await its one-line answer. */
class ChildRuntime {
  private readonly lines: string[] = [];
  private waiting: ((line: string) => void) | undefined;
  private readonly proc: ChildProcess;
  private stderr = '';

  constructor(kind: string, threads: number, dir: string) {
    const self = fileURLToPath(import.meta.url);
    this.proc = spawn(process.execPath, [...process.execArgv, self, '--child', kind, String(threads), dir],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      if (this.waiting) { const w = this.waiting; this.waiting = undefined; w(line); } else this.lines.push(line);
    });
    this.proc.stderr!.on('data', (d) => { this.stderr += d; });
    this.proc.on('close', (code) => this.waiting?.(`EXIT ${code}: ${this.stderr.trim().split('\n').slice(-1)[0] ?? ''}`));
  }

  /** The next line the child prints (EXIT ... if it dies first). */
  next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.proc.exitCode !== null) return Promise.resolve(`EXIT ${this.proc.exitCode}`);
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  async ask(command: string): Promise<string> {
    this.proc.stdin!.write(`${command}\n`);
    return this.next();
  }

  quit(): void {
    this.proc.stdin!.end('quit\n');
  }
}

function prepareModels(dir: string): string {
  if (!existsSync(PYTHON)) { writeRandomVgg(dir); return `${PYTHON} not found: ONNX runtimes skipped, random weights`; }
  const script = join(dir, 'export.py');
  writeFileSync(script, EXPORT_PY);
  const r = spawnSync(PYTHON, [script, dir], { encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0 || !existsSync(join(dir, 'vgg16.onnx'))) {
    writeRandomVgg(dir);
    const why = (r.stderr || r.error?.message || '').trim().split('\n').slice(-1)[0];
    return `torch export failed (${why}): ONNX runtimes skipped, random weights`;
  }
  return 'VGG16 and the conv exported by torch.onnx.export (torch weights, seed 0)';
}

/** max |a - b| / max |b|, formatted. */
function relDiff(a: number[], b: ArrayLike<number>): string {
  let ref = 0;
  for (let i = 0; i < b.length; i++) ref = Math.max(ref, Math.abs(b[i]));
  return (maxAbsDiff(a, b) / ref).toExponential(1);
}

function maxAbsDiff(a: number[], b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function main(): Promise<void> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'cnnlab-bench-'));
  try {
    console.log(`engine-bench: Node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(2)}; ` +
      `${quick ? 'quick, ' : ''}medians of ${ROUNDS} rounds after a warm-up`);
    const t0 = performance.now();
    console.log(`models: ${prepareModels(dir)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

    const plan: Array<[string, number]> = [
      ['ours', 1], ['ours', 2], ['ort-node', 1], ['ort-node', 2], ['ort-web', 1], ['ort-web', 2], ['tfjs-wasm', 1], ['tfjs-wasm', 2],
    ];
    // Every runtime is loaded first, then timed in rounds that visit each in turn, so a burst of
    // load from elsewhere on the machine lands on all of them rather than on one.
    const results: Result[] = [];
    const live: Array<{ r: Result; c: ChildRuntime; conv: number[]; vgg: number[] }> = [];
    for (const [kind, threads] of plan) {
      const c = new ChildRuntime(kind, threads, dir);
      const first = await c.next();
      const r: Result = { runtime: RUNTIMES[kind].name, threads };
      results.push(r);
      if (first === 'READY') live.push({ r, c, conv: [], vgg: [] });
      else r.note = first.replace(/^NOTE /, '');
      console.log(`  ${r.runtime} x${threads}: ${r.note ?? 'loaded'}`);
    }
    const ms = (line: string) => {
      if (!line.startsWith('MS ')) throw new Error(`child said: ${line}`);
      return Number(line.slice(3));
    };
    for (const l of live) { await l.c.ask('conv'); await l.c.ask('vgg'); } // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const l of live) l.conv.push(ms(await l.c.ask('conv')));
      for (const l of live) l.vgg.push(ms(await l.c.ask('vgg')));
      console.log(`  round ${round + 1}/${ROUNDS}: ` + live.map((l) => `${l.r.runtime} x${l.r.threads} ${l.vgg[round].toFixed(0)}`).join(', '));
    }
    for (const l of live) {
      l.r.convMs = median(l.conv);
      l.r.vggMs = median(l.vgg);
      const line = await l.c.ask('logits');
      if (line.startsWith('LOGITS ')) l.r.logits = JSON.parse(line.slice(7)) as number[];
      l.c.quit();
    }

    const ours = results[0];
    // Each row is compared with ours at the same thread count when that ran, else with ours x1.
    const oursAt = (threads: number) => results.find((r) => r.runtime === ours.runtime && r.threads === threads && r.vggMs) ?? ours;
    const torchLogits = existsSync(join(dir, 'torch-logits.bin'))
      ? new Float32Array(new Uint8Array(readFileSync(join(dir, 'torch-logits.bin'))).buffer) : undefined;
    const gflops = (macs: number, ms?: number) => (ms ? (2 * macs / ms / 1e6).toFixed(1) : '-');
    const ratio = (theirs?: number, mine?: number) => (theirs && mine ? (theirs / mine).toFixed(2) : '-');
    const rows = results.map((r) => [
      r.runtime, String(r.threads),
      r.convMs?.toFixed(1) ?? '-', gflops(CONV_A_MACS, r.convMs), ratio(r.convMs, oursAt(r.threads).convMs),
      r.vggMs?.toFixed(0) ?? '-', gflops(vggMacs(), r.vggMs), ratio(r.vggMs, oursAt(r.threads).vggMs),
      r.logits && ours.logits ? relDiff(r.logits, ours.logits) : (r.note ?? '-'),
    ]);
    const header = ['runtime', 'threads', 'conv ms', 'GFLOP/s', 'time/ours', 'VGG16 ms', 'GFLOP/s', 'time/ours',
                    'logits: max|diff|/max|logit| vs ours'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
    const line = (cells: string[]) => cells.map((cell, i) => (i < 2 || i === 8 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
    console.log(`\n(a) conv 3x3 ${CONV_A.cin}->${CONV_A.cout} at ${CONV_A.size}x${CONV_A.size} pad 1: ${(CONV_A_MACS / 1e9).toFixed(2)} G MACs;` +
      ` (b) VGG16 forward 3x224x224: ${(vggMacs() / 1e9).toFixed(2)} G MACs. GFLOP/s = 2 x MACs / time; time/ours is against ours at the same thread count, > 1 = slower than ours.\n`);
    console.log(line(header));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of rows) console.log(line(row));
    if (torchLogits && ours.logits) {
      let maxRef = 0;
      for (const v of torchLogits) maxRef = Math.max(maxRef, Math.abs(v));
      console.log(`\nours vs torch logits: max |diff| ${maxAbsDiff(ours.logits, torchLogits).toExponential(2)}, ` +
        `relative to max |logit| ${relDiff(ours.logits, torchLogits)}`);
    }
    console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s; load average now ${loadavg()[0].toFixed(2)} ` +
      '(other processes on the machine slow every row; compare rows of one run)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  await child(process.argv[childAt + 1], Number(process.argv[childAt + 2]), process.argv[childAt + 3]);
} else {
  await main();
}
