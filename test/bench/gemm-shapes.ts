/**
 * The SIMD backend on the 1x1 convolutions of ResNet-50 and MobileNetV2 (stride 1, the shapes
 * `node dist/cli.js summary --json` lists), one thread unless --threads, GFLOP/s each (2 flops per multiply-accumulate):
 *   whole   conv2d with input and output from the backend's bufferPool (as the CLI and benchmark run);
 *   copies  conv2d with plain Float32Arrays (the input and output copied in and out of the memory);
 *   and the parts of the whole, each timed alone with the backend's own kernels on the same memory:
 *   packB   pack_b_rows over every (pixel block, reduction block) as job_im2col calls it;
 *   gemm    the GEMM over every block on one packed B block that stays hot (no packing);
 *   tiny    the time of a 1x1 conv 8→8 at 8x8 (dispatch: argument records, cache lookup, the call).
 * With `--ab <other server/src>` it instead times whole convs of that tree's backend and this one's
 * alternately in one process and prints before ÷ after per shape.
 *
 *   node --import tsx test/bench/gemm-shapes.ts [--seconds S] [--threads N] [--only resnet50|mobilenet_v2] [--ab DIR]
 */
import { loadavg } from 'node:os';

const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SECONDS = Number(argOf('--seconds') ?? 0.3);
const THREADS = Number(argOf('--threads') ?? 1);

/** Cin, Cout, output size: the stride-1 1x1 convs of each network, with how many it has. */
const SHAPES: Record<string, Array<[number, number, number, number]>> = {
  resnet50: [[64, 64, 56, 1], [64, 256, 56, 4], [256, 64, 56, 2], [256, 128, 56, 1], [128, 512, 28, 4], [512, 128, 28, 3],
    [512, 256, 28, 1], [256, 1024, 14, 6], [1024, 256, 14, 5], [1024, 512, 14, 1], [512, 2048, 7, 3], [2048, 512, 7, 2]],
  mobilenet_v2: [[32, 16, 112, 1], [16, 96, 112, 1], [96, 24, 56, 1], [24, 144, 56, 2], [144, 24, 56, 1], [144, 32, 28, 1],
    [32, 192, 28, 3], [192, 32, 28, 2], [192, 64, 14, 1], [64, 384, 14, 4], [384, 64, 14, 3], [384, 96, 14, 1],
    [96, 576, 14, 3], [576, 96, 14, 2], [576, 160, 7, 1], [160, 960, 7, 3], [960, 160, 7, 2], [960, 320, 7, 1], [320, 1280, 7, 1]],
};

/** The median (or with `min` the least) of repeated timings of `f` over about SECONDS, in ms. */
function median(f: () => void, seconds = SECONDS, min = false): number {
  f();
  const t: number[] = [];
  const until = performance.now() + seconds * 1000;
  do {
    const s = performance.now();
    f();
    t.push(performance.now() - s);
  } while (performance.now() < until || t.length < 5);
  t.sort((a, b) => a - b);
  return min ? t[0] : t[t.length >> 1];
}

type Backend = NonNullable<Awaited<ReturnType<typeof import('../../server/src/engine/simd/simd-backend.js').createSimdBackend>>>;
interface Kernels {
  gemm(ap: number, apStride: number, bp: number, k: number, c: number, ldc: number, mp: number, np: number, acc: number,
       bias: number, res: number, lo: number, hi: number): void;
  pack_b_rows(src: number, P: number, k: number, p0: number, nc: number, bp: number): void;
}

async function backendFrom(root: string): Promise<{ backend: Backend; tuning: { gemmNC: number; gemmKC: number } }> {
  const m = await import(`${root}/engine/simd/simd-backend.ts`);
  return { backend: (await m.createSimdBackend({ threads: THREADS }))!, tuning: m.simdTuning };
}

const spec = (cout: number) => ({ kind: 'conv', kernel: [1, 1], outChannels: cout, stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, bias: true, depthwise: false }) as never;

/** A conv of the shape on `backend` with pooled buffers; returns the call. */
function convCall(backend: Backend, cin: number, cout: number, s: number, pooled = true): () => void {
  const pool = backend.bufferPool!();
  const inp = pooled ? pool.alloc(cin * s * s) : new Float32Array(cin * s * s);
  const out = pooled ? pool.alloc(cout * s * s, true) : new Float32Array(cout * s * s);
  for (let i = 0; i < inp.length; i++) inp[i] = Math.sin(i);
  const weight = new Float32Array(cout * cin).map((_, i) => Math.cos(i) / cin);
  const bias = new Float32Array(cout).fill(0.1);
  return () => backend.conv2d(out, inp, weight, bias, [cin, s, s], spec(cout), [cout, s, s], 'relu');
}

const gf = (macs: number, ms: number) => (2 * macs) / (ms * 1e6);
const fmt = (x: number, w = 6) => x.toFixed(1).padStart(w);
const only = argOf('--only');
const nets = Object.keys(SHAPES).filter((n) => !only || n === only);
const here = new URL('../../server/src', import.meta.url).pathname;

console.log(`gemm-shapes: Node ${process.version}, ${THREADS} thread(s), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const other = argOf('--ab');
if (other) {
  const before = await backendFrom(other), after = await backendFrom(here);
  console.log('net           shape                 before GFLOP/s  after GFLOP/s  before÷after (the least time of each)');
  for (const net of nets) {
    let tb = 0, ta = 0;
    for (const [cin, cout, s, n] of SHAPES[net]) {
      const macs = cin * cout * s * s;
      const fb = convCall(before.backend, cin, cout, s), fa = convCall(after.backend, cin, cout, s);
      // Alternating call by call: this VM's speed flips between about 1x and 2x in phases of tens of
      // milliseconds, so only neighbouring calls see the same machine.
      const b: number[] = [], a: number[] = [];
      fb(); fa();
      const until = performance.now() + SECONDS * 2000;
      for (let r = 0; performance.now() < until || r < 20; r++) {
        for (const [f, arr] of (r % 2 ? [[fa, a], [fb, b]] : [[fb, b], [fa, a]]) as Array<[() => void, number[]]>) {
          const t0 = performance.now();
          f();
          arr.push(performance.now() - t0);
        }
      }
      const mb = Math.min(...b), ma = Math.min(...a);
      tb += n * mb; ta += n * ma;
      console.log(`${net.padEnd(13)} ${`${cin}→${cout} @${s}² ×${n}`.padEnd(22)} ${fmt(gf(macs, mb), 14)} ${fmt(gf(macs, ma), 14)} ${(mb / ma).toFixed(2).padStart(12)}`);
    }
    console.log(`${net.padEnd(13)} all its stride-1 1x1 convs: before ${tb.toFixed(1)} ms, after ${ta.toFixed(1)} ms, before÷after ${(tb / ta).toFixed(2)}`);
  }
} else {
  const { backend, tuning } = await backendFrom(here);
  const k = (backend as unknown as { k: Kernels }).k;
  const pool = backend.bufferPool!();
  const tiny = median(convCall(backend, 8, 8, 8));
  console.log(`dispatch: a 1x1 conv 8→8 at 8x8 takes ${(tiny * 1000).toFixed(1)} µs; NC ${tuning.gemmNC}, KC ${tuning.gemmKC}`);
  console.log('net           shape                  whole  copies   packB    gemm   (GFLOP/s; packB, gemm: ms share of whole)');
  for (const net of nets) {
    for (const [cin, cout, s, n] of SHAPES[net]) {
      const macs = cin * cout * s * s, P = s * s, K = cin, mp = Math.ceil(cout / 4) * 4;
      const whole = median(convCall(backend, cin, cout, s), SECONDS, true);
      const copies = median(convCall(backend, cin, cout, s, false), SECONDS, true);
      const NC = Math.min(tuning.gemmNC, Math.ceil(P / 8) * 8), KC = Math.min(tuning.gemmKC, K);
      const inp = pool.alloc(K * P), out = pool.alloc(cout * P, true), ap = pool.alloc(mp * K), bp = pool.alloc(KC * NC), bias = pool.alloc(mp), cs = pool.alloc(mp * NC);
      const blocks: Array<[number, number, number, number]> = [];
      for (let p0 = 0; p0 < P; p0 += NC) for (let k0 = 0; k0 < K; k0 += KC) blocks.push([p0, Math.min(NC, Math.ceil((P - p0) / 8) * 8), k0, Math.min(KC, K - k0)]);
      const packB = median(() => { for (const [p0, nc, k0, kc] of blocks) k.pack_b_rows(inp.byteOffset + k0 * P * 4, P, kc, p0, nc, bp.byteOffset); }, SECONDS, true);
      const gemm = median(() => {
        for (const [p0, nc, k0, kc] of blocks) {
          // A partial block goes to a scratch C, as job_im2col does.
          const whole = p0 + nc <= P && mp === cout;
          k.gemm(ap.byteOffset + k0 * 16, K * 16, bp.byteOffset, kc, whole ? out.byteOffset + p0 * 4 : cs.byteOffset, whole ? P * 4 : nc * 4, mp, nc, k0 ? 1 : 0,
            k0 + kc >= K ? bias.byteOffset : 0, 0, 0, Infinity);
        }
      }, SECONDS, true);
      console.log(`${net.padEnd(13)} ${`${cin}→${cout} @${s}² ×${n}`.padEnd(22)} ${fmt(gf(macs, whole))} ${fmt(gf(macs, copies))} ` +
        `${fmt((100 * packB) / whole)}% ${fmt((100 * gemm) / whole)}%`);
      for (const b of [inp, out, ap, bp, bias, cs]) pool.free(b);
    }
  }
}
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
process.exit(0);
