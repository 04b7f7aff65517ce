/**
 * File formats the engine reads and writes (safetensors, .npy, PNG, JPEG, feature-map grids) and the
 * weight loading rule, with the bad inputs a user will eventually hand it: each must be a clear Error.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { ConvSpec, LayerSpec } from '../../server/src/language/types.js';
import { featureGrid, featureGridPng } from '../../server/src/engine/featuremaps.js';
import { IMAGENET_MEAN, IMAGENET_STD, decodeImage, imageToTensor, loadImageTensor } from '../../server/src/engine/image.js';
import { naturalCompare, paramsFromSafetensors, paramsFromTensors } from '../../server/src/engine/loadweights.js';
import { readNpy, writeNpy } from '../../server/src/engine/npy.js';
import { parseSafetensors, writeSafetensors } from '../../server/src/engine/safetensors.js';
import { tensor } from '../../server/src/engine/tensor.js';

const conv = (outChannels: number, extra: Partial<ConvSpec> = {}): ConvSpec => ({
  kind: 'conv', kernel: [3, 3], outChannels, stride: [1, 1], padding: [1, 1], dilation: [1, 1],
  groups: 1, bias: true, depthwise: false, ...extra,
});

/** conv 1→2, relu, bn, fc → 3 on a [1, 4, 4] input: three parameter layers. */
const SMALL_NET: LayerSpec[] = [conv(2), { kind: 'relu' }, { kind: 'bn', eps: 1e-5 }, { kind: 'fc', outFeatures: 3, bias: true }];
const SMALL_INPUT = [1, 4, 4];

function filled(n: number, v: number): Float32Array {
  return new Float32Array(n).fill(v);
}

/** A state_dict for SMALL_NET in nn.Sequential naming (indices 0, 2, 3). */
function smallStateDict(): { name: string; shape: number[]; data: Float32Array }[] {
  return [
    { name: '0.weight', shape: [2, 1, 3, 3], data: filled(18, 0.5) },
    { name: '0.bias', shape: [2], data: filled(2, 0.1) },
    { name: '2.weight', shape: [2], data: filled(2, 1) },
    { name: '2.bias', shape: [2], data: filled(2, 0) },
    { name: '2.running_mean', shape: [2], data: filled(2, 0) },
    { name: '2.running_var', shape: [2], data: filled(2, 1) },
    { name: '3.weight', shape: [3, 32], data: filled(96, 0.25) },
    { name: '3.bias', shape: [3], data: filled(3, -1) },
  ];
}

/** A safetensors file with a hand-written header, for lying and truncated files. */
function rawSafetensors(header: unknown, dataBytes: number, headerLenOverride?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLenOverride ?? json.length), true);
  out.set(json, 8);
  return out;
}

function pngBytes(width: number, height: number, pixel: (x: number, y: number) => [number, number, number, number], colorType: 0 | 2 | 6 = 6): Uint8Array {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) png.data.set(pixel(x, y), (y * width + x) * 4);
  }
  return new Uint8Array(PNG.sync.write(png, { colorType, inputColorType: 6 }));
}

describe('safetensors', () => {
  it('round-trips F32 tensors and skips __metadata__', () => {
    const file = writeSafetensors([{ name: 'a.weight', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }]);
    const t = parseSafetensors(file);
    assert.equal(t.length, 1);
    assert.deepEqual(t[0].shape, [2, 3]);
    assert.deepEqual([...t[0].data!], [1, 2, 3, 4, 5, 6]);
  });

  it('converts F16, BF16 and F64 to float32 and leaves I64 as null', () => {
    const data = new Uint8Array(2 * 3 + 2 * 2 + 8 * 2 + 8);
    const v = new DataView(data.buffer);
    [0x3c00, 0xc000, 0x3555].forEach((h, i) => v.setUint16(i * 2, h, true)); // 1, -2, ≈1/3
    [0x3f80, 0x4049].forEach((h, i) => v.setUint16(6 + i * 2, h, true)); // 1, 3.140625
    v.setFloat64(10, 0.1, true);
    v.setFloat64(18, -7, true);
    v.setBigInt64(26, 7n, true);
    const header = {
      __metadata__: { format: 'pt' },
      h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
      b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] },
      d: { dtype: 'F64', shape: [2], data_offsets: [10, 26] },
      n: { dtype: 'I64', shape: [], data_offsets: [26, 34] },
    };
    const file = rawSafetensors(header, data.length);
    file.set(data, file.length - data.length);
    const byName = new Map(parseSafetensors(file).map((t) => [t.name, t]));
    assert.deepEqual([...byName.get('h')!.data!], [1, -2, Math.fround(0.333251953125)]);
    assert.deepEqual([...byName.get('b')!.data!], [1, 3.140625]);
    assert.deepEqual([...byName.get('d')!.data!], [Math.fround(0.1), -7]);
    assert.equal(byName.get('n')!.data, null);
  });

  it('reads F32 tensors at unaligned offsets (copied) and aligned ones (viewed)', () => {
    // U8 tensors fill the bytes around them, so the ranges tile the data section as the format requires.
    const header = {
      pad: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, a: { dtype: 'F32', shape: [1], data_offsets: [1, 5] },
      gap: { dtype: 'U8', shape: [3], data_offsets: [5, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
    };
    const file = rawSafetensors(header, 12);
    const dataStart = file.length - 12;
    new DataView(file.buffer).setFloat32(dataStart + 1, 2.5, true);
    new DataView(file.buffer).setFloat32(dataStart + 8, -4, true);
    const byName = new Map(parseSafetensors(file).map((t) => [t.name, t.data?.[0]]));
    assert.deepEqual([byName.get('a'), byName.get('b')], [2.5, -4]);
  });

  it('rejects a truncated file', () => {
    const file = writeSafetensors(smallStateDict());
    assert.throws(() => parseSafetensors(file.subarray(0, file.length - 10), 'w.safetensors'),
      /w\.safetensors: not a valid safetensors file: tensor '.*' ends at byte \d+ of the data section, which has only \d+ bytes \(truncated file\?\)/);
    assert.throws(() => parseSafetensors(file.subarray(0, 5)), /shorter than the 8-byte header length/);
  });

  it('rejects header offsets past the end of the data', () => {
    const file = rawSafetensors({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 1000] } }, 16);
    assert.throws(() => parseSafetensors(file), /tensor 'w' ends at byte 1000 of the data section, which has only 16 bytes/);
  });

  it('rejects a header length larger than the file', () => {
    const file = rawSafetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4, 1 << 30);
    assert.throws(() => parseSafetensors(file), /header length 1073741824 exceeds the \d+ bytes after it/);
    const huge = rawSafetensors({}, 0);
    new DataView(huge.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
    assert.throws(() => parseSafetensors(huge), /header length 18446744073709551615 exceeds/);
  });

  it('rejects lying headers: byte count, offsets order, bad JSON, bad shapes', () => {
    assert.throws(() => parseSafetensors(rawSafetensors({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)),
      /tensor 'w' \(F32 \[3\]\) needs 12 bytes, data_offsets give 8/);
    assert.throws(() => parseSafetensors(rawSafetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, 8)),
      /begin after end/);
    assert.throws(() => parseSafetensors(rawSafetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [0.5, 4] } }, 8)),
      /not two non-negative integers/);
    assert.throws(() => parseSafetensors(rawSafetensors({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 8)),
      /not a list of non-negative integers/);
    assert.throws(() => parseSafetensors(rawSafetensors({ w: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 4] } }, 8)),
      /needs 4000000000000000000 bytes/);
    const bad = rawSafetensors({ w: 1 }, 0);
    bad[8] = 0x5b; // '[' makes the JSON invalid
    assert.throws(() => parseSafetensors(bad), (e: Error) =>
      e.message === 'safetensors: not a valid safetensors file: its header is not valid UTF-8 JSON' && e.cause instanceof SyntaxError);
    assert.throws(() => parseSafetensors(rawSafetensors([1, 2], 0)), /header is not a JSON object/);
  });
});

describe('loading rule', () => {
  it('loads an nn.Sequential state_dict with num_batches_tracked, whatever the header order', () => {
    const entries = smallStateDict().reverse();
    const file = writeSafetensors(entries);
    const withCounter = parseSafetensors(file).concat([{ name: '2.num_batches_tracked', dtype: 'I64', shape: [], data: null }]);
    const params = paramsFromTensors(withCounter, SMALL_INPUT, SMALL_NET);
    assert.equal(params[0].weight![0], 0.5);
    assert.equal(params[1].weight, undefined);
    assert.equal(params[2].runningVar![0], 1);
    assert.equal(params[3].bias![2], -1);
  });

  it('sorts groups in natural order (features.10 after features.9)', () => {
    assert.ok(naturalCompare('features.10', 'features.9') > 0);
    assert.ok(naturalCompare('features.9', 'features.10') < 0);
    assert.ok(naturalCompare('a2b', 'a10a') < 0);
    assert.equal(naturalCompare('x.1', 'x.1'), 0);
    const layers: LayerSpec[] = Array.from({ length: 11 }, (_, i) => conv(i + 1, { kernel: [1, 1], padding: [0, 0], bias: false }));
    const tensors = layers.map((_, i) => ({ name: `features.${i}.weight`, shape: [i + 1, i === 0 ? 1 : i, 1, 1], data: filled((i + 1) * Math.max(i, 1), i) }));
    const params = paramsFromSafetensors(writeSafetensors(tensors), [1, 2, 2], layers);
    params.forEach((p, i) => assert.equal(p.weight![0], i));
  });

  it('puts torchvision-style containers (classifier, features) in the order that fits', () => {
    const layers: LayerSpec[] = [conv(2), { kind: 'relu' }, { kind: 'fc', outFeatures: 3, bias: true }];
    const file = writeSafetensors([
      { name: 'classifier.0.weight', shape: [3, 32], data: filled(96, 2) },
      { name: 'classifier.0.bias', shape: [3], data: filled(3, 0) },
      { name: 'features.0.weight', shape: [2, 1, 3, 3], data: filled(18, 1) },
      { name: 'features.0.bias', shape: [2], data: filled(2, 0) },
    ]);
    const params = paramsFromSafetensors(file, SMALL_INPUT, layers);
    assert.equal(params[0].weight![0], 1);
    assert.equal(params[2].weight![0], 2);
  });

  it('a wrong tensor shape names the layer, the tensor and both shapes', () => {
    const entries = smallStateDict();
    entries[6] = { name: '3.weight', shape: [3, 31], data: filled(93, 0) };
    assert.throws(() => paramsFromSafetensors(writeSafetensors(entries), SMALL_INPUT, SMALL_NET, 'net.safetensors'),
      { message: "net.safetensors: layer 3 (fc): tensor '3.weight' has shape [3, 31], the layer needs [3, 32]" });
  });

  it('a wrong number of groups lists both sides', () => {
    const entries = smallStateDict().filter((t) => !t.name.startsWith('3.'));
    assert.throws(() => paramsFromSafetensors(writeSafetensors(entries), SMALL_INPUT, SMALL_NET),
      { message: 'weights: the file has 2 parameter groups [0, 2] but the network has 3 layers with parameters [0:conv, 2:bn, 3:fc]' });
  });

  it('a missing or unexpected tensor is named', () => {
    const noBias = smallStateDict().filter((t) => t.name !== '0.bias');
    assert.throws(() => paramsFromSafetensors(writeSafetensors(noBias), SMALL_INPUT, SMALL_NET),
      /layer 0 \(conv\) needs tensor '0\.bias' of shape \[2\], which the file does not have/);
    const layers: LayerSpec[] = [conv(2, { bias: false }), ...SMALL_NET.slice(1)];
    assert.throws(() => paramsFromSafetensors(writeSafetensors(smallStateDict()), SMALL_INPUT, layers),
      /layer 0 \(conv\) has no bias, but the file has tensor '0\.bias' of shape \[2\]/);
    const odd = smallStateDict().concat([{ name: '3.scale', shape: [1], data: filled(1, 0) }]);
    assert.throws(() => paramsFromSafetensors(writeSafetensors(odd), SMALL_INPUT, SMALL_NET), /tensor '3\.scale' ends in 'scale'/);
  });

  it('a conv with a teaching kernel takes no group from the file', () => {
    const layers: LayerSpec[] = [conv(1, { teaching: 'sobelx', bias: false }), ...SMALL_NET.map((l) => (l.kind === 'conv' ? conv(2, { bias: true }) : l))];
    const entries = smallStateDict().map((t) => ({ ...t, shape: t.name === '0.weight' ? [2, 1, 3, 3] : t.shape }));
    const params = paramsFromSafetensors(writeSafetensors(entries), SMALL_INPUT, layers);
    assert.deepEqual([...params[0].weight!], [-1, 0, 1, -2, 0, 2, -1, 0, 1]);
    assert.equal(params[1].weight![0], 0.5);
  });
});

describe('npy', () => {
  it('round-trips float32 and reads float64 and big-endian', () => {
    const data = new Float32Array([1.5, -2, 3.25, 0, 1e-8, 7]);
    const back = readNpy(writeNpy([2, 3], data));
    assert.deepEqual(back.shape, [2, 3]);
    assert.deepEqual([...back.data], [...data]);
    const one = readNpy(writeNpy([6], data));
    assert.deepEqual(one.shape, [6]);
    const f8 = writeNpy([1], new Float32Array([0]));
    // Rewrite as a big-endian float64 file by hand.
    const header = "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }".padEnd(117, ' ') + '\n';
    const file = new Uint8Array(10 + header.length + 16);
    file.set(f8.subarray(0, 8));
    new DataView(file.buffer).setUint16(8, header.length, true);
    file.set(new TextEncoder().encode(header), 10);
    new DataView(file.buffer).setFloat64(10 + header.length, 0.1, false);
    new DataView(file.buffer).setFloat64(18 + header.length, -3, false);
    assert.deepEqual([...readNpy(file).data], [Math.fround(0.1), -3]);
  });

  it('rejects bad magic, truncated data, a header past the end, Fortran order and other dtypes', () => {
    const good = writeNpy([4], new Float32Array(4));
    assert.throws(() => readNpy(new Uint8Array(20), 'x.npy'), /x\.npy: not a valid \.npy file: missing the \\x93NUMPY magic/);
    assert.throws(() => readNpy(good.subarray(0, good.length - 1)), /shape \[4\] of <f4 needs 16 data bytes, the file has 15/);
    const longHeader = good.slice();
    new DataView(longHeader.buffer).setUint16(8, 60000, true);
    assert.throws(() => readNpy(longHeader), /header length 60000 runs past the end/);
    const swap = (from: string, to: string): Uint8Array => {
      const text = new TextDecoder('latin1').decode(good).replace(from, to);
      return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
    };
    assert.throws(() => readNpy(swap("'fortran_order': False", "'fortran_order': True ")), /Fortran-order/);
    assert.throws(() => readNpy(swap("'<f4'", "'<i4'")), /dtype '<i4' is not float32 or float64/);
  });
});

describe('images', () => {
  it('decodes an RGBA PNG (alpha dropped) to a [3, H, W] tensor in [0, 1]', () => {
    const file = pngBytes(4, 2, (x, y) => [x * 60, y * 200, 10, x === 0 ? 0 : 255]);
    const t = loadImageTensor(file, [3, 2, 4]);
    assert.deepEqual(t.shape, [3, 2, 4]);
    assert.equal(t.data[3], Math.fround(180 / 255)); // R at (0, 3)
    assert.equal(t.data[8 + 4], Math.fround(200 / 255)); // G at (1, 0)
    assert.equal(t.data[16], Math.fround(10 / 255)); // B at (0, 0)
  });

  it('takes luminance for a 1-channel input and replicates grey for 3 channels', () => {
    const red = pngBytes(2, 2, () => [255, 0, 0, 255], 2);
    assert.ok(Math.abs(loadImageTensor(red, [1, 2, 2]).data[0] - 0.299) < 1e-6);
    const grey = pngBytes(3, 3, (x) => [x * 100, x * 100, x * 100, 255], 0);
    const img = decodeImage(grey);
    assert.equal(img.grey, true);
    const g1 = imageToTensor(img, [1, 3, 3]);
    const g3 = imageToTensor(img, [3, 3, 3]);
    assert.equal(g1.data[2], Math.fround(200 / 255));
    assert.deepEqual([...g3.data.subarray(0, 9)], [...g3.data.subarray(18, 27)]);
  });

  it('resizes to the input size and normalises with ImageNet statistics', () => {
    const file = pngBytes(8, 6, () => [128, 128, 128, 255]);
    const t = loadImageTensor(file, [3, 3, 4], { mean: IMAGENET_MEAN, std: IMAGENET_STD });
    assert.deepEqual(t.shape, [3, 3, 4]);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(t.data[c * 12] - (128 / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c]) < 1e-5);
    assert.throws(() => loadImageTensor(file, [1, 3, 4], { mean: IMAGENET_MEAN, std: IMAGENET_STD }), /3 means and 3 stds for a 1-channel input/);
    assert.throws(() => loadImageTensor(file, [4, 3, 4]), /an image can feed a \[1, H, W\] or \[3, H, W\] input, not \[4, 3, 4\]/);
  });

  it('decodes a JPEG', () => {
    const w = 8, h = 8;
    const data = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) data.set([200, 100, 50, 255], i * 4);
    const file = new Uint8Array(jpeg.encode({ width: w, height: h, data }, 95).data);
    const t = loadImageTensor(file, [3, 8, 8]);
    assert.ok(Math.abs(t.data[0] - 200 / 255) < 0.03 && Math.abs(t.data[64] - 100 / 255) < 0.03);
  });

  it('a corrupt PNG is a clear error', () => {
    const file = pngBytes(16, 16, (x, y) => [x * 16, y * 16, 0, 255]);
    assert.throws(() => decodeImage(file.subarray(0, file.length / 2), 'cat.png'),
      { message: 'cat.png: not a valid PNG: its IDAT chunk runs past the end of the file (it is cut short)' });
    const flipped = file.slice();
    flipped[40] ^= 0xff; // in the IDAT chunk's type: its checksum no longer matches
    assert.throws(() => decodeImage(flipped, 'cat.png'), { message: 'cat.png: not a valid PNG: its chunk at byte 33 is damaged (its checksum does not match)' });
    const data = file.slice();
    data[file.length - 20] ^= 0xff; // in the compressed pixels
    assert.throws(() => decodeImage(data, 'cat.png'), { message: 'cat.png: not a valid PNG: its IDAT chunk is damaged (its checksum does not match)' });
    assert.throws(() => decodeImage(file.subarray(0, 12), 'cat.png'), { message: 'cat.png: not a valid PNG: the file ends after the signature (it is cut short)' });
  });

  it('a corrupt JPEG is a clear error', () => {
    const data = Buffer.alloc(16 * 16 * 4, 90);
    const file = new Uint8Array(jpeg.encode({ width: 16, height: 16, data }, 90).data);
    assert.throws(() => decodeImage(file.subarray(0, file.length / 2), 'dog.jpg'),
      { message: 'dog.jpg: the JPEG is truncated or damaged: a segment runs past the end of the file' });
    assert.throws(() => decodeImage(file.subarray(0, file.length - 2), 'dog.jpg'),
      { message: 'dog.jpg: the JPEG is truncated: the file ends before its end-of-image marker' });
    const garbage = new Uint8Array(100).fill(0x42);
    garbage.set([0xff, 0xd8, 0xff]);
    assert.throws(() => decodeImage(garbage, 'dog.jpg'), { message: 'dog.jpg: the JPEG is damaged: byte 2 holds no valid marker' });
  });

  it('an unknown format names its first bytes', () => {
    assert.throws(() => decodeImage(new TextEncoder().encode('GIF89a...'), 'x.gif'), /x\.gif: not a PNG or JPEG image \(starts with 47 49 46 38 39 61 2e 2e\)/);
    assert.throws(() => decodeImage(new Uint8Array(0)), /starts with nothing/);
  });
});

describe('feature-map grid', () => {
  it('tiles channels near-square with 1px separators, each channel stretched to 0..255', () => {
    // 5 channels of 2×3: a 3×2 grid of tiles.
    const data = new Float32Array(30);
    for (let i = 0; i < 30; i++) data[i] = i % 6; // every channel runs 0..5
    data.fill(7, 24, 30); // channel 4 is constant
    const grid = featureGrid(tensor([5, 2, 3], data));
    assert.equal(grid.width, 3 * 3 + 2);
    assert.equal(grid.height, 2 * 2 + 1);
    assert.equal(grid.pixels[0], 0);
    assert.equal(grid.pixels[1 * grid.width + 2], 255);
    assert.equal(grid.pixels[3], 128); // separator column
    assert.equal(grid.pixels[3 * grid.width + 4 + 1], 0); // constant channel is black
    const png = PNG.sync.read(Buffer.from(featureGridPng(tensor([5, 2, 3], data), { scale: 2 })));
    assert.equal(png.width, 3 * 6 + 2);
    assert.equal(png.height, 2 * 4 + 1);
  });

  it('draws a vector as one near-square tile', () => {
    const grid = featureGrid(tensor([10], new Float32Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])));
    assert.equal(grid.width, 4);
    assert.equal(grid.height, 3);
    assert.equal(grid.pixels[9], 255);
  });
});
