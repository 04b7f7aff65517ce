/**
 * The snippets of snippets/cnn.json, expanded with their defaults (as VS Code inserts them when Tab is
 * pressed through), analysed inside a network that suits them: the graph snippets must give no error
 * or warning and shapes all the way through; every other snippet must at least be well-formed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../server/src/analysis/analyze.js';
import { snippetToText } from '../../server/src/features/completion.js';
import { readRepo } from '../helpers/core.js';

interface Snippet { prefix: string | string[]; description: string; body: string[] }
const SNIPPETS = JSON.parse(readRepo('snippets/cnn.json')) as Record<string, Snippet>;

/** The network each graph snippet is tried in, and the output shape worked out by hand. */
const GRAPH: Record<string, { prelude: string; out: number[] }> = {
  // 64×56×56: two 3×3 pad-1 convs keep 64×56×56; identity shortcut.
  'ResNet basic block': { prelude: 'input 64x56x56\nauto bn relu', out: [64, 56, 56] },
  // stride 2 pad 1: ⌊(56 + 2 − 3)/2⌋ + 1 = 28; projection ⌊(56 − 1)/2⌋ + 1 = 28.
  'ResNet basic block, downsampling': { prelude: 'input 64x56x56\nauto bn relu', out: [128, 28, 28] },
  'ResNet bottleneck': { prelude: 'input 64x56x56\nauto bn relu', out: [256, 56, 56] },
  // 32 → 192 → depthwise → 32, added to the 32-channel input.
  'Inverted residual (MobileNetV2)': { prelude: 'input 32x56x56\nauto bn relu6', out: [32, 56, 56] },
  // 64 + 128 + 32 + 32 = 256 channels, every branch keeps 28×28.
  'Inception module': { prelude: 'input 192x28x28\nauto relu', out: [256, 28, 28] },
  // 64×56×56 × 64×1×1 broadcast.
  'Squeeze-and-excitation': { prelude: 'input 64x56x56\nauto bn relu', out: [64, 56, 56] },
};

/** A snippet as VS Code inserts it with every placeholder left at its default. */
const expand = (s: Snippet) => snippetToText(s.body.join('\n'));

test('each graph snippet analyses without problems in a suitable network and gives the hand-worked shape', () => {
  for (const [name, { prelude, out }] of Object.entries(GRAPH)) {
    assert.ok(SNIPPETS[name], `snippet '${name}' exists`);
    const text = `network s\n${prelude}\n${expand(SNIPPETS[name])}\n`;
    const a = analyze(text);
    const problems = a.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning');
    assert.deepEqual(problems.map((d) => `${d.code}: ${d.message}`), [], `${name}:\n${text}`);
    const net = a.networks[0];
    assert.ok(net.totals.complete, name);
    assert.ok(net.decl.branching, `${name} is a graph`);
    assert.deepEqual(net.layers[net.layers.length - 1].out, out, name);
  }
});

test('every other snippet is well-formed: no syntax, unknown-word or unbalanced-end problems', () => {
  for (const [name, s] of Object.entries(SNIPPETS)) {
    if (GRAPH[name]) continue;
    const body = expand(s);
    const text = /^network /.test(body) ? body : `network s\ninput 3x64x64\nauto relu\n${body}\n`;
    const a = analyze(text);
    const bad = a.diagnostics.filter((d) => /^(syntax|unknown-|unbalanced-end)/.test(d.code));
    assert.deepEqual(bad.map((d) => `${d.code}: ${d.message}`), [], `${name}:\n${text}`);
  }
});
