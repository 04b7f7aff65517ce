/**
 * `cnnLab/compare` over the real protocol: spawns the built dist/server.js and asks as the comparison
 * view does. Waits are for events (diagnostics published, responses), never sleeps.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readRepo } from '../helpers/core.js';
import { startTestServer, testUri, type TestServer } from '../helpers/lsp.js';
import { analyze } from '../../server/src/analysis/analyze.js';
import { compareNetworks } from '../../server/src/analysis/compare.js';
import { compareRequest, type CompareResult } from '../../server/src/protocol.js';

const VGG = readRepo('samples/vgg.cnn');
const uri = testUri('vgg.cnn');

describe('cnnLab/compare', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
    await s.open(uri, VGG);
  });
  after(async () => {
    await s?.stop();
  });

  test('answers the core comparison of every network, each with the range of its network line', async () => {
    const r = await s.conn.sendRequest<CompareResult | null>(compareRequest.method, { uri });
    assert.ok(r);
    assert.deepEqual(r.networks.map((n) => [n.name, n.weightLayers, Math.round(n.params / 1e6), n.rf]), [
      ['VGG-A', 11, 133, [150, 150]], ['VGG-A-LRN', 11, 133, [150, 150]], ['VGG-B', 13, 133, [156, 156]],
      ['VGG-C', 16, 134, [156, 156]], ['VGG-D', 16, 138, [212, 212]], ['VGG-E', 19, 144, [268, 268]],
    ]);
    // The same records as the CLI's, plus the range: nothing is re-derived on the way.
    const core = compareNetworks(analyze(VGG, 'vgg')).networks;
    assert.deepEqual(r.networks.map(({ range: _r, ...n }) => n), JSON.parse(JSON.stringify(core)));
    const lines = VGG.split('\n');
    for (const n of r.networks) {
      assert.equal(lines[n.range.start.line].replace(/\s*#.*$/, '').trim(), `network ${n.name}`, n.name);
      assert.equal(n.range.start.line + 1, n.line);
      assert.equal(n.range.start.character, 0);
    }
    assert.deepEqual(r.networks[4].stages.map((st) => st.key), ['s0', 's1', 's2', 's3', 's4', 's5', 'head']);
  });

  test('follows edits: a new version is compared again', async () => {
    const edited = VGG.replace('network VGG-E    # 19 weight layers\ninput 3x224x224\nauto relu\n', 'network VGG-E    # 19 weight layers\ninput 3x224x224\nauto relu\nconv3-64 pad1\n');
    assert.notEqual(edited, VGG);
    await s.replace(uri, edited, 2);
    const r = await s.conn.sendRequest<CompareResult | null>(compareRequest.method, { uri });
    const e = r!.networks.find((n) => n.name === 'VGG-E')!;
    // One more 3×3 conv on 3 channels (1,792 params) and every later layer unchanged but conv1_1, which now reads 64 channels.
    assert.equal(e.weightLayers, 20);
    assert.equal(e.params, 143_667_240 + 1_792 + (64 - 3) * 64 * 9);
    assert.equal(e.rf![0], 268 + 2);
  });

  test('a document that is not open gives null; missing parameters give null, and the server keeps serving', async () => {
    assert.equal(await s.conn.sendRequest(compareRequest.method, { uri: testUri('not-open.cnn') }), null);
    assert.equal(await s.conn.sendRequest(compareRequest.method, null), null);
    assert.equal(await s.conn.sendRequest(compareRequest.method, {}), null);
    const r = await s.conn.sendRequest<CompareResult | null>(compareRequest.method, { uri });
    assert.equal(r?.networks.length, 6);
    assert.equal(s.child.exitCode, null);
  });

  test('a file without a network line compares its one implicit network, revealing its first statement', async () => {
    const u = testUri('tiny.cnn');
    await s.open(u, '# a comment\ninput 1x8x8\nconv3-2\n');
    const r = await s.conn.sendRequest<CompareResult | null>(compareRequest.method, { uri: u });
    assert.deepEqual(r?.networks.map((n) => [n.name, n.weightLayers, n.params, n.range.start.line]), [['tiny', 1, 20, 1]]);
  });
});
