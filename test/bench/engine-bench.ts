/**
 * Benchmarks the engine against reference runtimes in one run:
 *   (a) one 3x3 64->64 convolution at 224x224, pad 1 (1.85 G MACs), on the WebAssembly SIMD backend, and
 *   (b) whole forwards on one 3x224x224 image of VGG16 (samples/vgg16.cnn without its soft-max),
 *       ResNet-50 (samples/zoo/resnet50.cnn) and MobileNetV2 (samples/zoo/mobilenet_v2.cnn),
 * for ours, onnxruntime-node (native), onnxruntime-web (wasm backend) and @tensorflow/tfjs-backend-wasm,
 * each at 1 and 2 threads where the runtime allows. Every runtime runs in its own child process (a
 * wasm runtime fixes its thread count at start-up) on the same weights and input; all are loaded
 * first and then timed in interleaved rounds, and each one's logits are compared with torch's.
 *
 * Ours runs the .cnn files as the CLI does: analyze → planRun → forward with the plan's edges, the
 * SIMD backend, keep 'last' and fusion (fuse.ts), with the torch weights assigned to the layers in
 * execution order (the state_dict's order for these models). tfjs runs the same plan with tfjs ops
 * (NHWC, bn folded into the conv as a converted model has it, fused bias + relu/relu6).
 *
 * The ONNX models (~650 MB with weights) are exported into a temporary directory by Debian's
 * /usr/bin/python3 with torch and torchvision (torch.onnx.export), never committed; without them the
 * ONNX runtimes are skipped and the others run on the engine's He initialisation.
 *
 *   node --import tsx test/bench/engine-bench.ts [--quick] [--rounds N] [--models vgg16,resnet50,mobilenet_v2]
 *                                                [--runtimes ours,ort-node,ort-web,tfjs-wasm] [--threads 1,2] [--no-fuse]
 *                                                [--relaxed-simd]
 * (--relaxed-simd runs ours with Node 20's --experimental-wasm-relaxed-simd, so it loads its FMA build;
 * the runtime ours-fma runs that build beside the plain one, in the same rounds, and ours-fma-4x8 the FMA
 * build without its 6x8 GEMM blocks. Run with Node 22+ (`npm run bench` also runs it on the end-to-end
 * harness's Node 24), ours is the FMA build, with 6x8 blocks on V8 13+, as VS Code's Electron runs it.)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConvSpec, LayerSpec } from '../../server/src/language/types.js';
import type { ConvBackend } from '../../server/src/engine/backend.js';
import type { LayerParams } from '../../server/src/engine/weights.js';
import { rng } from '../helpers/random.js';

const MODELS = {
  vgg16: { file: 'samples/vgg16.cnn', title: 'VGG16' },
  resnet50: { file: 'samples/zoo/resnet50.cnn', title: 'ResNet-50' },
  mobilenet_v2: { file: 'samples/zoo/mobilenet_v2.cnn', title: 'MobileNetV2' },
} as const;
type ModelName = keyof typeof MODELS;
const CONV_A = { cin: 64, cout: 64, size: 224 };
const CONV_A_MACS = CONV_A.cin * CONV_A.cout * 9 * CONV_A.size * CONV_A.size;
const PYTHON = '/usr/bin/python3';
const repo = (f: string) => fileURLToPath(new URL(`../../${f}`, import.meta.url));

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const quick = process.argv.includes('--quick');
const noFuse = process.argv.includes('--no-fuse');
const relaxedSimd = process.argv.includes('--relaxed-simd');
const ROUNDS = Number(arg('--rounds') ?? (quick ? 2 : 5));
const modelList = (arg('--models')?.split(',') ?? Object.keys(MODELS)) as ModelName[];
const runtimeList = arg('--runtimes')?.split(',') ?? ['ours', 'ort-node', 'ort-web', 'tfjs-wasm'];
const threadList = (arg('--threads')?.split(',') ?? ['1', '2']).map(Number);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function randomArray(n: number, next: () => number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (next() * 2 - 1) * scale;
  return a;
}

/** A network as the engine runs it: the plan's layers and edges, without a final soft-max (the others give logits). */
interface Net {
  readonly layers: readonly LayerSpec[];
  readonly inputs: readonly (readonly number[])[];
  readonly inputShape: readonly [number, number, number];
  readonly macs: number;
}

async function loadNet(model: ModelName): Promise<Net> {
  const { analyze } = await import('../../server/src/analysis/analyze.js');
  const { planRun } = await import('../../server/src/run/plan.js');
  const plan = planRun(analyze(readFileSync(repo(MODELS[model].file), 'utf8'), model), undefined, { maxMacs: 1e12, maxMemoryBytes: 1e10 }, 'last');
  let { layers, inputs } = plan;
  if (layers[layers.length - 1].kind === 'softmax') { layers = layers.slice(0, -1); inputs = inputs.slice(0, -1); }
  return { layers, inputs, inputShape: plan.inputShape, macs: plan.macs };
}

/**
 * The torch weights of `model` (state_dict order, num_batches_tracked left out) assigned to the layers
 * in execution order, each tensor's name and shape checked; He initialisation when torch did not run.
 */
async function loadParams(dir: string, model: ModelName, net: Net): Promise<LayerParams[]> {
  const { firstInputShapes, hasParams, layerParamShapes } = await import('../../server/src/engine/shapes.js');
  const { initParams, PARAM_NAMES } = await import('../../server/src/engine/weights.js');
  const manifestFile = join(dir, `${model}-weights.json`);
  if (!existsSync(manifestFile)) return initParams(net.inputShape, net.layers, 0, net.inputs);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Array<{ name: string; shape: number[] }>;
  const buf = readFileSync(join(dir, `${model}-weights.bin`));
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  let at = 0, t = 0;
  const inShapes = firstInputShapes(net.inputShape, net.layers, net.inputs);
  const params = net.layers.map((spec, i) => {
    const p: LayerParams = {};
    if (!hasParams(spec)) return p;
    const shapes = layerParamShapes(spec, inShapes[i]);
    for (const [key, torchName] of PARAM_NAMES) {
      const want = shapes[key];
      if (!want) continue;
      const m = manifest[t++];
      if (!m || !m.name.endsWith(`.${torchName}`) || m.shape.join() !== want.join()) {
        throw new Error(`${model}: layer ${i} (${spec.kind}) wants ${torchName} [${want.join(', ')}], the state_dict has ${m ? `${m.name} [${m.shape.join(', ')}]` : 'nothing more'}`);
      }
      const n = want.reduce((x, y) => x * y, 1);
      p[key] = all.subarray(at, at + n);
      at += n;
    }
    return p;
  });
  if (t !== manifest.length || at !== all.length) throw new Error(`${model}: ${manifest.length - t} tensors of the state_dict were not used`);
  return params;
}

/** The shared input image (torch.rand), or a seeded one without torch. */
function loadInput(dir: string): Float32Array {
  const f = join(dir, 'input.bin');
  if (!existsSync(f)) return randomArray(3 * 224 * 224, rng(224), 1).map((v) => (v + 1) / 2);
  const b = readFileSync(f);
  return new Float32Array(b.buffer, b.byteOffset, 3 * 224 * 224);
}

const EXPORT_PY = String.raw`
import sys, json, torch, torch.nn as nn, torchvision
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
x = torch.rand(1, 3, 224, 224)
x.numpy().astype('float32').tofile(out + '/input.bin')
def calibrate(model):
    # Random affine bn parameters, and running statistics measured on the input itself (one batch
    # in train mode with a cumulative average), so every bn does real work at a realistic scale.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.uniform_(m.bias, -0.2, 0.2)
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        model(x)
    return model.eval()
models = {
    'vgg16': VGG16().eval(),
    'resnet50': calibrate(torchvision.models.resnet50()),
    'mobilenet_v2': calibrate(torchvision.models.mobilenet_v2()),
}
for name, model in models.items():
    with torch.no_grad():
        y = model(x)
    manifest = []
    with open(out + '/' + name + '-weights.bin', 'wb') as f:
        for key, t in model.state_dict().items():
            if key.endswith('num_batches_tracked'):
                continue
            t.detach().numpy().astype('float32').tofile(f)
            manifest.append({'name': key, 'shape': list(t.shape)})
    with open(out + '/' + name + '-weights.json', 'w') as f:
        json.dump(manifest, f)
    y.numpy().astype('float32').tofile(out + '/' + name + '-torch-logits.bin')
    torch.onnx.export(model, x, out + '/' + name + '.onnx', opset_version=13, input_names=['input'], output_names=['logits'])
conv = nn.Conv2d(64, 64, 3, padding=1).eval()
torch.onnx.export(conv, torch.rand(1, 64, 224, 224), out + '/conv64.onnx', opset_version=13,
                  input_names=['input'], output_names=['output'])
print('exported')
`;

/**
 * A runtime ready to be timed: `conv` runs (a), `models[m]` runs one forward of m and returns its
 * logits; `notes[m]` says why a model cannot run on it. `note` alone says the runtime cannot run here.
 */
type Runner = {
  readonly conv: () => Promise<unknown>;
  readonly models: Partial<Record<ModelName, () => Promise<ArrayLike<number>>>>;
  readonly notes: Partial<Record<ModelName, string>>;
} | { readonly note: string };

function convAInputs() {
  const next = rng(64);
  const { cin, cout, size } = CONV_A;
  return {
    input: randomArray(cin * size * size, next, 1),
    weight: randomArray(cout * cin * 9, next, 1 / Math.sqrt(cin * 9)),
    bias: randomArray(cout, next, 0.1),
  };
}

const why = (err: unknown) => `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;

// ----------------------------------------------------------------------------------------------
// Ours.

async function ours(dir: string, threads: number, fma = relaxedSimd, rows12: boolean | 'auto' = 'auto'): Promise<Runner> {
  const { createSimdBackend, simdLoadProblem, simdTuning } = await import('../../server/src/engine/simd/simd-backend.js');
  simdTuning.gemmRows12 = rows12;
  const { bufferPool, forward } = await import('../../server/src/engine/forward.js');
  const { tensor } = await import('../../server/src/engine/tensor.js');
  const backend: ConvBackend | null = await createSimdBackend({ threads });
  const { simdKernelVariant } = await import('../../server/src/engine/simd/simd-backend.js');
  if (fma && simdKernelVariant() !== 'fma') return { note: 'the FMA build did not load' };
  if (!backend) return { note: `WebAssembly SIMD unavailable: ${simdLoadProblem()}` };
  if (threads > 1 && simdLoadProblem()) return { note: simdLoadProblem()! };

  const a = convAInputs();
  const { cin, cout, size } = CONV_A;
  const outA = new Float32Array(cout * size * size);
  const specA: ConvSpec = { kind: 'conv', kernel: [3, 3], outChannels: cout, stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1, bias: true, depthwise: false };
  const conv = async () => backend.conv2d(outA, a.input, a.weight, a.bias, [cin, size, size], specA, [cout, size, size]);

  const input = tensor([3, 224, 224], loadInput(dir));
  const models: Partial<Record<ModelName, () => Promise<ArrayLike<number>>>> = {};
  for (const m of modelList) {
    const net = await loadNet(m);
    const params = await loadParams(dir, m, net);
    // One pool per network, as the CLI keeps one for --repeat: buffers of a run serve the next (in the
    // backend's WebAssembly memory, so its kernels read and write them in place).
    const pool = backend.bufferPool?.() ?? bufferPool();
    models[m] = async () => {
      const [out] = await forward(input, net.layers, params, { backend, inputs: net.inputs, keep: 'last', fuse: !noFuse, ...pool });
      const logits = out.data.slice();
      pool.free(out.data);
      return logits;
    };
  }
  return { conv, models, notes: {} };
}

// ----------------------------------------------------------------------------------------------
// onnxruntime-node and onnxruntime-web run the exported ONNX models.

async function ort(dir: string, threads: number, flavour: 'node' | 'web'): Promise<Runner> {
  if (!existsSync(join(dir, 'conv64.onnx'))) return { note: 'skipped: no ONNX models (torch export unavailable)' };
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
  const feeds = { input: new rt.Tensor('float32', loadInput(dir), [1, 3, 224, 224]) };
  const models: Partial<Record<ModelName, () => Promise<ArrayLike<number>>>> = {};
  const notes: Partial<Record<ModelName, string>> = {};
  for (const m of modelList) {
    try {
      const session = await rt.InferenceSession.create(new Uint8Array(readFileSync(join(dir, `${m}.onnx`))), options);
      models[m] = async () => (await session.run(feeds)).logits.data as Float32Array;
    } catch (err) {
      notes[m] = why(err);
    }
  }
  return { conv: () => convSession.run(convFeeds), models, notes };
}

// ----------------------------------------------------------------------------------------------
// @tensorflow/tfjs-backend-wasm runs the same plan as ours with tfjs ops (NHWC).

async function tfjs(dir: string, threads: number): Promise<Runner> {
  const tf = await import('@tensorflow/tfjs-core');
  type T = import('@tensorflow/tfjs-core').Tensor;
  type T4 = import('@tensorflow/tfjs-core').Tensor4D;
  const tfwasm = await import('@tensorflow/tfjs-backend-wasm');
  const { fusionPlan, foldBatchNorm } = await import('../../server/src/engine/fuse.js');
  const { graphInputs } = await import('../../server/src/engine/forward.js');
  tfwasm.setThreadsCount(threads);
  if (!(await tf.setBackend('wasm'))) return { note: 'wasm backend failed to start' };
  await tf.ready();
  if (threads > 1 && !tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')) {
    return { note: 'n/a: its threaded build needs blob: Web Workers, which Node lacks' };
  }
  /** (Cout, Cin, kH, kW) -> (kH, kW, Cin, Cout), or for a depthwise conv (C, 1, kH, kW) -> (kH, kW, C, 1). */
  const hwio = (w: Float32Array, o: number, i: number, kk: number): Float32Array => {
    const r = new Float32Array(w.length);
    for (let co = 0; co < o; co++) for (let c = 0; c < i; c++) for (let k = 0; k < kk; k++) r[(k * i + c) * o + co] = w[(co * i + c) * kk + k];
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
  const wA = tf.tensor4d(hwio(a.weight, cout, cin, 9), [3, 3, cin, cout]);
  const bA = tf.tensor1d(a.bias);
  const conv = async () => {
    const y = tf.fused.conv2d({ x: xA, filter: wA, strides: 1, pad: 'same', bias: bA });
    await y.data();
    y.dispose();
  };

  const x0 = tf.tensor4d(nhwc(loadInput(dir), 3, 224), [1, 224, 224, 3]);
  const models: Partial<Record<ModelName, () => Promise<ArrayLike<number>>>> = {};
  const notes: Partial<Record<ModelName, string>> = {};
  for (const m of modelList) {
    try {
      const net = await loadNet(m);
      const params = await loadParams(dir, m, net);
      const { firstInputShapes } = await import('../../server/src/engine/shapes.js');
      const inShapes = firstInputShapes(net.inputShape, net.layers, net.inputs);
      const edges = graphInputs(net.layers.length, net.inputs);
      const plan = fusionPlan(net.layers, edges);
      // One closure per layer that computes; absorbed layers have none.
      const steps: Array<{ at: number; from: readonly number[]; run: (xs: T[]) => T } | undefined> = net.layers.map((spec, i) => {
        const chain = plan[i];
        if (chain === 'absorbed') return undefined;
        const at = chain ? chain.last : i;
        const act = chain?.act;
        const p = params[i];
        const [c, h] = inShapes[i];
        if (spec.kind === 'conv') {
          let weight = p.weight!, bias = p.bias ?? null;
          if (chain?.bn !== undefined) {
            const bnSpec = net.layers[chain.bn];
            ({ weight, bias } = foldBatchNorm(weight, bias, params[chain.bn], bnSpec.kind === 'bn' ? bnSpec.eps ?? 1e-5 : 1e-5));
          }
          const g = spec.depthwise ? c : spec.groups;
          const o = spec.depthwise ? c : spec.outChannels;
          const [kh, kw] = spec.kernel;
          const pad = spec.padding[0] === spec.padding[1] ? spec.padding[0] : [[0, 0], [spec.padding[0], spec.padding[0]], [spec.padding[1], spec.padding[1]], [0, 0]];
          const b = bias ? tf.tensor1d(bias.slice()) : undefined;
          // dimRoundingMode 'floor': PyTorch's output size; without it tfjs keeps a fractional size for a stride-2 conv.
          const common = { strides: spec.stride as [number, number], pad: pad as unknown as 'valid', dilations: spec.dilation as [number, number], bias: b, activation: act, dimRoundingMode: 'floor' as const };
          if (g === 1 && chain?.residual !== undefined) {
            // A residual add fused into the chain (fuse.ts): the conv, then the add, then the activation.
            const filter = tf.tensor4d(hwio(weight, o, c, kh * kw), [kh, kw, c, o]);
            return {
              at, from: [...edges[i], chain.residual], run: ([x, r]) => {
                const y = tf.add(tf.fused.conv2d({ x: x as T4, filter, ...common, activation: undefined }), r);
                return act === 'relu' ? tf.relu(y) : act === 'relu6' ? tf.relu6(y) : y;
              },
            };
          }
          if (g === 1) {
            const filter = tf.tensor4d(hwio(weight, o, c, kh * kw), [kh, kw, c, o]);
            return { at, from: edges[i], run: ([x]) => tf.fused.conv2d({ x: x as T4, filter, ...common }) };
          }
          if (chain?.residual !== undefined) throw new Error('a residual add fused into a grouped conv is not built');
          if (g === c && o === c) {
            const filter = tf.tensor4d(hwio(weight, c, 1, kh * kw), [kh, kw, c, 1]);
            return { at, from: edges[i], run: ([x]) => tf.fused.depthwiseConv2d({ x: x as T4, filter, ...common }) };
          }
          throw new Error(`conv with ${g} groups not built`);
        }
        if (spec.kind === 'fc') {
          // (out, in) -> (in, out), so the product needs no transpose flag.
          const o = spec.outFeatures, k = p.weight!.length / o;
          const wt = new Float32Array(o * k);
          for (let r = 0; r < o; r++) for (let c = 0; c < k; c++) wt[c * o + r] = p.weight![r * k + c];
          const w = tf.tensor2d(wt, [k, o]);
          const b = p.bias ? tf.tensor1d(p.bias.slice()) : undefined;
          // Unfused: tfjs-backend-wasm 4.22's fused matMul with a bias gives wrong sums for VGG16's sizes.
          return {
            at, from: edges[i], run: ([x]) => {
              let y: T = tf.matMul(x.rank === 2 ? x : tf.reshape(x, [1, -1]), w);
              if (b) y = tf.add(y, b);
              return act === 'relu' ? tf.relu(y) : act === 'relu6' ? tf.relu6(y) : y;
            },
          };
        }
        const one = (f: (x: T) => T) => ({ at, from: edges[i], run: ([x]: T[]) => f(x) });
        switch (spec.kind) {
          case 'bn': {
            const q = params[i];
            const t1 = (v: Float32Array) => tf.tensor1d(v.slice());
            const [mean, variance, scale, offset] = [t1(q.runningMean!), t1(q.runningVar!), t1(q.weight!), t1(q.bias!)];
            return one((x) => tf.batchNorm(x, mean, variance, offset, scale, spec.eps ?? 1e-5));
          }
          case 'relu': return one((x) => tf.relu(x));
          case 'relu6': return one((x) => tf.relu6(x));
          case 'maxpool': {
            // tfjs-backend-wasm's maxPool gives wrong maxima with a numeric pad, so the padding is added
            // first as zeros: the same as −∞ here, where every max pool reads a relu's output.
            const [ph, pw] = spec.padding;
            return one((x) => tf.maxPool((ph || pw ? tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]]) : x) as T4,
              spec.kernel as [number, number], spec.stride as [number, number], 'valid'));
          }
          case 'gap': return one((x) => tf.mean(x, [1, 2], true));
          // Flatten in (C, H, W) order, as torch.flatten on NCHW.
          case 'flatten': return one((x) => (x.rank === 4 ? tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [1, -1]) : x));
          case 'dropout': return one((x) => x);
          // A fused add carries the relu after it (fuse.ts).
          case 'add': return { at, from: edges[i], run: (xs) => (act === 'relu' ? tf.relu(tf.addN(xs)) : tf.addN(xs)) };
          default: throw new Error(`no tfjs op for ${spec.kind} (${h})`);
        }
      });
      const n = net.layers.length;
      const forward = () => tf.tidy(() => {
        const outs: T[] = new Array(n);
        for (const s of steps) if (s) outs[s.at] = s.run(s.from.map((j) => (j < 0 ? x0 : outs[j])));
        return outs[n - 1];
      });
      models[m] = async () => { const y = forward(); const data = await y.data() as Float32Array; y.dispose(); return data; };
    } catch (err) {
      notes[m] = why(err);
    }
  }
  return { conv, models, notes };
}

// ----------------------------------------------------------------------------------------------
// The parent: prepare the models, run every child, print the tables.

const RUNTIMES: Record<string, { name: string; make: (dir: string, threads: number) => Promise<Runner> }> = {
  ours: { name: 'ours (wasm simd)', make: (dir, t) => ours(dir, t) },
  // The build VS Code's Electron and Node 22 load (relaxed SIMD's fused multiply-add), beside the plain one in the same rounds.
  'ours-fma': { name: 'ours (FMA build)', make: (dir, t) => ours(dir, t, true) },
  // The FMA build with the GEMM in 4x8 blocks only (the default before V8 13, and everywhere before the 6x8 blocks).
  'ours-fma-4x8': { name: 'ours (FMA, 4x8 only)', make: (dir, t) => ours(dir, t, true, false) },
  'ort-node': { name: 'onnxruntime-node', make: (dir, t) => ort(dir, t, 'node') },
  'ort-web': { name: 'onnxruntime-web (wasm)', make: (dir, t) => ort(dir, t, 'web') },
  'tfjs-wasm': { name: 'tfjs-backend-wasm', make: tfjs },
};

/**
 * A child process serving one runtime: it sets up, prints READY with its notes as JSON (or NOTE and
 * exits), then answers each line "conv" or "run MODEL" from the parent with "MS <wall ms>", and
 * "logits MODEL" with the logits.
 */
async function child(kind: string, threads: number, dir: string): Promise<void> {
  let runner: Runner;
  try {
    runner = await RUNTIMES[kind].make(dir, threads);
  } catch (err) {
    runner = { note: why(err) };
  }
  if ('note' in runner) {
    process.stdout.write(`NOTE ${runner.note}\n`);
    process.exit(0);
  }
  const r = runner;
  process.stdout.write(`READY ${JSON.stringify(r.notes)}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, model] = line.split(' ') as [string, ModelName];
    if (cmd === 'conv' || cmd === 'run') {
      const t0 = performance.now();
      await (cmd === 'conv' ? r.conv() : r.models[model]!());
      process.stdout.write(`MS ${performance.now() - t0}\n`);
    } else if (cmd === 'logits') {
      process.stdout.write(`LOGITS ${JSON.stringify(Array.from(await r.models[model]!()))}\n`);
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
    // --relaxed-simd gives our child Node 20's flag for relaxed SIMD (VS Code's Electron and Node 22 have it on).
    // Node 22+ (V8 12+) has relaxed SIMD on and no longer knows the flag.
    const flagged = Number(process.versions.v8.split('.')[0]) < 12;
    const flags = flagged && ((kind === 'ours' && relaxedSimd) || kind.startsWith('ours-fma')) ? ['--experimental-wasm-relaxed-simd'] : [];
    this.proc = spawn(process.execPath, [...flags, ...process.execArgv, self, ...process.argv.slice(2), '--child', kind, String(threads), dir],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      if (this.waiting) { const w = this.waiting; this.waiting = undefined; w(line); } else this.lines.push(line);
    });
    this.proc.stderr!.on('data', (d) => { this.stderr += d; });
    this.proc.on('close', (code) => this.waiting?.(`EXIT ${code}: ${this.lastWords()}`));
  }

  /** The first line of the child's error output that says what went wrong (not Node's version banner). */
  private lastWords(): string {
    const lines = this.stderr.trim().split('\n').filter((l) => l.trim() && !/^Node\.js v/.test(l) && !/^\s+at /.test(l));
    return (lines.find((l) => /^\w*Error|Aborted|out of memory/.test(l)) ?? lines.slice(-1)[0] ?? '').slice(0, 300);
  }

  /** The next line the child prints (EXIT ... if it dies first). */
  next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.proc.exitCode !== null) return Promise.resolve(`EXIT ${this.proc.exitCode}: ${this.lastWords()}`);
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
  if (!existsSync(PYTHON)) return `${PYTHON} not found: ONNX runtimes skipped, He-initialised weights`;
  const script = join(dir, 'export.py');
  writeFileSync(script, EXPORT_PY);
  const r = spawnSync(PYTHON, [script, dir], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0 || !existsSync(join(dir, 'conv64.onnx'))) {
    for (const m of Object.keys(MODELS)) rmSync(join(dir, `${m}-weights.json`), { force: true });
    const why = (r.stderr || r.error?.message || '').trim().split('\n').slice(-1)[0];
    return `torch export failed (${why}): ONNX runtimes skipped, He-initialised weights`;
  }
  return 'torch.onnx.export of VGG16, torchvision resnet50 and mobilenet_v2 (seed 0; bn statistics measured on the input)';
}

/** max |a - b| / max |b|, formatted. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): string {
  let ref = 0, m = 0;
  for (let i = 0; i < b.length; i++) { ref = Math.max(ref, Math.abs(b[i])); m = Math.max(m, Math.abs(a[i] - b[i])); }
  return (m / ref).toExponential(1);
}

/** What the parent learns about one runtime at one thread count. */
interface Result {
  readonly kind: string;
  readonly runtime: string;
  readonly threads: number;
  note?: string;
  notes: Partial<Record<ModelName, string>>;
  conv: number[];
  ms: Partial<Record<ModelName, number[]>>;
  logits: Partial<Record<ModelName, number[]>>;
}

function table(header: string[], rows: string[][], left: number[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (left.includes(i) ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'cnnlab-bench-'));
  try {
    console.log(`engine-bench: Node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ` +
      `${quick ? 'quick, ' : ''}medians of ${ROUNDS} rounds after a warm-up${noFuse ? ', ours unfused' : ''}`);
    const t0 = performance.now();
    console.log(`models: ${prepareModels(dir)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

    const results: Result[] = [];
    const live: Array<{ r: Result; c: ChildRuntime }> = [];
    for (const kind of runtimeList) {
      for (const threads of threadList) {
        const c = new ChildRuntime(kind, threads, dir);
        const first = await c.next();
        const r: Result = { kind, runtime: RUNTIMES[kind].name, threads, notes: {}, conv: [], ms: {}, logits: {} };
        results.push(r);
        if (first.startsWith('READY')) {
          r.notes = JSON.parse(first.slice(6)) as Result['notes'];
          live.push({ r, c });
        } else r.note = first.replace(/^NOTE /, '');
        const notes = Object.entries(r.notes).map(([m, n]) => `${m}: ${n}`).join('; ');
        console.log(`  ${r.runtime} x${threads}: ${r.note ?? 'loaded'}${notes ? ` (${notes})` : ''}`);
      }
    }
    const has = (r: Result, m: ModelName) => !r.notes[m] && !r.note;
    /** Times one command; a child that answers anything else (it died: EXIT and its last words) is dropped. */
    const time = async (l: { r: Result; c: ChildRuntime }, command: string): Promise<number | undefined> => {
      if (l.r.note) return undefined;
      const line = await l.c.ask(command);
      if (line.startsWith('MS ')) return Number(line.slice(3));
      l.r.note = `failed at '${command}': ${line}`;
      console.log(`  ${l.r.runtime} x${l.r.threads} ${l.r.note}`);
      return undefined;
    };
    for (const l of live) { await time(l, 'conv'); for (const m of modelList) if (has(l.r, m)) await time(l, `run ${m}`); } // warm-up
    // Every runtime is loaded first, then timed in rounds that visit each in turn, so a burst of
    // load from elsewhere on the machine lands on all of them rather than on one.
    for (let round = 0; round < ROUNDS; round++) {
      for (const l of live) { const t = await time(l, 'conv'); if (t !== undefined) l.r.conv.push(t); }
      for (const m of modelList) {
        for (const l of live) {
          if (!has(l.r, m)) continue;
          const t = await time(l, `run ${m}`);
          if (t !== undefined) (l.r.ms[m] ??= []).push(t);
        }
      }
      console.log(`  round ${round + 1}/${ROUNDS} (load ${loadavg()[0].toFixed(1)}): ` + modelList.map((m) => `${m} ` +
        live.filter((l) => l.r.ms[m]?.[round] !== undefined).map((l) => `${l.r.kind}x${l.r.threads} ${l.r.ms[m]![round].toFixed(0)}`).join(' ')).join(' | '));
    }
    for (const l of live) {
      for (const m of modelList) {
        if (!has(l.r, m) || !l.r.ms[m]) continue;
        const line = await l.c.ask(`logits ${m}`);
        if (line.startsWith('LOGITS ')) l.r.logits[m] = JSON.parse(line.slice(7)) as number[];
      }
      l.c.quit();
    }

    const oursAt = (threads: number) => results.find((r) => r.kind === 'ours' && r.threads === threads && r.conv.length)
      ?? results.find((r) => r.kind === 'ours' && r.conv.length);
    const med = (xs?: number[]) => (xs?.length ? median(xs) : undefined);
    const ratio = (theirs?: number, mine?: number) => (theirs && mine ? (theirs / mine).toFixed(2) : '-');
    const gflops = (macs: number, t?: number) => (t ? (2 * macs / t / 1e6).toFixed(1) : '-');
    console.log(`\n(a) conv 3x3 ${CONV_A.cin}->${CONV_A.cout} at ${CONV_A.size}x${CONV_A.size} pad 1: ${(CONV_A_MACS / 1e9).toFixed(2)} G MACs. ` +
      'time/ours is against ours at the same thread count, > 1 = slower than ours.\n');
    console.log(table(['runtime', 'threads', 'conv ms', 'GFLOP/s', 'time/ours'], results.map((r) => [
      r.runtime, String(r.threads), med(r.conv)?.toFixed(1) ?? '-', gflops(CONV_A_MACS, med(r.conv)), ratio(med(r.conv), med(oursAt(r.threads)?.conv)),
    ]), [0, 1]));
    for (const m of modelList) {
      const net = await loadNet(m);
      const torchFile = join(dir, `${m}-torch-logits.bin`);
      const torchLogits = existsSync(torchFile) ? new Float32Array(new Uint8Array(readFileSync(torchFile)).buffer) : undefined;
      const ref = torchLogits ?? oursAt(1)?.logits[m];
      console.log(`\n(b) ${MODELS[m].title} forward 3x224x224: ${(net.macs / 1e9).toFixed(2)} G MACs; logits against ${torchLogits ? 'torch' : 'ours x1'}\n`);
      console.log(table(['runtime', 'threads', 'ms', 'GFLOP/s', 'time/ours', 'max|diff|/max|logit|'], results.map((r) => [
        r.runtime, String(r.threads), med(r.ms[m])?.toFixed(0) ?? '-', gflops(net.macs, med(r.ms[m])), ratio(med(r.ms[m]), med(oursAt(r.threads)?.ms[m])),
        r.logits[m] && ref ? relDiff(r.logits[m]!, ref) : (r.note ?? r.notes[m] ?? '-'),
      ]), [0, 1, 5]));
    }
    console.log('\ngoals (ours / onnxruntime-node <= 1.5 for VGG16, <= 2 for the others; onnxruntime-web and tfjs-wasm / ours >= 2):');
    for (const m of modelList) {
      for (const threads of threadList) {
        const o = med(results.find((r) => r.kind === 'ours' && r.threads === threads)?.ms[m]);
        const at = (kind: string) => med(results.find((r) => r.kind === kind && r.threads === threads)?.ms[m]);
        console.log(`  ${MODELS[m].title.padEnd(11)} x${threads}: ours/ort-node ${ratio(o, at('ort-node'))}, ort-web/ours ${ratio(at('ort-web'), o)}, tfjs-wasm/ours ${ratio(at('tfjs-wasm'), o)}`);
      }
    }
    console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s; load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')} ` +
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
