/**
 * The engine's only data type: a shape plus a flat float32 buffer in row-major order.
 * Maps are [C, H, W] and vectors are [N]; the batch axis is never stored (one image at a time).
 */

/** A float32 tensor; `data` is row-major over `shape` and has exactly numel(shape) elements. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A map shape (C, H, W) as the kernels take it. */
export type MapShape = [number, number, number];

/** Formats a shape the way error messages print it: [3, 224, 224]. */
export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws an Error with `message` when `cond` is false; the message should print the shapes involved. */
export function assert(cond: boolean, message: string | (() => string)): asserts cond {
  if (!cond) throw new Error(typeof message === 'string' ? message : message());
}

/** Number of elements of a shape (1 for the empty shape, as a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** True when every dimension is a non-negative integer, so the shape can size a buffer. */
export function isValidShape(shape: readonly number[]): boolean {
  return shape.every((d) => Number.isInteger(d) && d >= 0);
}

/** Makes a tensor over `data` (taken, not copied) or over a fresh zero buffer, checking the length. */
export function tensor(shape: readonly number[], data?: Float32Array): Tensor {
  assert(isValidShape(shape), () => `tensor: invalid shape ${shapeStr(shape)}`);
  const n = numel(shape);
  const buf = data ?? new Float32Array(n);
  assert(buf.length === n, () => `tensor: shape ${shapeStr(shape)} needs ${n} elements, data has ${buf.length}`);
  return { shape: [...shape], data: buf };
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[]): Tensor {
  return tensor(shape);
}

/** True when two shapes are equal dimension by dimension. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Throws unless `t` has shape `expected`, naming `what` and both shapes. */
export function assertShape(t: Tensor, expected: readonly number[], what: string): void {
  assert(sameShape(t.shape, expected), () => `${what}: expected shape ${shapeStr(expected)}, got ${shapeStr(t.shape)}`);
}

/** Reads a tensor's shape as a map (C, H, W), throwing with the shape if it is not rank 3. */
export function mapShape(shape: readonly number[], what: string): MapShape {
  assert(shape.length === 3, () => `${what}: needs a (C, H, W) map, got shape ${shapeStr(shape)}`);
  return [shape[0], shape[1], shape[2]];
}
