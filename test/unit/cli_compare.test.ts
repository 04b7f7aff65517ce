/** `cnnlab compare` from the built CLI (dist/cli.js): the JSON contract, the table and the errors. */
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

test('compare --json gives exactly name, weightLayers, params, macs, activations, fcShare and rf per network', () => {
  const r = cnnlab('compare', 'samples/vgg.cnn', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { networks: { name: string; weightLayers: number; params: number; macs: number; activations: number; fcShare: number; rf: number[] }[] };
  assert.deepEqual(Object.keys(j), ['networks']);
  for (const n of j.networks) assert.deepEqual(Object.keys(n), ['name', 'weightLayers', 'params', 'macs', 'activations', 'fcShare', 'rf']);
  // The paper's Table 2, in millions.
  assert.deepEqual(j.networks.map((n) => [n.name, n.weightLayers, Math.round(n.params / 1e6)]),
    [['VGG-A', 11, 133], ['VGG-A-LRN', 11, 133], ['VGG-B', 13, 133], ['VGG-C', 16, 134], ['VGG-D', 16, 138], ['VGG-E', 19, 144]]);
  const d = j.networks[4];
  assert.deepEqual([d.params, d.macs, d.rf], [138_357_544, 15_470_264_320, [212, 212]]);
});

test('compare --json on the zoo file: torchvision\'s counts and the measured receptive fields', () => {
  const r = cnnlab('compare', 'samples/zoo/compare.cnn', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { networks: { name: string; params: number; macs: number; rf: number[] }[] };
  assert.deepEqual(j.networks.map((n) => [n.name, n.params, n.macs, n.rf]), [
    ['resnet18', 11_689_512, 1_814_073_344, [435, 435]],
    ['resnet50', 25_557_032, 4_089_184_256, [427, 427]],
    ['mobilenet_v2', 3_504_872, 300_774_272, [491, 491]],
  ]);
});

test('compare prints a table: one row per network, thousands separators, millions as in Table 2, the notes', () => {
  const r = cnnlab('compare', 'samples/vgg.cnn');
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  assert.match(lines[1], /^Network\s+Weight layers\s+Params\s+Params \(M\)\s+MACs\s+GMACs\s+Activations\s+Param memory\s+fc share\s+RF$/);
  assert.match(r.out, /^VGG-A {5}\s+11\s+132,863,336\s+133\s+7,609,090,048\s+7\.61\s+65\.6 MB\s+531\.5 MB\s+93\.1%\s+150$/m);
  assert.match(r.out, /^VGG-D\s+16\s+138,357,544\s+138\s+15,470,264,320\s+15\.47\s+114\.6 MB\s+553\.4 MB\s+89\.4%\s+212$/m);
  assert.match(r.out, /^VGG-E\s+19\s+143,667,240\s+144\s/m);
  assert.match(r.out, /^Weight layers: conv, deconv and fc layers/m);
  assert.match(r.out, /^RF: receptive field at the last feature map, the input of the first fc\/gap\/flatten in execution order/m);
});

test('compare: errors of the command are one line and exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cnnlab-compare-'));
  const empty = join(dir, 'empty.cnn');
  writeFileSync(empty, '# nothing here\n');
  for (const [args, msg] of [
    [['compare'], /^cnnlab: compare takes one file/],
    [['compare', 'samples/vgg.cnn', 'samples/vgg16.cnn'], /^cnnlab: compare takes one file/],
    [['compare', 'no/such.cnn'], /^cnnlab: cannot read no\/such\.cnn: no such file\n$/],
    [['compare', empty], /has no network to compare\n$/],
    [['compare', 'samples/vgg.cnn', '--network', 'VGG-A'], /^cnnlab: unknown option --network/],
  ] as const) {
    const r = cnnlab(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, msg);
  }
});
