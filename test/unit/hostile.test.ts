/**
 * Hostile files against the engine's readers and the CLI: decompression bombs, headers that lie about
 * their size, truncated and damaged images, endless or huge files, safetensors whose offsets overlap.
 * Each must be refused with a message that names the problem in the user's terms, without a crash and
 * with bounded memory (the process's RSS may grow by at most a couple of hundred megabytes where the
 * unguarded readers needed gigabytes). The files are made in memory by test/helpers/hostile.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage, ImageTooLarge, loadImageTensor, readImageHeader } from '../../server/src/engine/image.js';
import { listSome, paramsFromSafetensors } from '../../server/src/engine/loadweights.js';
import { parseSafetensors, writeSafetensors } from '../../server/src/engine/safetensors.js';
import { FILE_LIMITS, FileRefused, readRegularFile } from '../../server/src/files.js';
import { loadInput } from '../../server/src/run/load.js';
import { planRun } from '../../server/src/run/plan.js';
import { analyze } from '../../server/src/analysis/analyze.js';
import { repoPath } from '../helpers/core.js';
import {
  concat, goodJpeg, goodPng, lyingJpeg, pngBomb, pngChunk, rawPng, rawSafetensors, truncatedJpeg, zlibZeros,
} from '../helpers/hostile.js';

/** RSS growth allowed while a hostile file is refused: far below what decoding it would take. */
const RSS_GROWTH_LIMIT = 200 * 2 ** 20;

/** Runs `f`, which must throw; returns the error and how much the process's RSS grew meanwhile. */
function refused(f: () => unknown): { error: Error; growth: number } {
  const before = process.memoryUsage().rss;
  let error: Error | undefined;
  try {
    f();
  } catch (e) {
    error = e as Error;
  }
  const growth = process.memoryUsage().rss - before;
  assert.ok(error, 'the hostile file was accepted');
  return { error, growth };
}

function cnnlab(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [repoPath('dist/cli.js'), ...args], { cwd: repoPath('.'), encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'cnnlab-hostile-'));
const file = (name: string, bytes: Uint8Array): string => {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
};

test('a PNG bomb (1×1, interlaced, inflating to 1 GiB or 4 GiB) is refused at once, with bounded memory', () => {
  for (const mib of [1024, 4096]) {
    const bomb = pngBomb(mib);
    assert.ok(bomb.length < mib * 1100, `${bomb.length} bytes`);
    const { error, growth } = refused(() => decodeImage(bomb, 'bomb.png'));
    assert.equal(error.message, 'bomb.png: not a valid PNG: its image data inflates to more than the 2 bytes a 1×1 image needs (a decompression bomb, or a damaged file)');
    assert.ok(growth < RSS_GROWTH_LIMIT, `RSS grew by ${growth} bytes`);
    assert.throws(() => loadImageTensor(bomb, [3, 8, 8], undefined, 'bomb.png'), /decompression bomb/);
  }
  // Not interlaced, the same: the output is capped at height × (1 + row bytes).
  const flat = rawPng({ width: 4, height: 2, colorType: 2 }, [pngChunk('IDAT', zlibZeros(64))]);
  assert.throws(() => decodeImage(flat, 'flat.png'), /inflates to more than the 26 bytes a 4×2 image needs/);
});

test('a PNG whose image data is short, damaged or missing, or whose header is impossible, is refused in words', () => {
  const cases: [string, Uint8Array, string][] = [
    ['width 0', rawPng({ width: 0, height: 5 }, [pngChunk('IDAT', zlibZeros(1))]),
      'it is 0×5 pixels: an image needs at least one pixel each way'],
    ['height 0', rawPng({ width: 5, height: 0 }, [pngChunk('IDAT', zlibZeros(1))]),
      'it is 5×0 pixels: an image needs at least one pixel each way'],
    ['no IDAT', rawPng({ width: 2, height: 2 }, []), 'it has no image data (no IDAT chunk)'],
    ['short data', rawPng({ width: 64, height: 64 }, [pngChunk('IDAT', new Uint8Array([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]))]),
      'its image data is cut short (0 of the 4,160 bytes a 64×64 image needs)'],
    ['not zlib', rawPng({ width: 2, height: 2 }, [pngChunk('IDAT', new Uint8Array([1, 2, 3, 4]))]),
      'its image data is damaged or cut short (it does not decompress)'],
    ['palette missing', rawPng({ width: 2, height: 2, colorType: 3 }, [pngChunk('IDAT', zlibZeros(1))]), 'its palette (PLTE chunk) is missing'],
    ['bad depth', rawPng({ width: 2, height: 2, colorType: 2, bitDepth: 4 }, [pngChunk('IDAT', zlibZeros(1))]), 'colour type 2 cannot have 4-bit samples'],
    ['unknown critical chunk', rawPng({ width: 2, height: 2 }, [pngChunk('ABCD', new Uint8Array(3)), pngChunk('IDAT', zlibZeros(1))]),
      'it has a critical ABCD chunk this decoder does not know'],
  ];
  for (const [what, bytes, message] of cases) {
    assert.throws(() => decodeImage(bytes, 'x.png'), { message: `x.png: not a valid PNG: ${message}` }, what);
  }
  // An unknown ancillary chunk (lower-case first letter) is skipped, as the format says.
  const real = goodPng(3, 2);
  const withNote = concat([real.subarray(0, 33), pngChunk('noTe', new Uint8Array(5)), real.subarray(33)]);
  assert.deepEqual(decodeImage(withNote).rgba, decodeImage(real).rgba);
});

test('a PNG declaring more pixels or memory than allowed is refused from its header, before decoding', () => {
  const idat = [pngChunk('IDAT', zlibZeros(1))];
  const huge = rawPng({ width: 20000, height: 20000 }, idat);
  const { error, growth } = refused(() => decodeImage(huge, 'huge.png'));
  assert.ok(error instanceof ImageTooLarge);
  assert.equal(error.message, 'huge.png: a PNG of 20000×20000 pixels is over the limit of 100,000,000 pixels');
  assert.ok(growth < RSS_GROWTH_LIMIT, `RSS grew by ${growth} bytes`);
  // 100 megapixels are allowed by count but not by the default memory limit (1 GiB), nor by a budget.
  const big = rawPng({ width: 10000, height: 10000, colorType: 6 }, idat);
  const header = readImageHeader(big, 'big.png');
  assert.deepEqual([header.format, header.width, header.height], ['png', 10000, 10000]);
  // At least the inflated rows (1 + 4·10000 bytes each) three times over, and the RGBA output twice.
  assert.ok(header.decodeBytes >= 3 * 10000 * 40001 + 2 * 4e8, `${header.decodeBytes}`);
  assert.throws(() => decodeImage(big, 'big.png'), { message: 'big.png: decoding this 10000×10000 PNG needs about 2.0 GB of memory, more than the 1.1 GB it may use' });
  assert.throws(() => decodeImage(goodPng(64, 64), 'small.png', { maxBytes: 1000 }),
    { message: 'small.png: decoding this 64×64 PNG needs about 90 KB of memory, more than the 1 KB it may use' });
  assert.throws(() => decodeImage(goodPng(64, 64), 'small.png', { maxPixels: 1000 }), /a PNG of 64×64 pixels is over the limit of 1,000 pixels/);
});

test('a 1 KB truncated JPEG declaring 10000×10000 is refused as truncated, at once and without memory', () => {
  const cut = truncatedJpeg(10000, 10000);
  assert.equal(cut.length, 1024);
  const { error, growth } = refused(() => decodeImage(cut, 'cut.jpg'));
  assert.equal(error.message, 'cut.jpg: the JPEG is truncated: the file ends before its end-of-image marker');
  assert.ok(growth < RSS_GROWTH_LIMIT, `RSS grew by ${growth} bytes`);
});

test('a complete JPEG whose header declares 10000×10000 is refused by its memory before decoding; 0 pixels wide, by its size', () => {
  const lying = lyingJpeg(10000, 10000);
  const { error, growth } = refused(() => decodeImage(lying, 'lying.jpg'));
  assert.ok(error instanceof ImageTooLarge);
  assert.equal(error.message, 'lying.jpg: decoding this 10000×10000 JPEG needs about 3.1 GB of memory, more than the 1.1 GB it may use');
  assert.ok(growth < RSS_GROWTH_LIMIT, `RSS grew by ${growth} bytes`);
  assert.throws(() => decodeImage(lyingJpeg(0, 16), 'thin.jpg'), { message: 'thin.jpg: the JPEG declares 0×16 pixels: an image needs at least one pixel each way' });
  assert.throws(() => decodeImage(lyingJpeg(20000, 20000), 'vast.jpg'), { message: 'vast.jpg: a JPEG of 20000×20000 pixels is over the limit of 100,000,000 pixels' });
});

test('a damaged or unsupported JPEG says so in the user\'s terms; the decoder\'s own words stay in the cause', () => {
  const good = goodJpeg(16, 16);
  assert.equal(decodeImage(good, 'good.jpg').width, 16);
  // The scan names a colour component the frame does not have: jpeg-js fails with
  // "Cannot set properties of undefined (setting 'huffmanTableDC')".
  const sos = good.findIndex((b, i) => b === 0xff && good[i + 1] === 0xda);
  const badScan = good.slice();
  badScan[sos + 5] = 99;
  const e = refused(() => decodeImage(badScan, 'scan.jpg')).error;
  assert.equal(e.message, 'scan.jpg: the JPEG is damaged: its compressed data cannot be decoded');
  assert.doesNotMatch(e.message, /undefined|huffman/i);
  assert.match(String((e.cause as Error)?.message), /huffmanTableDC/);
  // A lossless JPEG (SOF3) is named as such.
  const lossless = good.slice();
  lossless[good.findIndex((b, i) => b === 0xff && good[i + 1] === 0xc0) + 1] = 0xc3;
  assert.throws(() => decodeImage(lossless, 'l.jpg'), { message: 'l.jpg: the JPEG is lossless, which this decoder does not read; save it as a baseline or progressive JPEG' });
  // A frame header with no scan after it.
  const noScan = concat([good.subarray(0, sos), new Uint8Array([0xff, 0xd9])]);
  assert.throws(() => decodeImage(noScan, 'n.jpg'), { message: 'n.jpg: the JPEG has no image data (no scan)' });
});

test('decoding counts in the run\'s memory budget: loadInput refuses an image the budget leaves no room for', () => {
  const a = analyze('network n\ninput 3x224x224\nconv3-64 pad1\n');
  const plan = planRun(a);
  const photo = goodJpeg(1000, 800);
  // The default: decoded and resized.
  assert.deepEqual(loadInput(photo, 'photo.jpg', plan).shape, [3, 224, 224]);
  assert.throws(() => loadInput(photo, 'photo.jpg', plan, { maxBytes: 10e6 }), {
    message: 'photo.jpg: decoding and converting this 1000×800 JPEG needs about 35 MB of memory, more than the 10 MB it may use ' +
      `(what the run's memory budget leaves after the network's ${Math.ceil(plan.memoryBytes / 1e6)} MB); use a smaller image or raise the budget`,
  });
});

test('safetensors whose data offsets overlap, leave gaps or leave bytes over are refused, naming the tensors', () => {
  const t = (begin: number, end: number) => ({ dtype: 'F32', shape: [(end - begin) / 4], data_offsets: [begin, end] });
  const fails = (header: Record<string, unknown>, bytes: number, message: string) =>
    assert.throws(() => parseSafetensors(rawSafetensors(header, bytes), 'w.safetensors'), { message: `w.safetensors: not a valid safetensors file: ${message}` });
  fails({ a: t(0, 8), b: t(4, 12) }, 12, "tensor 'b' (data_offsets [4, 12]) overlaps tensor 'a' ([0, 8])");
  fails({ a: t(0, 8), b: t(0, 8) }, 8, "tensor 'b' (data_offsets [0, 8]) overlaps tensor 'a' ([0, 8])");
  fails({ a: t(0, 4), b: t(8, 12) }, 12, "bytes 4–8 of the data section belong to no tensor (between tensor 'a', which ends at 4, and tensor 'b')");
  fails({ a: t(4, 8) }, 8, "bytes 0–4 of the data section belong to no tensor (the first, tensor 'a', begins at 4)");
  fails({ a: t(0, 4) }, 12, "the data section has 8 bytes after the last tensor, 'a', which ends at 4 of 12");
  fails({}, 4, 'the data section has 4 bytes but the header lists no tensor');
  // In any header order, ranges that tile are fine (and an empty tensor takes no bytes).
  assert.equal(parseSafetensors(rawSafetensors({ b: t(4, 8), e: t(8, 8), a: t(0, 4) }, 8)).length, 3);
  // A hostile name does not make a hostile message.
  const long = 'x'.repeat(100_000);
  const e = refused(() => parseSafetensors(rawSafetensors({ [long]: t(0, 4), b: t(0, 4) }, 4))).error;
  assert.ok(e.message.length < 300, `${e.message.length} characters`);
});

test('a safetensors file with 20,000 groups gives a one-line error of a few hundred characters, not 229 KB', () => {
  const tensors = Array.from({ length: 20_000 }, (_, i) => ({ name: `layer${i}.weight`, shape: [1], data: new Float32Array(1) }));
  const layers = [{ kind: 'fc', outFeatures: 1, bias: false } as const];
  const e = refused(() => paramsFromSafetensors(writeSafetensors(tensors), [1], layers, 'many.safetensors')).error;
  assert.match(e.message, /^many\.safetensors: the file has 20000 parameter groups \[layer0, layer1, layer2, .*, layer7 and 19,992 more\] but the network has 1 layers with parameters \[0:fc\]$/);
  assert.ok(e.message.length < 400, `${e.message.length} characters`);
  assert.equal(listSome(['a', 'b']), 'a, b');
  assert.equal(listSome(['a', 'b', 'c', 'd'], 2), 'a, b and 2 more');
});

test('readRegularFile stats first: /dev/zero, a named pipe and a directory are refused without reading; so is a file over its limit', () => {
  const { error, growth } = refused(() => readRegularFile('/dev/zero', 'input', 'input'));
  assert.ok(error instanceof FileRefused);
  assert.equal(error.message, 'input /dev/zero is not a regular file (a character device); give a PNG, JPEG or .npy file');
  assert.ok(growth < RSS_GROWTH_LIMIT, `RSS grew by ${growth} bytes`);
  const fifo = join(tmp, 'pipe');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => readRegularFile(fifo, 'weights', 'weights'), { message: `weights ${fifo} is not a regular file (a named pipe); give a .safetensors file` });
  assert.throws(() => readRegularFile(tmp, 'source'), { message: `${tmp} is not a regular file (a directory); give a .cnn file` });
  assert.throws(() => readRegularFile(join(tmp, 'none.png'), 'input', 'input'), { message: `cannot read input ${join(tmp, 'none.png')}: no such file` });
  // A sparse file: 600 MiB by its size, no disk space, never read.
  const big = join(tmp, 'big.png');
  writeFileSync(big, '');
  truncateSync(big, 600 * 2 ** 20);
  assert.throws(() => readRegularFile(big, 'input', 'input'), { message: `input ${big} is 600 MiB, over the 512 MiB limit for an input` });
  assert.equal(FILE_LIMITS.input, 512 * 2 ** 20);
  assert.deepEqual([...readRegularFile(file('ok.bin', new Uint8Array([1, 2, 3])), 'input')], [1, 2, 3]);
});

test('cnnlab refuses endless, hostile and empty inputs with one line and exit 2', () => {
  const bomb = file('bomb.png', pngBomb(1024));
  const wide0 = file('wide0.png', rawPng({ width: 0, height: 8 }, [pngChunk('IDAT', zlibZeros(1))]));
  const noData = file('nodata.png', rawPng({ width: 8, height: 8 }, []));
  const cut = file('cut.jpg', truncatedJpeg(10000, 10000));
  const edges = 'samples/lecture/09-edges.cnn';
  const cases: [string[], RegExp][] = [
    [['check', '/dev/zero'], /^cnnlab: \/dev\/zero is not a regular file \(a character device\); give a \.cnn file$/],
    [['summary', tmp], /is not a regular file \(a directory\)/],
    [['run', edges, '--input', '/dev/zero'], /^cnnlab: input \/dev\/zero is not a regular file \(a character device\); give a PNG, JPEG or \.npy file$/],
    [['run', edges, '--input', 'samples/images/edge.png', '--weights', '/dev/zero'], /^cnnlab: weights \/dev\/zero is not a regular file \(a character device\); give a \.safetensors file$/],
    [['run', edges, '--input', bomb], /^cnnlab: bomb\.png: not a valid PNG: its image data inflates to more than the 2 bytes a 1×1 image needs/],
    [['run', edges, '--input', wide0], /^cnnlab: wide0\.png: not a valid PNG: it is 0×8 pixels: an image needs at least one pixel each way$/],
    [['run', edges, '--input', noData], /^cnnlab: nodata\.png: not a valid PNG: it has no image data \(no IDAT chunk\)$/],
    [['run', edges, '--input', cut], /^cnnlab: cut\.jpg: the JPEG is truncated: the file ends before its end-of-image marker$/],
  ];
  for (const [args, message] of cases) {
    const r = cnnlab(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err.trim(), message, args.join(' '));
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.equal(r.out, '');
  }
});
