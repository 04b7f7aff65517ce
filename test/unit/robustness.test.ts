/**
 * Seeded random edits over every sample (the zoo's branching ones too): analysis never throws, its
 * diagnostics lie in the text with a code, its figures are finite, it says the same twice, and the
 * networks before the edited one come out exactly as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { analyze } from '../../server/src/analysis/analyze.js';
import { toSummary } from '../../server/src/analysis/summary.js';
import { readRepo, repoPath } from '../helpers/core.js';
import { rng } from '../helpers/random.js';

const samples = [
  ...readdirSync(repoPath('samples')).filter((f) => f.endsWith('.cnn')).map((f) => `samples/${f}`),
  ...readdirSync(repoPath('samples/lecture')).filter((f) => f.endsWith('.cnn')).map((f) => `samples/lecture/${f}`),
  ...readdirSync(repoPath('samples/zoo')).filter((f) => f.endsWith('.cnn')).map((f) => `samples/zoo/${f}`),
];
const PIECES = ['conv', '3', '-', 'x', ':', '#', '\n', ' ', 'pad', 'stride', '99999999999', '0', 'block', 'end', 'repeat', 'network', 'input',
  'residual', 'shortcut', 'parallel', 'branch', 'add skip', 'concat', 'mul', 'skip: ', 'deconv2-8 stride2', 'ceil', 'relu6',
  'fc-', 'gap', 'dwconv', 'maxpool', '$', '\r\n', 'auto relu', 'groups', 'dilation', '1e9', '.', '//', 'same', 'upsample', 'zeros'];

/** One random edit: delete, insert, duplicate or swap lines, or blow up a number. */
function mutate(text: string, r: () => number): string {
  const pos = Math.floor(r() * (text.length + 1));
  switch (Math.floor(r() * 6)) {
    case 0: return text.slice(0, pos) + text.slice(pos + 1 + Math.floor(r() * 12));
    case 1: return text.slice(0, pos) + PIECES[Math.floor(r() * PIECES.length)] + text.slice(pos);
    case 2: {
      const lines = text.split('\n');
      const i = Math.floor(r() * lines.length);
      lines.splice(i, 0, lines[Math.floor(r() * lines.length)]);
      return lines.join('\n');
    }
    case 3: {
      const lines = text.split('\n');
      const i = Math.floor(r() * lines.length);
      const j = Math.floor(r() * lines.length);
      [lines[i], lines[j]] = [lines[j], lines[i]];
      return lines.join('\n');
    }
    case 4: return text.replace(/\d+/, () => String(Math.floor(r() * 1e12)));
    default: return text.slice(0, pos) + String.fromCharCode(Math.floor(r() * 0x3000)) + text.slice(pos);
  }
}

/** Every diagnostic lies inside the text and has a code and a message; every figure is a finite count. */
function assertSane(a: ReturnType<typeof analyze>, where: string): void {
  for (const d of a.diagnostics) {
    assert.ok(d.span.start >= 0 && d.span.end <= a.text.length && d.span.start <= d.span.end, `${where}: bad range for ${d.code}`);
    assert.ok(/^[a-z0-9]+(-[a-z0-9]+)*$/.test(d.code) && d.message.length > 0, `${where}: diagnostic without a code or message: ${JSON.stringify(d)}`);
  }
  for (const n of a.networks) {
    for (const v of [n.totals.params, n.totals.macs, n.totals.activations, ...n.layers.flatMap((l) => [l.params, l.macs, l.activations, ...(l.out ?? []), ...(l.rf ?? [])])]) {
      assert.ok(Number.isFinite(v) && v >= 0, `${where}: figure ${v}`);
    }
    for (const l of n.layers) for (const j of l.inputs) assert.ok(j >= -1 && j < l.index, `${where}: layer ${l.index} reads ${j}`);
  }
}

/** A network's summary without its line numbers (text before it may have moved). */
const figures = (a: ReturnType<typeof analyze>, name: string) =>
  JSON.stringify(toSummary(a, name).networks.map((n) => ({ ...n, line: 0, layers: n.layers.map((l) => ({ ...l, line: 0 })) })));

test('thousands of mutated samples: no throw, sane diagnostics and figures, the same result twice, the networks before an edit untouched', () => {
  const r = rng(20261127);
  let runs = 0;
  let withErrors = 0;
  let untouchedChecked = 0;
  for (const f of samples) {
    const base = readRepo(f);
    const original = analyze(base, 'network');
    const tries = f.startsWith('samples/zoo/') ? 30 : 250;
    for (let i = 0; i < tries; i++) {
      // Edit one network's own text, so the ones before it must come out exactly as before.
      const k = Math.floor(r() * original.networks.length);
      const span = original.networks[k]?.decl.span ?? { start: 0, end: base.length };
      let region = base.slice(span.start, span.end);
      const edits = 1 + Math.floor(r() * 4);
      for (let e = 0; e < edits; e++) region = mutate(region, r);
      const text = base.slice(0, span.start) + region + base.slice(span.end);
      const where = `${f}#${i}`;
      const a = analyze(text, 'network');
      runs++;
      if (a.diagnostics.some((d) => d.severity === 'error')) withErrors++;
      assertSane(a, where);
      // Deterministic: a second analysis (with the line cache now warm) says the same.
      assert.equal(JSON.stringify(toSummary(analyze(text, 'network'))), JSON.stringify(toSummary(a)), `${where}: a second analysis differs`);
      // Blocks are hoisted file-wide: an edit that touches a block definition may change any network.
      if (/\bblock\b/.test(base.slice(span.start, span.end)) || /\bblock\b/.test(region)) continue;
      // An edit of the header can fold the edited network into the one just before it: compare those before that.
      for (const n of original.networks.slice(0, Math.max(0, k - 1))) {
        if (n.decl.body.some((s) => original.program.blocks.has(s.head.text))) continue;
        assert.equal(figures(a, n.name), figures(original, n.name), `${where}: network ${n.name}, before the edited one, changed`);
        untouchedChecked++;
      }
    }
  }
  assert.ok(runs >= 3000, `only ${runs} runs`);
  assert.ok(withErrors > runs / 10, 'the mutations should break files often enough to exercise recovery');
  assert.ok(untouchedChecked > 500, `only ${untouchedChecked} untouched networks compared`);
});

test('pathological texts: empty, only comments, binary noise, a 100,000-character line, unbalanced constructs', () => {
  const r = rng(7);
  const noise = Array.from({ length: 5000 }, () => String.fromCharCode(Math.floor(r() * 0xffff))).join('');
  for (const t of ['', '\n\n\n', '# only a comment', noise, 'conv3-8 '.repeat(12_500), 'block a\n'.repeat(500), 'end\n'.repeat(500),
    'block a\n a\nend\nblock b\n a x1000\n a x1000\nend\ninput 1x1x1\nrepeat 1000\n b\nend\n',
    'residual\n'.repeat(300) + 'shortcut\nbranch\n'.repeat(300), 'parallel\nbranch\n'.repeat(400) + 'add x\nconcat\nmul a b c\n']) {
    const a = analyze(t);
    assertSane(a, JSON.stringify(t.slice(0, 40)));
    assert.equal(JSON.stringify(toSummary(analyze(t))), JSON.stringify(toSummary(a)));
  }
});
