/**
 * The seam where a faster convolution and fully connected implementation (the WebAssembly SIMD one)
 * plugs into the runner, with max pooling beside them (its maps are the largest a network reads
 * outside a conv). Everything else the runner does is cheap next to these.
 */
import type { ConvSpec, PoolSpec } from '../language/types.js';

/** An activation a kernel applies to its output after the bias (fused conv/fc → relu or relu6). */
export type Activation = 'relu' | 'relu6';

/**
 * A provider of the heavy kernels. Each must overwrite every element of `out` (it may hold stale
 * data) and must not keep references to the buffers after returning.
 */
export interface ConvBackend {
  /**
   * out is (Cout, OH, OW) = outShape, inp is (Cin, H, W) = inShape, weight is (Cout, Cin/groups, kH, kW),
   * bias is (Cout) or null; stride, padding (zeros), dilation and groups come from `spec`. `residual`,
   * when given, is (Cout, OH, OW) and is added after the bias (a residual block's add, fused: the sum
   * rounds as (conv + bias) + residual, as the unfused add would); `act`, when given, is applied last.
   */
  conv2d(
    out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null,
    inShape: [number, number, number], spec: ConvSpec, outShape: [number, number, number], act?: Activation,
    residual?: Float32Array,
  ): void;
  /**
   * out is (outFeatures), inp is (inFeatures), weight is (outFeatures, inFeatures) as nn.Linear, bias is
   * (outFeatures) or null; `act`, when given, is applied after the bias.
   */
  fc(out: Float32Array, inp: Float32Array, weight: Float32Array, bias: Float32Array | null, inFeatures: number, outFeatures: number, act?: Activation): void;
  /**
   * Max pooling, out (C, OH, OW) from inp (C, H, W), padding −∞, the output size the caller's (floor or
   * ceil mode), NaN kept and +0 taken over −0 as Math.max does; returns false, leaving `out` alone, for
   * a geometry it does not run (the caller's kernel does then).
   */
  maxPool2d?(out: Float32Array, inp: Float32Array, inShape: [number, number, number], spec: Pick<PoolSpec, 'kernel' | 'stride' | 'padding'>,
             outShape: [number, number, number]): boolean;
  /**
   * A recycler of output buffers for forward's alloc and free (as run.ts's bufferPool) whose buffers
   * the backend reads and writes without copying; absent when it has no such memory.
   */
  bufferPool?(): { alloc: (n: number, overwritten?: boolean) => Float32Array; free: (buffer: Float32Array) => void };
}
