/** Seeded random edits over every sample: parsing and analysis always return, never throw, never produce NaN. */
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
];
const PIECES = ['conv', '3', '-', 'x', ':', '#', '\n', ' ', 'pad', 'stride', '99999999999', '0', 'block', 'end', 'repeat', 'network', 'input',
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

test('thousands of mutated samples: analysis always returns sane figures and ranges', () => {
  const r = rng(20261127);
  let runs = 0;
  let withErrors = 0;
  for (const f of samples) {
    const base = readRepo(f);
    for (let i = 0; i < 250; i++) {
      let text = base;
      const edits = 1 + Math.floor(r() * 4);
      for (let e = 0; e < edits; e++) text = mutate(text, r);
      const a = analyze(text);
      runs++;
      if (a.diagnostics.some((d) => d.severity === 'error')) withErrors++;
      for (const d of a.diagnostics) {
        assert.ok(d.span.start >= 0 && d.span.end <= text.length && d.span.start <= d.span.end, `${f}#${i}: bad range for ${d.code}`);
      }
      for (const n of a.networks) {
        for (const v of [n.totals.params, n.totals.macs, n.totals.activations, ...n.layers.flatMap((l) => [l.params, l.macs, l.activations, ...(l.out ?? []), ...(l.rf ?? [])])]) {
          assert.ok(Number.isFinite(v) && v >= 0, `${f}#${i}: figure ${v}\n${text}`);
        }
      }
      JSON.stringify(toSummary(a));
    }
  }
  assert.ok(runs >= 3000, `only ${runs} runs`);
  assert.ok(withErrors > runs / 10, 'the mutations should break files often enough to exercise recovery');
});

test('pathological texts: empty, only comments, binary noise, a 100,000-character line', () => {
  const r = rng(7);
  const noise = Array.from({ length: 5000 }, () => String.fromCharCode(Math.floor(r() * 0xffff))).join('');
  for (const t of ['', '\n\n\n', '# only a comment', noise, 'conv3-8 '.repeat(12_500), 'block a\n'.repeat(500), 'end\n'.repeat(500),
    'block a\n a\nend\nblock b\n a x1000\n a x1000\nend\ninput 1x1x1\nrepeat 1000\n b\nend\n']) {
    const a = analyze(t);
    assert.ok(Array.isArray(a.diagnostics));
  }
});
