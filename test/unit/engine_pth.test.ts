/**
 * PyTorch checkpoints (.pth/.pt from torch.save): the ZIP reader, the restricted unpickler and the
 * tensor reader, against the values PyTorch saved (test/fixtures/pth/generate.py writes each checkpoint
 * with its expected values as safetensors beside it), through `cnnlab run`, and against hostile files,
 * which must be refused by name without running anything.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { paramsFromTensors, paramsFromWeights, readWeightsFile } from '../../server/src/engine/loadweights.js';
import { readNpy } from '../../server/src/engine/npy.js';
import { unpickle, type UnpickleHooks } from '../../server/src/engine/pickle.js';
import { DEFAULT_PTH_LIMITS, parsePth } from '../../server/src/engine/pth.js';
import { parseSafetensors, type SafeTensor } from '../../server/src/engine/safetensors.js';
import { readZipDirectory, readZipEntry } from '../../server/src/engine/zip.js';
import { planRun } from '../../server/src/run/plan.js';
import { analyzeSample, repoPath } from '../helpers/core.js';

const DIR = 'test/fixtures/pth';
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(repoPath(`${DIR}/${name}`)));
/** The file every hostile payload would create in the working directory. */
const PWNED = 'cnnlab-pth-pwned';

/** Asserts two tensor lists hold the same names, dtypes, shapes and values, printing the max difference. */
function assertSameTensors(got: readonly SafeTensor[], want: readonly SafeTensor[], what: string): void {
  assert.deepEqual(got.map((t) => t.name), want.map((t) => t.name), `${what}: names`);
  for (const [i, w] of want.entries()) {
    const g = got[i];
    assert.deepEqual(g.shape, w.shape, `${what} ${w.name}: shape`);
    assert.equal(g.data === null, w.data === null, `${what} ${w.name}: float or not (${g.dtype} vs ${w.dtype})`);
    if (!g.data || !w.data) continue;
    let diff = 0;
    for (let k = 0; k < w.data.length; k++) diff = Math.max(diff, Math.abs(g.data[k] - w.data[k]));
    assert.equal(g.data.length, w.data.length, `${what} ${w.name}: length`);
    assert.equal(diff, 0, `${what} ${w.name}: max diff ${diff}`);
  }
}

/** A ZIP archive with the given entries, for archives torch does not write (zip64, lying fields). */
function buildZip(
  entries: readonly { name: string; data: Uint8Array; method?: 0 | 8 | 12; declaredSize?: number; flags?: number }[],
  opts: { zip64?: boolean } = {},
): Uint8Array {
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const method = e.method ?? 0;
    const body = method === 8 ? new Uint8Array(deflateRawSync(e.data)) : e.data;
    const name = enc.encode(e.name);
    const size = e.declaredSize ?? e.data.length;
    const local = new Uint8Array(30 + name.length + body.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(6, e.flags ?? 0, true);
    lv.setUint16(8, method, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, size, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    local.set(body, 30 + name.length);
    const extra = opts.zip64 ? 4 + 24 : 0;
    const central = new Uint8Array(46 + name.length + extra);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(8, e.flags ?? 0, true);
    cv.setUint16(10, method, true);
    cv.setUint32(20, opts.zip64 ? 0xffffffff : body.length, true);
    cv.setUint32(24, opts.zip64 ? 0xffffffff : size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint16(30, extra, true);
    cv.setUint32(42, opts.zip64 ? 0xffffffff : offset, true);
    central.set(name, 46);
    if (opts.zip64) {
      const x = 46 + name.length;
      cv.setUint16(x, 0x0001, true);
      cv.setUint16(x + 2, 24, true);
      cv.setBigUint64(x + 4, BigInt(size), true);
      cv.setBigUint64(x + 12, BigInt(body.length), true);
      cv.setBigUint64(x + 20, BigInt(offset), true);
    }
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const cdSize = centrals.reduce((a, c) => a + c.length, 0);
  const tail = new Uint8Array((opts.zip64 ? 56 + 20 : 0) + 22);
  const tv = new DataView(tail.buffer);
  let t = 0;
  if (opts.zip64) {
    tv.setUint32(0, 0x06064b50, true);
    tv.setBigUint64(4, 44n, true);
    tv.setBigUint64(24, BigInt(entries.length), true);
    tv.setBigUint64(32, BigInt(entries.length), true);
    tv.setBigUint64(40, BigInt(cdSize), true);
    tv.setBigUint64(48, BigInt(offset), true);
    tv.setUint32(56, 0x07064b50, true);
    tv.setBigUint64(64, BigInt(offset + cdSize), true);
    tv.setUint32(72, 1, true);
    t = 76;
  }
  tv.setUint32(t, 0x06054b50, true);
  tv.setUint16(t + 8, opts.zip64 ? 0xffff : entries.length, true);
  tv.setUint16(t + 10, opts.zip64 ? 0xffff : entries.length, true);
  tv.setUint32(t + 12, opts.zip64 ? 0xffffffff : cdSize, true);
  tv.setUint32(t + 16, opts.zip64 ? 0xffffffff : offset, true);
  const out = new Uint8Array(offset + cdSize + tail.length);
  let p = 0;
  for (const part of [...locals, ...centrals, tail]) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/** The entries of a fixture archive, as (name, bytes) pairs. */
function entriesOf(bytes: Uint8Array): { name: string; data: Uint8Array }[] {
  return readZipDirectory(bytes).map((e) => ({ name: e.name, data: readZipEntry(bytes, e) }));
}

/** Hooks that allow nothing, for the unpickler's plain-data opcodes. */
const NO_GLOBALS: UnpickleHooks = {
  global: (m, n) => {
    throw new Error(`refused ${m}.${n}`);
  },
  reduce: () => {
    throw new Error('no reduce');
  },
  build: () => {
    throw new Error('no build');
  },
  persistentLoad: () => {
    throw new Error('no persistent ids');
  },
};

describe('.pth checkpoints PyTorch wrote load with the values it saved', () => {
  const expected = parseSafetensors(fixture('seq.safetensors'), 'seq.safetensors');

  for (const name of ['seq.pth', 'seq_named.pth', 'seq_state_dict.pth', 'seq_model.pth', 'seq_noncontig.pth', 'seq_deflated.pth']) {
    it(name, () => assertSameTensors(parsePth(fixture(name), name), expected, name));
  }

  it('seq_half.pth: float16 tensors become the float32 values of the same halves', () => {
    const got = parsePth(fixture('seq_half.pth'), 'seq_half.pth');
    assert.deepEqual(got.map((t) => t.dtype), ['F16', 'F16', 'F16', 'F16', 'F16', 'F16', 'I64', 'F16', 'F16']);
    assertSameTensors(got, parseSafetensors(fixture('seq_half.safetensors')), 'seq_half.pth');
  });

  it('the archive really is what the fixture claims: a folder other than archive/, a transposed view, deflate', () => {
    assert.ok(readZipDirectory(fixture('seq_named.pth')).every((e) => e.name.startsWith('seq_named/')));
    assert.ok(readZipDirectory(fixture('seq_deflated.pth')).some((e) => e.method === 8));
    // The noncontiguous file's fc weight storage holds the transpose: reading it flat would give other values.
    const nc = entriesOf(fixture('seq_noncontig.pth'));
    const plain = entriesOf(fixture('seq.pth'));
    assert.notDeepEqual(nc.find((e) => e.name === 'archive/data/7')!.data, plain.find((e) => e.name === 'archive/data/7')!.data);
  });

  it('an aligned float32 tensor of a stored entry is a view into the file, not a copy', () => {
    const bytes = fixture('seq.pth');
    const t = parsePth(bytes, 'seq.pth').find((x) => x.name === '4.weight')!;
    assert.equal(t.data!.buffer, bytes.buffer);
  });

  it('the same archive written as zip64 (64-bit sizes and offsets in extra fields) reads the same', () => {
    const zip64 = buildZip(entriesOf(fixture('seq.pth')), { zip64: true });
    assertSameTensors(parsePth(zip64, 'zip64.pth'), expected, 'zip64');
  });

  it('readWeightsFile tells the formats apart by content, not name', () => {
    assertSameTensors(readWeightsFile(fixture('seq.pth'), 'weights.bin'), expected, 'pth by content');
    assertSameTensors(readWeightsFile(fixture('seq.safetensors'), 'weights.pth'), expected, 'safetensors by content');
  });

  it('.pth and .safetensors assign identical parameters to the layers of net.cnn', () => {
    const plan = planRun(analyzeSample(`${DIR}/net.cnn`));
    const fromSt = paramsFromWeights(fixture('seq.safetensors'), plan.inputShape, plan.layers, 'seq.safetensors', plan.inputs);
    for (const name of ['seq.pth', 'seq_model.pth', 'seq_noncontig.pth']) {
      const fromPth = paramsFromWeights(fixture(name), plan.inputShape, plan.layers, name, plan.inputs);
      assert.deepEqual(fromPth, fromSt, name);
    }
  });

  it('a shape mismatch names the layer and tensor as it does for safetensors', () => {
    const plan = planRun(analyzeSample(`${DIR}/net.cnn`));
    const tensors = parsePth(fixture('seq.pth'), 'seq.pth').filter((t) => !t.name.startsWith('4.'));
    assert.throws(() => paramsFromTensors(tensors, plan.inputShape, plan.layers, 'seq.pth', plan.inputs), /^Error: seq\.pth: the file has 2 parameter groups \[0, 1\] but the network has 3 layers with parameters/);
  });
});

describe('hostile and broken .pth files are refused by name, and nothing runs', () => {
  const cases: [string, RegExp][] = [
    ['evil_system.pth', /^refused to load evil_system\.pth: it asks to call posix\.system, and CNN Lab only reads tensors$/],
    ['evil_eval.pth', /^refused to load evil_eval\.pth: it asks to call builtins\.eval, and CNN Lab only reads tensors$/],
    ['whole_model.pth', /^refused to load whole_model\.pth: it asks to call torch\.nn\.modules\.container\.Sequential, .*save model\.state_dict\(\) instead/],
    ['torchscript.pt', /^torchscript\.pt: is a TorchScript archive \(torch\.jit\.save\); save model\.state_dict\(\)/],
    ['lying_sizes.pth', /^lying_sizes\.pth: not a valid ZIP archive: entry 'archive\/data\/7' declares 2147483648 bytes at byte \d+, past the end of the 6027-byte file/],
    ['lying_deflate.pth', /^lying_deflate\.pth: not a valid ZIP archive: entry 'archive\/data\.pkl' inflates to more than the 100 bytes it declares$/],
    ['storage_short.pth', /^storage_short\.pth: storage '0' holds 72 bytes, but its 1000 F32 elements need 4000$/],
    ['stride_outside.pth', /^stride_outside\.pth: tensor '0\.weight' \(shape \[2, 1, 3, 3\], stride \[10, 9, 3, 1\], offset 0\) reaches element 18 of storage '0', which has 18$/],
    ['truncated.pth', /^truncated\.pth: not a valid ZIP archive: no end-of-central-directory record .*\(truncated file\?\)$/],
  ];
  for (const [name, message] of cases) {
    it(name, () => {
      rmSync(PWNED, { force: true });
      assert.throws(() => readWeightsFile(fixture(name), name), (e: Error) => {
        assert.match(e.message, message);
        return true;
      });
      assert.ok(!existsSync(PWNED), `${name}: the payload ran`);
    });
  }

  it('a file in torch\'s format before 1.6 (a bare pickle) is refused with how to re-save it', () => {
    // The legacy format starts with the pickled magic number 0x1950a86a20f9469cfc6c as a LONG1.
    const legacy = new Uint8Array([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
    assert.throws(() => readWeightsFile(legacy, 'old.pth'), /^Error: old\.pth: is a PyTorch file in the format before torch 1\.6 .*torch\.save its state_dict again/);
  });

  it('ZIP archives that lie or use what CNN Lab does not read', () => {
    const pkl = entriesOf(fixture('seq.pth'));
    const cases: [Uint8Array, RegExp][] = [
      [buildZip([{ name: 'archive/data.pkl', data: new Uint8Array(10), method: 12 }]), /entry 'archive\/data\.pkl' uses compression method 12; CNN Lab reads stored and deflated entries only/],
      [buildZip([{ name: 'archive/data.pkl', data: new Uint8Array(10), flags: 1 }]), /entry 'archive\/data\.pkl' is encrypted/],
      [buildZip([{ name: 'archive/data.pkl', data: new Uint8Array(10), declaredSize: 11 }]), /stored entry 'archive\/data\.pkl' declares 11 bytes but occupies 10/],
      [buildZip([{ name: 'a/data.pkl', data: pkl[0].data }, { name: 'a/data.pkl', data: pkl[0].data }]), /two entries are named 'a\/data\.pkl'/],
      [buildZip([{ name: 'archive/other', data: new Uint8Array(1) }]), /is a ZIP archive without a data\.pkl/],
      [buildZip(pkl.filter((e) => e.name !== 'archive/data/3')), /tensor '1\.bias' uses storage '3', which the archive does not have/],
      [buildZip([...pkl, { name: 'archive/byteorder', data: new TextEncoder().encode('big') }]), /was written on a 'big'-endian machine/],
    ];
    for (const [bytes, message] of cases) assert.throws(() => parsePth(bytes, 'x.pth'), (e: Error) => (assert.match(e.message, message), true));

    // An end record whose entry count cannot fit in its central directory is refused before any entry is read.
    const good = fixture('seq.pth');
    const lying = good.slice();
    const eocd = lying.length - 22;
    new DataView(lying.buffer).setUint16(eocd + 10, 60000, true);
    assert.throws(() => parsePth(lying, 'count.pth'), /60000 entries cannot fit in a \d+-byte central directory/);
    const pastEnd = good.slice();
    new DataView(pastEnd.buffer).setUint32(pastEnd.length - 22 + 16, 0x7fffffff, true);
    assert.throws(() => parsePth(pastEnd, 'cd.pth'), /the central directory \(\d+ bytes at byte 2147483647\) runs past its end record/);
  });

  it('budgets are checked before allocating: tensors, elements, pickle and inflated sizes', () => {
    const bytes = fixture('seq.pth');
    const deflated = fixture('seq_deflated.pth');
    const cases: [Uint8Array, Partial<typeof DEFAULT_PTH_LIMITS>, RegExp][] = [
      [bytes, { maxTensors: 5 }, /has 9 tensors, over the 5-tensor limit/],
      [bytes, { maxElements: 100 }, /its tensors hold 8\d\d float elements, over the 100-element limit/],
      [bytes, { maxPickleBytes: 100 }, /its data\.pkl is \d+ bytes, over the 100-byte limit/],
      [bytes, { maxEntries: 3 }, /11 entries is over the 3-entry limit/],
      [deflated, { maxInflatedBytes: 200 }, /declares \d+ bytes inflated, over the 200-byte limit/],
    ];
    for (const [b, limits, message] of cases) {
      assert.throws(() => parsePth(b, 'x.pth', { ...DEFAULT_PTH_LIMITS, ...limits }), (e: Error) => (assert.match(e.message, message), true));
    }
  });
});

describe('the restricted unpickler', () => {
  const run = (bytes: number[]): unknown => unpickle(new Uint8Array(bytes), NO_GLOBALS, 't.pkl');
  const s = (text: string): number[] => [...new TextEncoder().encode(text)];

  it('builds dicts, lists, tuples, numbers and strings with memo references', () => {
    // {'a': [1, -2, 300, 2**40, 1.5, True, None, ('x',)], 'b': <the same list>} at protocol 2.
    const value = run([
      0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 1, 0, 0, 0, ...s('a'), 0x5d, 0x71, 0x01, 0x28,
      0x4b, 1, 0x4a, 0xfe, 0xff, 0xff, 0xff, 0x4d, 0x2c, 0x01, 0x8a, 0x06, 0, 0, 0, 0, 0, 1,
      0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x88, 0x4e, 0x8c, 1, ...s('x'), 0x85, 0x65,
      0x58, 1, 0, 0, 0, ...s('b'), 0x68, 0x01, 0x75, 0x2e,
    ]) as Map<string, unknown[]>;
    assert.deepEqual(value.get('a'), [1, -2, 300, 2 ** 40, 1.5, true, null, ['x']]);
    assert.equal(value.get('b'), value.get('a'), 'BINGET returns the same list');
  });

  it('refuses object-building opcodes, absurd lengths, dangling memo references and a missing STOP', () => {
    const cases: [number[], RegExp][] = [
      [[0x80, 0x02, 0x4e, 0x29, 0x81, 0x2e], /opcode NEWOBJ builds objects CNN Lab does not read \(pickle byte 4\)/],
      [[0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x7f, 0x2e], /a string of 2147483647 bytes runs past the end of the 8-byte pickle/],
      [[0x80, 0x04, 0x8d, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x2e], /a string of 4611686018427387904 bytes runs past the end/],
      [[0x80, 0x02, 0x8b, 0xff, 0xff, 0, 0, 0x2e], /a LONG4 of 65535 bytes is larger than any integer a checkpoint holds/],
      [[0x80, 0x02, 0x6a, 5, 0, 0, 0, 0x2e], /memo entry 5 was never stored/],
      [[0x80, 0x02, 0x7d, 0x71, 0x00], /ends without a STOP opcode \(truncated file\?\)/],
      [[0x80, 0x02, 0x63, ...s('os\nsystem\n'), 0x2e], /^refused os\.system$/],
      [[0x80, 0x02, 0x29, 0x4b, 1, 0x61, 0x2e], /APPEND to something that is not a list/],
      [[0x80, 0x02, 0x52, 0x2e], /the stack is empty/],
      [[0x80, 0x02, 0xff], /unknown opcode 0xff/],
    ];
    for (const [bytes, message] of cases) assert.throws(() => run(bytes), (e: Error) => (assert.match(e.message, message), true));
  });
});

describe('cnnlab run --weights X.pth', () => {
  const cnnlab = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [repoPath('dist/cli.js'), ...args], { cwd, encoding: 'utf8' });
  const runDump = (weights: string): Map<string, Uint8Array> => {
    const dir = mkdtempSync(join(tmpdir(), 'cnnlab-pth-'));
    const r = cnnlab(repoPath('.'), 'run', `${DIR}/net.cnn`, '--input', `${DIR}/input.npy`, '--weights', `${DIR}/${weights}`, '--dump', dir);
    assert.equal(r.status, 0, r.stderr);
    return new Map(readdirSync(dir).sort().map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]));
  };

  it('gives byte-identical layer outputs to the same run with the equivalent .safetensors, and matches PyTorch', () => {
    const ref = runDump('seq.safetensors');
    assert.deepEqual([...ref.keys()], ['000-conv.npy', '001-bn.npy', '002-relu.npy', '003-fc.npy']);
    for (const w of ['seq.pth', 'seq_state_dict.pth', 'seq_noncontig.pth', 'seq_deflated.pth']) assert.deepEqual(runDump(w), ref, w);
    assert.deepEqual(runDump('seq_half.pth'), runDump('seq_half.safetensors'), 'seq_half.pth');

    const got = readNpy(ref.get('003-fc.npy')!);
    const torch = readNpy(fixture('output.npy'));
    const diff = Math.max(...got.data.map((v, i) => Math.abs(v - torch.data[i])));
    assert.ok(diff < 1e-5, `fc output vs PyTorch: max diff ${diff}`);
  });

  it('refuses the os.system checkpoint with exit 2 and the payload never runs', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'cnnlab-pth-evil-'));
    writeFileSync(join(cwd, 'net.cnn'), readFileSync(repoPath(`${DIR}/net.cnn`)));
    for (const evil of ['evil_system.pth', 'evil_eval.pth']) {
      const r = cnnlab(cwd, 'run', 'net.cnn', '--input', repoPath(`${DIR}/input.npy`), '--weights', repoPath(`${DIR}/${evil}`));
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /refused to load evil_(system|eval)\.pth: it asks to call (posix\.system|builtins\.eval), and CNN Lab only reads tensors/);
      assert.ok(!existsSync(join(cwd, PWNED)), `${evil}: the payload ran`);
    }
  });
});
