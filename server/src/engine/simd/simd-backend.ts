/**
 * The WebAssembly SIMD ConvBackend: convolutions as packed SGEMMs (Winograd F(4x4, 3x3) or
 * F(2x2, 3x3) for 3x3 stride-1 layers, im2col otherwise) and fully connected layers as a blocked
 * matrix-vector product.
 * The kernels are in kernels.wat; this file lays out their one memory and drives them.
 *
 * Layouts, as everywhere in the engine: an image is (C, H, W), a conv weight (Cout, Cin/groups, kH, kW)
 * and an fc weight (outF, inF), all row-major Float32Array without a batch axis.
 *
 * Threads: `createSimdBackend({ threads: n })` starts n - 1 worker threads on the same shared
 * WebAssembly memory; a convolution is split between them and the calling thread, which blocks
 * (Atomics.wait) until all parts are done, so conv2d stays synchronous. fc runs on the calling
 * thread only (it is bound by copying the weights in). The default is 1 thread.
 */
import { Worker } from 'node:worker_threads';
import type { ConvSpec, PoolSpec } from '../../language/types.js';
import type { Activation, ConvBackend } from '../backend.js';
import { loadKernelBytes, WASM_PATH_ENV } from './load-wasm.js';

/** The kernels' exports; every pointer and stride is in bytes (kernels.wat documents each layout). */
interface Kernels {
  gemm(ap: number, apStride: number, bp: number, k: number, c: number, ldc: number, mp: number, np: number, acc: number,
       bias: number, res: number, lo: number, hi: number): void;
  gemv(w: number, x: number, y: number, rows: number, k: number): void;
  pack_a(w: number, rows: number, k: number, ap: number, mp: number): void;
  clamp(x: number, n: number, lo: number, hi: number): void;
  add_clamp(x: number, r: number, n: number, lo: number, hi: number): void;
  job_wino_filter(args: number): void;
  job_wino_blocks(args: number): void;
  job_im2col(args: number): void;
  job_dw3x3(args: number): void;
  job_gemv(args: number): void;
  job_pad(args: number): void;
  job_maxpool(args: number): void;
  /** 1: the GEMM's groups of 12 rows take 6x8 blocks (gemm_b12); per instance. */
  rows12?: WebAssembly.Global;
}

/** The exports a worker can be asked to run, by index in the control block. */
const JOBS = ['job_wino_filter', 'job_wino_blocks', 'job_im2col', 'job_dw3x3', 'job_gemv', 'job_pad', 'job_maxpool'] as const;
type Job = (typeof JOBS)[number];

/** Rows of the micro-kernel's C block (output channels). */
const MR = 4;
/** Columns of the micro-kernel's C block (output pixels or Winograd tiles). */
const NR = 8;
/** Bytes of fc weight copied into WebAssembly memory at a time: the copy streams, the product hits L2. */
const FC_CHUNK_BYTES = 256 * 1024;
/** Below this many multiply-accumulates a layer runs on one thread: waking workers costs more. */
const MIN_PARALLEL_MACS = 4e6;
/**
 * A depthwise multiply-accumulate's time in GEMM ones (MobileNetV2's 3x3 depthwise layers take 0.35–0.7
 * ms per million on one thread, its 1x1 GEMMs 0.05: the planes' copies and reads, not the arithmetic,
 * bound them), so that a depthwise layer is split between threads from the same time as a GEMM (two
 * threads: 1.6–1.9x on every one that is, instead of 1.0 for the 2.7 M-MAC 112x112 one at 2 ms).
 */
const DEPTHWISE_MAC_COST = 10;
/** Bytes reserved for one job's argument record. */
const ARGS_BYTES = 128;
/**
 * Bytes of prepared weights a backend keeps in its WebAssembly memory by default: packed GEMM panels,
 * Winograd-transformed filters and fc matrices, made on a layer's first call and reused while the
 * caller passes the same weight array (VGG16 needs about 0.75 GB, ResNet-50 about 0.2 GB). Past the
 * limit the cache starts over; the memory itself never shrinks.
 */
const CACHE_BYTES = 1 << 30;
/** Values of a weight array compared on a cache hit, so a buffer refilled in place is prepared again. */
const FINGERPRINT = 16;

/**
 * Block sizes and path choices. Exported only so the benchmark and tests can compare paths; the
 * engine never changes them.
 */
export const simdTuning = {
  /** Use Winograd for 3x3 stride-1 dilation-1 ungrouped convs with Cin >= winogradMinCin. */
  winograd: true,
  /** Output tile: 2 for F(2x2, 3x3), 4 for F(4x4, 3x3), 'auto' for the one with fewer multiplications. */
  winogradTile: 'auto' as 2 | 4 | 'auto',
  /** Below this many input channels a Winograd GEMM is too short (k = Cin) to beat im2col (k = 9 Cin). */
  winogradMinCin: 8,
  /**
   * Winograd tiles per block at most (a multiple of 8), or 'auto': 32 keeps a block's V and M near
   * L2, but every block streams all of U again, so layers whose U is 4 MB or more take 256.
   */
  winogradTiles: 'auto' as number | 'auto',
  /** Output pixels per im2col block (a multiple of 8) and rows of the reduction per block. */
  gemmNC: 128,
  gemmKC: 256,
  /** Let the im2col GEMM accumulate whole blocks in the output, with the bias in its epilogue, instead of a scratch C and copy_out. */
  gemmDirect: true,
  /** Split the output channels between threads, not the pixels, when a thread's pixels would be fewer than this. */
  gemmRowSplitBelow: 64,
  /** Let pointwise convs' GEMM read the input rows in place where that pays (see inPlace). */
  gemmInPlace: true,
  /** Max pooling in WebAssembly (job_maxpool) where its horizontal stride is 1 or 2. */
  maxpool: true,
  /** Use the direct kernel (job_dw3x3) for 3x3 depthwise convs of stride 1 or 2. */
  depthwise: true,
  /** Load the relaxed-SIMD (fused multiply-add) build where the runtime has it; read at the first createSimdBackend. */
  fma: true,
  /**
   * 6x8 GEMM blocks for groups of 12 output rows (kernels.wat's gemm_b12), or 'auto': with the FMA
   * build on V8 13 or later, where they are 1.15x faster than 4x8 (V8 11 and 12 spill them: 0.75x).
   * Read at each createSimdBackend.
   */
  gemmRows12: 'auto' as boolean | 'auto',
  /** Milliseconds a thread polls for its next job (or a worker's result) before it sleeps; read at createSimdBackend. */
  spinMs: 0.5,
};

/** V8's major version (13 in Node 24 and VS Code's Electron 37), or 0 where the runtime does not say. */
function v8Major(): number {
  return Number(/^(\d+)\./.exec(process.versions.v8 ?? '')?.[1] ?? 0);
}

/** Whether a backend made now takes 6x8 GEMM blocks (see simdTuning.gemmRows12). */
function wantRows12(): boolean {
  return simdTuning.gemmRows12 === 'auto' ? variant === 'fma' && v8Major() >= 13 : simdTuning.gemmRows12;
}

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** Throws with a message that prints the shapes when a precondition fails. */
function check(ok: boolean, message: () => string): asserts ok {
  if (!ok) throw new Error(`simd conv2d/fc: ${message()}`);
}

/** Splits [0, n) into `parts` contiguous ranges as even as possible. */
function split(n: number, parts: number): Array<[number, number]> {
  return Array.from({ length: parts }, (_, i) => [Math.floor((n * i) / parts), Math.floor((n * (i + 1)) / parts)]);
}

/** Hands out 64-byte aligned byte offsets into the kernels' memory for one call, from `top` on. */
class Layout {
  constructor(public top: number) {}
  /** Reserves `floats` f32 slots (plus `slackBytes` readable bytes after them); returns the byte offset. */
  take(floats: number, slackBytes = 0): number {
    const at = this.top;
    this.top = roundUp(at + floats * 4 + slackBytes, 64);
    return at;
  }
}

/**
 * The code of a worker, run with `eval` so no extra file has to sit beside the bundle. It
 * instantiates the kernels on the shared memory and then loops: wait for its slot's sequence
 * number to change, run the named job on the argument record, publish 1 (done) or 2 (failed).
 * Slot layout (Int32Array, 4 per worker): [sequence, job index or -1 to quit, argument pointer, status].
 * A failed job leaves its reason (a WebAssembly trap's message) in the worker's ERROR_BYTES of
 * `errors`, NUL-terminated, for the calling thread, which cannot receive messages while it waits.
 */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, control, errors, errorBytes, slot, jobs, rows12, spinMs } = workerData;
function fail(err) {
  const text = new TextEncoder().encode(String(err && err.message || err)).subarray(0, errorBytes - 1);
  errors.set(text, slot * errorBytes);
  errors[slot * errorBytes + text.length] = 0;
}
const base = slot * 4;
let fns;
try {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  if (instance.exports.rows12) instance.exports.rows12.value = rows12;
  fns = jobs.map((name) => instance.exports[name]);
  parentPort.postMessage('ready');
} catch (err) {
  Atomics.store(control, base + 3, 3);
  parentPort.postMessage(String(err));
  throw err;
}
let seen = 0;
for (;;) {
  // A forward's next layer usually comes within a fraction of a millisecond: poll for it that long
  // before sleeping, since waking a sleeping thread (a futex, an idle vCPU) can cost as much as a layer.
  const until = performance.now() + spinMs;
  while (Atomics.load(control, base) === seen && performance.now() < until);
  Atomics.wait(control, base, seen);
  seen = Atomics.load(control, base);
  const job = Atomics.load(control, base + 1);
  if (job < 0) break;
  let status = 1;
  try { fns[job](Atomics.load(control, base + 2)); } catch (err) { fail(err); status = 2; }
  Atomics.store(control, base + 3, status);
  Atomics.notify(control, base + 3);
}
`;

/** Bytes of each worker's slot for the reason a job failed. */
const ERROR_BYTES = 256;

/** Worker threads that run kernel jobs on the shared memory while the calling thread runs its own part. */
class ThreadPool {
  private constructor(private readonly workers: Worker[], private readonly control: Int32Array, private readonly errors: Uint8Array,
                      private readonly spinMs: number) {}

  /** Starts `count` workers and waits until each has instantiated the kernels. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, count: number, rows12: number, spinMs: number): Promise<ThreadPool> {
    const control = new Int32Array(new SharedArrayBuffer(4 * 4 * Math.max(1, count)));
    const errors = new Uint8Array(new SharedArrayBuffer(ERROR_BYTES * Math.max(1, count)));
    const workers = Array.from({ length: count }, (_, slot) =>
      new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control, errors, errorBytes: ERROR_BYTES, slot, jobs: JOBS, rows12, spinMs } }));
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(`simd worker: ${String(m)}`))));
      w.once('error', reject);
    })));
    // Idle workers must not keep the process alive.
    for (const w of workers) w.unref();
    return new ThreadPool(workers, control, errors, spinMs);
  }

  /** Stops the workers (a backend that is garbage collected gets this through `pools` below). */
  close(): void {
    for (const [i, w] of this.workers.entries()) {
      Atomics.store(this.control, i * 4 + 1, -1);
      Atomics.add(this.control, i * 4, 1);
      Atomics.notify(this.control, i * 4);
      void w.terminate();
    }
  }

  /** The reason worker `slot` left for its failed job. */
  private reason(slot: number): string {
    const bytes = this.errors.subarray(slot * ERROR_BYTES, (slot + 1) * ERROR_BYTES);
    const end = bytes.indexOf(0);
    // TextDecoder does not read shared memory directly: copy the bytes out first.
    return new TextDecoder().decode(bytes.slice(0, end < 0 ? bytes.length : end)) || 'no reason given';
  }

  /** Threads including the caller. */
  get size(): number {
    return this.workers.length + 1;
  }

  /** Runs `job` on argument record args[0] here and args[i] on worker i-1; returns when all are done. */
  run(kernels: Kernels, job: Job, args: readonly number[]): void {
    const c = this.control;
    const index = JOBS.indexOf(job);
    for (let i = 1; i < args.length; i++) {
      const base = (i - 1) * 4;
      Atomics.store(c, base + 1, index);
      Atomics.store(c, base + 2, args[i]);
      Atomics.store(c, base + 3, 0);
      Atomics.add(c, base, 1);
      Atomics.notify(c, base);
    }
    kernels[job](args[0]);
    for (let i = 1; i < args.length; i++) {
      const base = (i - 1) * 4;
      let status: number;
      const until = performance.now() + this.spinMs;
      while (Atomics.load(c, base + 3) === 0 && performance.now() < until);
      while ((status = Atomics.load(c, base + 3)) === 0) {
        if (Atomics.wait(c, base + 3, 0, 120_000) === 'timed-out') throw new Error(`simd worker ${i} did not finish ${job}`);
      }
      if (status !== 1) throw new Error(`simd worker ${i} failed in ${job}: ${this.reason(i - 1)}`);
    }
  }
}

/**
 * Drives the kernels of one WebAssembly instance. Its memory only grows, so after the largest layer
 * every call reuses pages that are already mapped (a fresh page costs a fault of ~12 µs on a VM).
 */
class SimdBackend implements ConvBackend {
  private f32: Float32Array;
  private i32: Int32Array;
  /** End of the prepared weights, which sit at [64, persistTop); each call's scratch starts here. */
  private persistTop = 64;
  /** Prepared copies per weight array and form ('wino4', 'packed', 'fc'). */
  private prepared = new WeakMap<Float32Array, Map<string, { at: number; print: Float32Array }>>();
  /** Bytes of prepared weights so far (they never move: tensors from bufferPool sit between them). */
  private preparedBytes = 0;
  /** Every SharedArrayBuffer object the memory has had (one per size): arrays over them are in the kernels' memory. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();

  constructor(private readonly k: Kernels, private readonly memory: WebAssembly.Memory, private readonly pool: ThreadPool | null,
              private readonly cacheBytes: number) {
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.buffers.add(this.f32.buffer);
  }

  /**
   * The byte offset of `weight` prepared in the form `key` (`bytes` long), which `prepare(at)` writes
   * on a miss using scratch from persistTop on; -1 when it would not fit the cache at all.
   */
  private preparedAt(weight: Float32Array, key: string, bytes: number, prepare: (at: number) => void): number {
    const forms = this.prepared.get(weight);
    const hit = forms?.get(key);
    if (hit && samePrint(hit.print, weight)) return hit.at;
    // Full: the layers not prepared yet copy their weights in at every call, as without a cache.
    if (this.preparedBytes + bytes > this.cacheBytes) return -1;
    this.preparedBytes += bytes;
    const at = this.persistTop;
    this.persistTop = roundUp(at + bytes, 64);
    this.reserve(this.persistTop);
    prepare(at);
    const map = this.prepared.get(weight) ?? new Map();
    map.set(key, { at, print: fingerprint(weight) });
    this.prepared.set(weight, map);
    return at;
  }

  /**
   * Whether a pointwise conv's GEMM reads B from the input rows in place instead of packing them
   * (gemm-shapes.ts, one thread): in place saves the packing, which few A panels (mp <= 32) do not
   * amortise, and costs little when rows are at most 1 KB apart (maps up to 16x16); at 28x28 and
   * 56x56 with 64 or more output channels the strided reads cost 5-9% more than packing saves.
   */
  private static inPlace(P: number, mp: number): boolean {
    return simdTuning.gemmInPlace && (mp <= 32 || P * 4 <= 1024);
  }

  /** The clamp bounds of a fused activation. */
  private static bounds(act?: Activation): [number, number] {
    return act === 'relu' ? [0, Infinity] : act === 'relu6' ? [0, 6] : [-Infinity, Infinity];
  }

  /** Grows the memory to at least `bytes` and refreshes the views. */
  private reserve(bytes: number): void {
    const short = bytes - this.memory.buffer.byteLength;
    if (short > 0) this.memory.grow(Math.ceil(short / 65536));
    if (this.f32.length * 4 !== this.memory.buffer.byteLength) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
    this.buffers.add(this.f32.buffer);
  }

  /**
   * Where a fused residual sits in the kernels' memory: its own offset when it lies there, else
   * room for it in `L` (call `residualIn` after reserving to copy it in); 0 without one.
   */
  private residualPlace(residual: Float32Array | undefined, L: Layout): number {
    if (!residual) return 0;
    const at = this.offsetOf(residual);
    return at >= 0 ? at : L.take(residual.length);
  }

  /** Copies a residual placed by residualPlace into the memory unless it already lies there. */
  private residualIn(residual: Float32Array | undefined, at: number): void {
    if (residual && this.offsetOf(residual) !== at) this.f32.set(residual, at / 4);
  }

  /** The byte offset of `a` when it lies in the kernels' memory (from bufferPool), else -1. */
  private offsetOf(a: Float32Array): number {
    return this.buffers.has(a.buffer) ? a.byteOffset : -1;
  }

  /**
   * Buffers inside the kernels' memory, recycled by length: a conv or fc whose input and output come
   * from here reads and writes them in place instead of copying them in and out. A shared memory
   * never moves when it grows, so the arrays stay valid. They are never given back to the system.
   */
  bufferPool(): { alloc: (n: number, overwritten?: boolean) => Float32Array; free: (buffer: Float32Array) => void } {
    const waiting = new Map<number, Float32Array[]>();
    return {
      alloc: (n, overwritten) => {
        let b = waiting.get(n)?.pop();
        if (!b) {
          const at = this.persistTop;
          this.persistTop = roundUp(at + 4 * n, 64);
          this.reserve(this.persistTop);
          // The bytes may hold an earlier call's scratch: zeroed below unless the caller overwrites them.
          b = new Float32Array(this.f32.buffer, at, n);
        }
        return overwritten ? b : b.fill(0);
      },
      free: (buffer) => {
        if (this.offsetOf(buffer) < 0) return;
        const list = waiting.get(buffer.length) ?? [];
        list.push(buffer);
        waiting.set(buffer.length, list);
      },
    };
  }

  /** Threads to use for a layer of `macs` multiply-accumulates. */
  private threadsFor(macs: number): number {
    return this.pool && macs >= MIN_PARALLEL_MACS ? this.pool.size : 1;
  }

  /** Runs `job` once per argument record, in parallel when there is more than one. */
  private runJob(job: Job, args: readonly number[]): void {
    if (args.length === 1 || !this.pool) for (const a of args) this.k[job](a);
    else this.pool.run(this.k, job, args);
  }

  conv2d(out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null,
         inShape: [number, number, number], spec: ConvSpec, outShape: [number, number, number], act?: Activation,
         residual?: Float32Array): void {
    const [cin, h, w] = inShape;
    const [cout, ho, wo] = outShape;
    const [kh, kw] = spec.kernel;
    const [sh, sw] = spec.stride;
    const [ph, pw] = spec.padding;
    const [dh, dw] = spec.dilation;
    const g = spec.groups;
    const shapes = () => `inp (${inShape.join(', ')}), out (${outShape.join(', ')}), kernel ${kh}x${kw}, ` +
      `stride ${sh}x${sw}, pad ${ph}x${pw}, dilation ${dh}x${dw}, groups ${g}`;
    check(g >= 1 && cin % g === 0 && cout % g === 0, () => `channels not divisible by groups: ${shapes()}`);
    check(cout === spec.outChannels, () => `spec.outChannels ${spec.outChannels} != out channels: ${shapes()}`);
    check(ho === Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1 &&
          wo === Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1 && ho > 0 && wo > 0,
          () => `output size does not follow from ${shapes()}`);
    check(inp.length === cin * h * w, () => `inp has ${inp.length} floats for ${shapes()}`);
    check(out.length === cout * ho * wo, () => `out has ${out.length} floats for ${shapes()}`);
    check(weight.length === cout * (cin / g) * kh * kw,
          () => `weight has ${weight.length} floats, want (${cout}, ${cin / g}, ${kh}, ${kw}) for ${shapes()}`);
    check(bias === null || bias.length === cout, () => `bias has ${bias?.length} floats for ${shapes()}`);
    check(residual === undefined || residual.length === out.length, () => `residual has ${residual?.length} floats for ${shapes()}`);

    if (kh === 3 && kw === 3 && sh === 1 && sw === 1 && dh === 1 && dw === 1 && g === 1 &&
        simdTuning.winograd && cin >= simdTuning.winogradMinCin) {
      this.convWinograd(out, inp, weight, bias, cin, h, w, cout, ho, wo, ph, pw, act, residual);
    } else if (kh === 3 && kw === 3 && sh === sw && (sh === 1 || sh === 2) && dh === 1 && dw === 1 && g === cin && g === cout &&
               ph === pw && simdTuning.depthwise) {
      this.convDepthwise3x3(out, inp, weight, bias, cin, h, w, ho, wo, sh, ph, act, residual);
    } else {
      this.convIm2col(out, inp, weight, bias, inShape, spec, outShape, act, residual);
    }
  }

  maxPool2d(out: Float32Array, inp: Float32Array, inShape: [number, number, number], spec: Pick<PoolSpec, 'kernel' | 'stride' | 'padding'>,
            outShape: [number, number, number]): boolean {
    const [c, h, w] = inShape;
    const [, ho, wo] = outShape;
    const [kh, kw] = spec.kernel, [sh, sw] = spec.stride, [ph, pw] = spec.padding;
    if (!simdTuning.maxpool || (sw !== 1 && sw !== 2)) return false;
    check(inp.length === c * h * w && out.length === outShape[0] * ho * wo && outShape[0] === c,
          () => `maxpool: inp (${inShape.join(', ')}) has ${inp.length} floats, out (${outShape.join(', ')}) ${out.length}`);
    // The plane: the input with a -inf border wide enough for every window and every vector of 4
    // outputs (the last one's lanes past Wo included), plus 8 floats of slack per row.
    const hp = Math.max(h + 2 * ph, (ho - 1) * sh + kh);
    const wp = roundUp(Math.max(w + 2 * pw, sw * (roundUp(wo, 4) - 1) + kw + 8), 4);
    // Bound by reading and copying planes, like a depthwise conv: a window's compare counts as such a MAC.
    const threads = Math.min(c, this.threadsFor(DEPTHWISE_MAC_COST * c * ho * wo * kh * kw));
    const L = new Layout(this.persistTop);
    const inAt = this.offsetOf(inp), outAt = this.offsetOf(out);
    const src = inAt >= 0 ? inAt : L.take(c * h * w);
    const res = outAt >= 0 ? outAt : L.take(c * ho * wo);
    const perThread = Array.from({ length: threads }, () => ({ scratch: L.take(hp * wp), args: L.take(ARGS_BYTES / 4) }));
    this.reserve(L.top);
    const i32 = this.i32;
    if (inAt < 0) this.f32.set(inp, src / 4);
    const args = split(c, threads).map(([c0, c1], i) => {
      const t = perThread[i];
      i32.set([src, h, w, res, ho, wo, kh, kw, sh, sw, ph, pw, c0, c1, t.scratch, hp, wp], t.args / 4);
      return t.args;
    });
    this.runJob('job_maxpool', args);
    if (outAt < 0) out.set(this.f32.subarray(res / 4, res / 4 + c * ho * wo));
    return true;
  }

  /**
   * A depthwise 3x3 convolution (groups = channels), stride 1 or 2: job_dw3x3 per range of channels,
   * each thread copying its channels into a zero-bordered plane of its own.
   */
  private convDepthwise3x3(out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null,
                           c: number, h: number, w: number, ho: number, wo: number, stride: number, pad: number, act?: Activation,
                           residual?: Float32Array): void {
    const threads = Math.min(c, this.threadsFor(DEPTHWISE_MAC_COST * c * 9 * ho * wo));
    const L = new Layout(this.persistTop);
    const inAt = this.offsetOf(inp), outAt = this.offsetOf(out);
    const src = inAt >= 0 ? inAt : L.take(c * h * w);
    const wgt = L.take(c * 9);
    const bs = L.take(c);
    const res = outAt >= 0 ? outAt : L.take(c * ho * wo);
    const wp = w + 2 * pad;
    const perThread = Array.from({ length: threads }, () => ({ scratch: L.take((h + 2 * pad + 1) * wp + 32), args: L.take(ARGS_BYTES / 4) }));
    const rAt = this.residualPlace(residual, L);
    this.reserve(L.top);
    this.residualIn(residual, rAt);
    const f32 = this.f32, i32 = this.i32;
    if (inAt < 0) f32.set(inp, src / 4);
    f32.set(weight, wgt / 4);
    if (bias) f32.set(bias, bs / 4); else f32.fill(0, bs / 4, bs / 4 + c);
    // With a residual the clamp comes after the add, in add_clamp.
    const [lo, hi] = SimdBackend.bounds(residual ? undefined : act);
    const args = split(c, threads).map(([c0, c1], i) => {
      const t = perThread[i];
      i32.set([src, h, w, wgt, bs, res, ho, wo, stride, pad, c0, c1, t.scratch], t.args / 4);
      f32[t.args / 4 + 13] = lo;
      f32[t.args / 4 + 14] = hi;
      return t.args;
    });
    this.runJob('job_dw3x3', args);
    if (residual) this.k.add_clamp(res, rAt, c * ho * wo, ...SimdBackend.bounds(act));
    if (outAt < 0) out.set(this.f32.subarray(res / 4, res / 4 + c * ho * wo));
  }

  /**
   * Winograd F(m x m, 3x3) with m = 2 or 4: transform the filters (U), then for each block of tiles
   * transform the input (V), run (m+2)² GEMMs M_ξ = U_ξ · V_ξ and transform M back into m x m output
   * tiles. With several threads each one takes a range of tile blocks or of output channels.
   */
  private convWinograd(out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null,
                       cin: number, h: number, w: number, cout: number, ho: number, wo: number,
                       ph: number, pw: number, act?: Activation, residual?: Float32Array): void {
    const tiles2 = Math.ceil(wo / 2) * Math.ceil(ho / 2);
    const tiles4 = Math.ceil(wo / 4) * Math.ceil(ho / 4);
    // F(4x4) multiplies 36 times per tile, F(2x2) 16 times; F(4x4)'s transforms cost a bit more. The
    // GEMMs run on tiles in groups of 8 (NR), so a small map counts its tiles rounded up: at 7x7,
    // F(4x4)'s 4 tiles cost as 8, and F(2x2)'s 16 win (with half the transformed filters to stream).
    const m = simdTuning.winogradTile === 'auto' ? (36 * roundUp(tiles4, NR) <= 0.9 * 16 * roundUp(tiles2, NR) ? 4 : 2) : simdTuning.winogradTile;
    const alpha = m + 2;
    const nXi = alpha * alpha;
    const tilesX = Math.ceil(wo / m);
    const tilesY = Math.ceil(ho / m);
    const tiles = tilesX * tilesY;
    // The padded input covers every tile's patch: m*tiles + 2 >= H + 2P on each axis; and at least
    // one row below the image, where job_pad's last fill of a plane starts.
    const hp = Math.max(m * tilesY + 2, h + ph + 1);
    const wp = m * tilesX + 2;
    const coutp = roundUp(cout, MR);
    const panels = coutp / MR;
    const threads = this.threadsFor(cin * cout * 9 * ho * wo);
    const uBytes = nXi * coutp * cin * 4;
    const Tmax = simdTuning.winogradTiles === 'auto' ? (uBytes >= 4 << 20 ? 256 : 32) : simdTuning.winogradTiles;
    // Threads take ranges of tile blocks when there are plenty (no work is repeated), else ranges
    // of output channels (each thread then transforms the whole, small, input itself).
    const byChannels = Math.ceil(tiles / Tmax) < 4 * threads && panels >= 2 * threads;
    // Blocks of equal size, so the last one is not mostly empty.
    const share = byChannels ? tiles : Math.ceil(tiles / threads);
    const T = roundUp(Math.ceil(share / Math.ceil(share / Tmax)), NR);
    // Strides between the U_ξ, V_ξ and M_ξ matrices, one cache line more than their size: the
    // transforms touch all of them at once, and power-of-two strides would put them in one L1 set.
    const uXi = coutp * cin * 4 + 64;
    const vXi = cin * T * 4 + 64;
    const mXi = coutp * T * 4 + 64;

    // The transformed filters U, made once per weight array (by threads sharing the panels).
    const transform = (u: number, from: number) => {
      const S = new Layout(from);
      const wgt = S.take(cout * cin * 9);
      const scratch = Array.from({ length: threads }, () => ({ s: S.take(512), args: S.take(ARGS_BYTES / 4) }));
      this.reserve(S.top);
      this.f32.set(weight, wgt / 4);
      this.runJob('job_wino_filter', split(panels, threads).map(([a, b], i) => {
        this.i32.set([wgt, cout, cin, u, uXi, a, b, alpha, scratch[i].s], scratch[i].args / 4);
        return scratch[i].args;
      }));
    };
    const cached = this.preparedAt(weight, `wino${alpha} ${cout}x${cin}`, nXi * uXi, (at) => transform(at, this.persistTop));

    const L = new Layout(this.persistTop);
    const u = cached >= 0 ? cached : L.take(nXi * uXi / 4);
    const padded = L.take(cin * hp * wp, 8);
    const inAt = this.offsetOf(inp);
    const src = inAt >= 0 ? inAt : L.take(cin * h * w);
    const outAt = this.offsetOf(out);
    const res = outAt >= 0 ? outAt : L.take(cout * ho * wo);
    const bs = L.take(coutp);
    const perThread = Array.from({ length: threads }, () => ({
      v: L.take(nXi * vXi / 4), m: L.take(nXi * mXi / 4), scratch: L.take(512 + T / 2), args: L.take(ARGS_BYTES / 4),
    }));
    const rAt = this.residualPlace(residual, L);
    this.reserve(L.top);
    this.residualIn(residual, rAt);
    const f32 = this.f32, i32 = this.i32;

    // The zero-bordered input, each thread padding a share of the channels (a copy per row from
    // TypeScript costs a typed-array view per row: 10% of VGG16 on one thread).
    if (inAt < 0) f32.set(inp, src / 4);
    f32.fill(0, padded / 4 + cin * hp * wp, padded / 4 + cin * hp * wp + 2);
    this.runJob('job_pad', split(cin, Math.min(cin, threads)).map(([c0, c1], i) => {
      const args = perThread[i].args;
      i32.set([src, padded, h, w, hp, wp, ph, pw, c0, c1], args / 4);
      return args;
    }));
    if (bias) f32.set(bias, bs / 4); else f32.fill(0, bs / 4, bs / 4 + cout);
    // Too big for the cache: transformed into this call's scratch, after the rest of its layout.
    if (cached < 0) transform(u, L.top);

    const plane = ho * wo * 4;
    const blockArgs = perThread.map((t, i) => {
      // Output channels [c0, c1) and tiles [t0, t1) of this thread.
      let c0 = 0, c1 = cout, t0 = 0, t1 = tiles;
      if (byChannels) {
        const [a, b] = split(panels, threads)[i];
        c0 = a * MR;
        c1 = Math.min(cout, b * MR);
      } else {
        const [a, b] = split(Math.ceil(tiles / T), threads)[i];
        t0 = a * T;
        t1 = Math.min(tiles, b * T);
      }
      i32.set([padded, cin, hp * wp * 4, wp * 4, tilesX, tiles, T, t.v, vXi, u + (c0 / MR) * cin * MR * 4, uXi, t.m, mXi,
               roundUp(c1 - c0, MR), c1 - c0, res + c0 * plane, ho, wo, bs + c0 * 4, t.scratch, t0, t1, alpha], t.args / 4);
      // The output transform clamps (a fused activation); with a residual, add_clamp does after the add.
      [f32[t.args / 4 + 23], f32[t.args / 4 + 24]] = SimdBackend.bounds(residual ? undefined : act);
      return t.args;
    });
    this.runJob('job_wino_blocks', blockArgs);
    if (residual) this.k.add_clamp(res, rAt, cout * ho * wo, ...SimdBackend.bounds(act));
    if (outAt < 0) out.set(this.f32.subarray(res / 4, res / 4 + cout * ho * wo));
  }

  /**
   * Any convolution as one GEMM per group, out_g (Cout/g, Ho*Wo) = W_g (Cout/g, K) · col_g (K, Ho*Wo)
   * with K = Cin/g*kH*kW, blocked over output pixels (NC) and the reduction (KC). A 1x1 stride-1
   * unpadded conv reads the input as col directly. Threads split the groups, or the pixel blocks.
   */
  private convIm2col(out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null,
                     inShape: [number, number, number], spec: ConvSpec, outShape: [number, number, number], act?: Activation,
                     residual?: Float32Array): void {
    const [cin, h, w] = inShape;
    const [cout, ho, wo] = outShape;
    const [kh, kw] = spec.kernel;
    const g = spec.groups;
    const cinG = cin / g;
    const coutG = cout / g;
    const K = cinG * kh * kw;
    const P = ho * wo;
    const mp = roundUp(coutG, MR);
    const pointwise = kh === 1 && kw === 1 && spec.stride[0] === 1 && spec.stride[1] === 1 &&
      spec.padding[0] === 0 && spec.padding[1] === 0;
    const threads = this.threadsFor(cout * K * P);
    const byGroups = g >= threads;
    // Threads split the output channels instead of the pixels when a thread's share of the pixels
    // would be short (7x7 maps: two halves of 49 are 32 and 24 columns, padded to 8) and the weights
    // outweigh the input (mp >= 4K): each thread then reads only its part of the weights, but packs
    // all of B, which costs more than it saves when K is long (gemm-shapes.ts --threads 2: 512→2048
    // at 7x7 7% faster, 960→160 13% slower).
    const byRows = !byGroups && threads > 1 && Math.ceil(P / threads) < simdTuning.gemmRowSplitBelow &&
      mp >= 8 * threads && mp >= 4 * K;
    const NC = Math.min(simdTuning.gemmNC, roundUp(byGroups || byRows ? P : Math.ceil(P / threads), NR));
    const KC = Math.min(simdTuning.gemmKC, K);

    // Every group's weights packed as GEMM panels once per weight array.
    const packed = this.preparedAt(weight, `packed ${g}x${coutG}x${K}`, g * mp * K * 4, (at) => {
      const S = new Layout(this.persistTop);
      const wgt = S.take(cout * K);
      this.reserve(S.top);
      this.f32.set(weight, wgt / 4);
      for (let gi = 0; gi < g; gi++) this.k.pack_a(wgt + gi * coutG * K * 4, coutG, K, at + gi * mp * K * 4, mp);
    });

    const L = new Layout(this.persistTop);
    const inAt = this.offsetOf(inp), outAt = this.offsetOf(out);
    const src = inAt >= 0 ? inAt : L.take(cin * h * w);
    const wgt = packed < 0 ? L.take(cout * K) : 0;
    const res = outAt >= 0 ? outAt : L.take(cout * P);
    const bs = L.take(cout);
    const geo = L.take(12);
    const perThread = Array.from({ length: threads }, () => ({
      ap: packed < 0 ? L.take(mp * K) : packed, bp: L.take(KC * NC), c: L.take(mp * NC), args: L.take(ARGS_BYTES / 4),
    }));
    const rAt = this.residualPlace(residual, L);
    this.reserve(L.top);
    this.residualIn(residual, rAt);
    const f32 = this.f32, i32 = this.i32;

    if (inAt < 0) f32.set(inp, src / 4);
    if (packed < 0) f32.set(weight, wgt / 4);
    if (bias) f32.set(bias, bs / 4); else f32.fill(0, bs / 4, bs / 4 + cout);
    i32.set([h, w, kh, kw, spec.stride[0], spec.stride[1], spec.padding[0], spec.padding[1],
             spec.dilation[0], spec.dilation[1], wo, P], geo / 4);

    const pBlocks = Math.ceil(P / NC);
    const args = perThread.map((t, i) => {
      const [g0, g1] = byGroups ? split(g, threads)[i] : [0, g];
      const [b0, b1] = byGroups || byRows ? [0, pBlocks] : split(pBlocks, threads)[i];
      const [m0, m1] = byRows ? split(mp / MR, threads)[i].map((x) => x * MR) : [0, mp];
      i32.set([src, geo, wgt, K, KC, coutG, mp, cinG * h * w * 4, P, NC, pointwise ? (SimdBackend.inPlace(P, mp) ? 2 : 1) : 0, t.ap, t.bp, t.c, res, bs,
               g0, g1, b0 * NC, Math.min(P, b1 * NC), packed < 0 ? 0 : 1], t.args / 4);
      [f32[t.args / 4 + 21], f32[t.args / 4 + 22]] = SimdBackend.bounds(act);
      i32[t.args / 4 + 23] = rAt;
      i32[t.args / 4 + 24] = simdTuning.gemmDirect ? 1 : 0;
      i32[t.args / 4 + 25] = m0;
      i32[t.args / 4 + 26] = m1;
      return t.args;
    });
    this.runJob('job_im2col', args);
    if (outAt < 0) out.set(this.f32.subarray(res / 4, res / 4 + cout * P));
  }

  fc(out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null,
     inFeatures: number, outFeatures: number, act?: Activation): void {
    const shapes = () => `inp (${inp.length}), weight (${weight.length}) for Linear(${inFeatures}, ${outFeatures})`;
    check(inp.length === inFeatures, shapes);
    check(weight.length === inFeatures * outFeatures, shapes);
    check(out.length === outFeatures, () => `out (${out.length}) for Linear(${inFeatures}, ${outFeatures})`);
    check(bias === null || bias.length === outFeatures, () => `bias (${bias?.length}) for Linear(${inFeatures}, ${outFeatures})`);
    // The matrix stays in the kernels' memory after the first call, so the product streams it once
    // (and threads share the rows); too big for the cache, it is copied in chunks that stay in L2.
    const resident = this.preparedAt(weight, `fc ${outFeatures}x${inFeatures}`, weight.length * 4, (at) => this.f32.set(weight, at / 4));
    const rowsPerChunk = resident >= 0 ? outFeatures : Math.min(outFeatures, Math.max(4, Math.floor(FC_CHUNK_BYTES / (inFeatures * 4 * 4)) * 4));

    const L = new Layout(this.persistTop);
    const x = L.take(inFeatures);
    const y = L.take(outFeatures);
    const wgt = resident >= 0 ? resident : L.take(rowsPerChunk * inFeatures);
    const threads = resident >= 0 ? Math.min(Math.ceil(outFeatures / 4), this.threadsFor(inFeatures * outFeatures)) : 1;
    const args = Array.from({ length: threads }, () => L.take(ARGS_BYTES / 4));
    this.reserve(L.top);
    const f32 = this.f32;

    f32.set(inp, x / 4);
    for (let r0 = 0; r0 < outFeatures; r0 += rowsPerChunk) {
      const r1 = Math.min(outFeatures, r0 + rowsPerChunk);
      if (resident < 0) f32.set(weight.subarray(r0 * inFeatures, r1 * inFeatures), wgt / 4);
      // Rows split in multiples of 4, gemv's block.
      this.runJob('job_gemv', split(Math.ceil((r1 - r0) / 4), threads).map(([a, b], i) => {
        this.i32.set([wgt, x, y + r0 * 4, inFeatures, 4 * a, Math.min(r1 - r0, 4 * b)], args[i] / 4);
        return args[i];
      }));
    }
    const [lo, hi] = SimdBackend.bounds(act);
    for (let r = 0; r < outFeatures; r++) out[r] = Math.min(Math.max(f32[y / 4 + r] + (bias ? bias[r] : 0), lo), hi);
  }
}

/** A few values of `w` spread over its length, to tell a refilled buffer from the one prepared. */
function fingerprint(w: Float32Array): Float32Array {
  const print = new Float32Array(FINGERPRINT + 1);
  for (let i = 0; i < FINGERPRINT; i++) print[i] = w[Math.floor((i * (w.length - 1)) / (FINGERPRINT - 1))];
  print[FINGERPRINT] = w.length;
  return print;
}

function samePrint(print: Float32Array, w: Float32Array): boolean {
  const now = fingerprint(w);
  return now.every((v, i) => Object.is(v, print[i]));
}

/** Stops a backend's workers once the backend itself is garbage collected. */
const pools = new FinalizationRegistry<ThreadPool>((pool) => pool.close());

let compiled: Promise<WebAssembly.Module> | undefined;
let problem: string | undefined;
let variant: 'fma' | 'plain' | undefined;
let blocks: '6x8' | '4x8' | undefined;

/**
 * Which build of the kernels runs: 'fma' (relaxed SIMD's fused multiply-add in the GEMM: VS Code's
 * Electron and Node 22+ have it, Node 20 only with --experimental-wasm-relaxed-simd) or 'plain'.
 */
export function simdKernelVariant(): 'fma' | 'plain' | undefined {
  return variant;
}

/** The GEMM blocks of the last backend made: '6x8' (with 4x8 for the rows past a multiple of 12) or '4x8'. */
export function simdGemmBlocks(): '6x8' | '4x8' | undefined {
  return blocks;
}

/**
 * The FMA build where the runtime validates it (and simdTuning.fma allows it), else the plain one; the
 * file $CNNLAB_SIMD_WASM names, when set, and nothing else.
 */
async function compileKernels(): Promise<WebAssembly.Module> {
  if (simdTuning.fma && !process.env[WASM_PATH_ENV]) {
    try {
      const bytes = await loadKernelBytes(true);
      if (WebAssembly.validate(bytes)) {
        variant = 'fma';
        return await WebAssembly.compile(bytes);
      }
    } catch {
      // No FMA build beside the bundle (or wabt without relaxed SIMD): the plain one below.
    }
  }
  variant = 'plain';
  return WebAssembly.compile(await loadKernelBytes());
}

/** Why the last createSimdBackend returned null or fewer threads than asked, for a log line; else undefined. */
export function simdLoadProblem(): string | undefined {
  return problem;
}

/** Instantiates the SIMD kernels, or returns null where WebAssembly SIMD is unavailable (callers fall back to TS). */
export async function createSimdBackend(opts?: { threads?: number; cacheBytes?: number }): Promise<ConvBackend | null> {
  try {
    compiled ??= compileKernels();
    const module = await compiled;
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const kernels = instance.exports as unknown as Kernels;
    const rows12 = wantRows12() && kernels.rows12 ? 1 : 0;
    if (kernels.rows12) kernels.rows12.value = rows12;
    blocks = rows12 ? '6x8' : '4x8';
    const threads = Math.max(1, Math.min(64, Math.floor(opts?.threads ?? 1)));
    let pool: ThreadPool | null = null;
    problem = undefined;
    if (threads > 1) {
      try {
        pool = await ThreadPool.start(module, memory, threads - 1, rows12, simdTuning.spinMs);
      } catch (err) {
        // Workers are an optimisation: without them the kernels still run on this thread.
        problem = `worker threads unavailable, running single-threaded: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    const backend = new SimdBackend(kernels, memory, pool, opts?.cacheBytes ?? CACHE_BYTES);
    if (pool) pools.register(backend, pool);
    return backend;
  } catch (err) {
    compiled = undefined;
    problem = err instanceof Error ? err.message : String(err);
    return null;
  }
}
