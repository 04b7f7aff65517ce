/** The built `cnnlab` CLI: the JSON contract, the table, `check` lines and exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../helpers/core.js';

function cnnlab(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [repoPath('dist/cli.js'), ...args], { cwd: repoPath('.'), encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('summary --json keeps the documented contract', () => {
  const r = cnnlab('summary', 'samples/vgg16.cnn', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(Object.keys(j), ['networks', 'diagnostics']);
  const n = j.networks[0];
  assert.equal(n.name, 'vgg16');
  assert.deepEqual(n.input, [3, 224, 224]);
  for (const k of ['index', 'line', 'text', 'kind', 'in', 'out', 'params', 'macs', 'activations', 'rf', 'jump', 'padding']) assert.ok(k in n.layers[0], k);
  assert.deepEqual(n.layers[0], { ...n.layers[0], index: 0, line: 7, text: 'conv3-64 pad1', kind: 'conv', in: [3, 224, 224], out: [64, 224, 224], params: 1792, macs: 86_704_128, activations: 3_211_264, rf: [3, 3], jump: [1, 1], padding: [1, 1] });
  assert.deepEqual([n.totals.params, n.totals.macs], [138_357_544, 15_470_264_320]);
  const d = j.diagnostics[0];
  assert.deepEqual(Object.keys(d).sort(), ['code', 'column', 'endColumn', 'endLine', 'line', 'message', 'severity']);
  assert.deepEqual([d.code, d.severity, d.line, d.column], ['fc-dominates', 'information', 30, 1]);
});

test('summary prints a table with thousands separators and the totals', () => {
  const r = cnnlab('summary', 'samples/vgg.cnn', '--network', 'VGG-E');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^VGG-E: input 3×224×224/);
  assert.match(r.out, /Total params:\s+143,667,240 {2}\(fc layers 123,642,856 = 86\.1%\)/);
  assert.match(r.out, /Total MACs:\s+19,632,062,464 {2}\(19\.63 GMACs; FLOPs = 2·MACs = 39\.26 GFLOPs\)/);
  assert.match(r.out, /conv3-64 pad1\s+64×224×224\s+1,792\s+86,704,128\s+3\n/);
  assert.doesNotMatch(r.out, /VGG-D/);
});

test('check prints file:line:col: severity: message [code] and exits 1 on errors', () => {
  const r = cnnlab('check', 'samples/mistakes.cnn', 'samples/vgg16.cnn');
  assert.equal(r.code, 1);
  assert.match(r.out, /^samples\/mistakes\.cnn:10:1: error: unknown layer 'convv3-8' — did you mean 'conv3-8'\? \[unknown-layer\]$/m);
  assert.match(r.out, /^samples\/vgg16\.cnn:30:1: information: .* \[fc-dominates\]$/m);
  const ok = cnnlab('check', 'samples/vgg16.cnn', 'samples/lecture/01-weight-sharing.cnn');
  assert.equal(ok.code, 0, 'information alone is not a failure');
});

test('errors of the command itself are one line and exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlab-'));
  const f = join(dir, 'x.cnn');
  writeFileSync(f, 'network a\ninput 1x8x8\nconv3-1\n');
  for (const [args, msg] of [
    [['summary', 'no/such/file.cnn'], /^cnnlab: cannot read no\/such\/file\.cnn: no such file\n$/],
    [['summary', f, '--network', 'b'], /^cnnlab: no network named 'b' in .* \(it has: a\)\n$/],
    [['frobnicate'], /^cnnlab: unknown command 'frobnicate'/],
    [['summary', f, '--bogus'], /^cnnlab: unknown option --bogus/],
  ] as const) {
    const r = cnnlab(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, msg);
  }
});

test('run: Sobel x on the edge picture is bright on the edge and nowhere else; --dump and --png write per-layer files', async () => {
  const { readNpy } = await import('../../server/src/engine/npy.js');
  const { readFileSync, readdirSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'cnnlab-run-'));
  const r = cnnlab('run', 'samples/lecture/09-edges.cnn', '--network', 'sobel-x', '--input', 'samples/images/edge.png', '--dump', join(dir, 'npy'), '--png', join(dir, 'png'), '--top', '2');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^sobel-x: 1 layer in \d+ ms/);
  // It says which kernels ran: the SIMD ones, in the build its runtime loads (which one is the run
  // worker's test's to check: the child here may run another Node than this test).
  assert.match(r.out, /GFLOP\/s, WebAssembly SIMD kernels, (plain|FMA) build\)/);
  assert.deepEqual(readdirSync(join(dir, 'npy')), ['000-conv.npy']);
  assert.deepEqual(readdirSync(join(dir, 'png')), ['000-conv.png']);
  const out = readNpy(readFileSync(join(dir, 'npy', '000-conv.npy')));
  assert.deepEqual(out.shape, [1, 128, 128]);
  // The picture steps from 40 to 215 (of 255) between columns 63 and 64: Sobel x = 4 × 175/255 there.
  const row = Array.from(out.data.subarray(64 * 128, 65 * 128));
  const edge = (4 * 175) / 255;
  assert.ok(Math.abs(row[63] - edge) < 1e-3 && Math.abs(row[64] - edge) < 1e-3, `edge columns: ${row[63]}, ${row[64]}`);
  assert.ok(row.every((v, x) => x === 63 || x === 64 || x === 0 || x === 127 || Math.abs(v) < 1e-6), 'flat regions give 0 (borders see the zero padding)');
});

test('run: a branching network runs; --dump writes every layer in execution order, merges as NNN-add/concat/mul, each as torch computes it', async () => {
  const { readNpy } = await import('../../server/src/engine/npy.js');
  const { readFileSync, readdirSync } = await import('node:fs');
  const fixtures = 'test/fixtures/engine/graphs';
  for (const [name, merges] of [['mini-unet', ['009-concat.npy', '013-concat.npy']], ['resnet-block', ['010-add.npy']], ['squeeze-excite', ['007-mul.npy']]] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'cnnlab-graph-'));
    const r = cnnlab('run', `${fixtures}/${name}.cnn`, '--input', `${fixtures}/${name}/input.npy`, '--weights', `${fixtures}/${name}/weights.safetensors`, '--dump', dir);
    assert.equal(r.code, 0, r.err);
    const files = readdirSync(dir).sort();
    for (const m of merges) assert.ok(files.includes(m), `${name}: ${files.join(' ')}`);
    assert.match(r.out, new RegExp(`wrote ${files.length} \\.npy files`));
    files.forEach((f, i) => {
      assert.ok(f.startsWith(String(i).padStart(3, '0') + '-'), f);
      const got = readNpy(readFileSync(join(dir, f)));
      const ref = readNpy(readFileSync(repoPath(`${fixtures}/${name}/out_${String(i).padStart(2, '0')}.npy`)));
      assert.deepEqual(got.shape, ref.shape, f);
      const scale = Math.max(...ref.data.map(Math.abs));
      const diff = Math.max(...got.data.map((v, k) => Math.abs(v - ref.data[k])));
      assert.ok(diff <= 1e-4 * scale, `${name} ${f}: max diff ${diff}, max |torch| ${scale}`);
    });
  }
});

test('run: a corrupt image, missing --input or a network with errors is one clear line and exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlab-bad-'));
  const bad = join(dir, 'bad.png');
  writeFileSync(bad, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
  const cases = [
    [['run', 'samples/lecture/09-edges.cnn', '--input', bad], /^cnnlab: bad\.png: not a valid PNG/],
    [['run', 'samples/lecture/09-edges.cnn'], /^cnnlab: run needs --input/],
    [['run', 'samples/mistakes.cnn', '--network', 'groups-mismatch', '--input', 'samples/images/edge.png'], /^cnnlab: samples\/mistakes\.cnn: network 'groups-mismatch' has 1 error; fix it before running \(line 26: groups2 needs/],
    [['run', 'samples/vgg16.cnn', '--input', 'samples/images/edge.png', '--max-gmacs', '1'], /would take 15\.47 GMACs \(15,470,264,320\) and .* over the budget/],
  ] as const;
  for (const [args, msg] of cases) {
    const r = cnnlab(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, msg);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
});

test('run: a dwconv line runs with one filter per input channel', () => {
  const r = cnnlab('run', 'samples/lecture/06-depthwise.cnn', '--network', 'depthwise-separable', '--input', 'samples/images/shapes.png', '--top', '1');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^depthwise-separable: 2 layers in \d+ ms \(3×64×64 → 3×64×64/);
});

test('run: the SIMD kernels and the TypeScript kernels give the same answer (--no-simd)', () => {
  const args = ['run', 'samples/lecture/10-receptive-field.cnn', '--input', 'samples/images/shapes.png', '--top', '3'];
  const simd = cnnlab(...args);
  const ts = cnnlab(...args, '--no-simd');
  assert.equal(simd.code, 0, simd.err);
  assert.equal(ts.code, 0, ts.err);
  assert.equal(simd.err, '', 'SIMD should load in Node 20');
  const values = (out: string) => out.split('\n').filter((l) => /^\s+\d+\s+-?\d/.test(l)).map((l) => l.trim().split(/\s+/).map(Number));
  const a = values(simd.out);
  const b = values(ts.out);
  assert.equal(a.length, 3);
  a.forEach(([i, v], k) => {
    assert.equal(i, b[k][0]);
    assert.ok(Math.abs(v - b[k][1]) <= 1e-4 * Math.abs(b[k][1]), `${v} vs ${b[k][1]}`);
  });
});

test('export --format pytorch writes the .py and, with --seed, the .safetensors beside it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlab-export-'));
  const out = join(dir, 'r18.py');
  const r = cnnlab('export', 'samples/zoo/resnet18.cnn', '--format', 'pytorch', '-o', out, '--seed', '3');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /wrote .*r18\.py \(class Resnet18; build\(\) returns the model\)\nwrote .*r18\.safetensors \(122 tensors/);
  assert.equal(cnnlab('export', 'samples/vgg16.cnn', '--format', 'onnx2').code, 2);
  assert.match(cnnlab('export', 'samples/vgg16.cnn').err, /export needs --format \(onnx, pytorch\)/);
  assert.match(cnnlab('export', 'samples/lecture/07-too-many-pools.cnn', '--format', 'pytorch', '-o', join(dir, 'p.py')).err, /has errors; fix them before exporting/);
});

test('run --repeat N: N timed forwards of one loaded network, the same answer as one run with --dump (unfused)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlab-repeat-'));
  const args = ['run', 'samples/zoo/resnet18.cnn', '--input', 'samples/images/shapes.png', '--top', '3'];
  const r = cnnlab(...args, '--repeat', '3');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.out.split('\n').filter((l) => l.startsWith('run ')).map((l) => l.replace(/[\d.]+ ms$/, 'T ms')),
    ['run 1/3: T ms', 'run 2/3: T ms', 'run 3/3: T ms']);
  // --dump runs every layer on its own (no fusion); the fused run's top values agree within float rounding.
  const plain = cnnlab(...args, '--dump', dir);
  assert.equal(plain.code, 0, plain.err);
  const values = (out: string) => out.split('\n').filter((l) => /^\s+\d+\s+-?\d/.test(l)).map((l) => l.trim().split(/\s+/).map(Number));
  const a = values(r.out), b = values(plain.out);
  assert.equal(a.length, 3);
  a.forEach(([i, v], k) => {
    assert.equal(i, b[k][0]);
    assert.ok(Math.abs(v - b[k][1]) <= 1e-4 * Math.abs(b[k][1]), `${v} vs ${b[k][1]}`);
  });
  assert.match(cnnlab(...args, '--repeat', '0').err, /--repeat takes a whole number of runs ≥ 1/);
});
