/**
 * A measurement, not a test: the language server's latencies over the real protocol, against the
 * built dist/server.js (`npm run build` first), for VGG19 (configuration E of samples/vgg.cnn) and a
 * generated file of 10,000 layers:
 *   - didChange → publishDiagnostics (an edit in the middle of the file, the analysis included),
 *   - a burst of 20 keystrokes → the diagnostics of the last one,
 *   - hover and inlay-hint latency (median and p99 over many requests, analysis cached),
 *   - the server's heap (asked with `cnnLab/stats`).
 * Goals (issue 3): hover p99 < 5 ms on VGG19; didChange → diagnostics < 50 ms on 10,000 layers;
 * heap < 100 MB. Run: node --import tsx test/bench/lsp-bench.ts [--json] [--quick]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Hover, InlayHint } from 'vscode-languageserver-protocol';
import { startTestServer, type TestServer } from '../helpers/lsp.js';
import { statsRequest, type StatsResult } from '../../server/src/protocol.js';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');

/** VGG-E (19 weight layers) as its own document. */
function vgg19(): string {
  const all = readFileSync(fileURLToPath(new URL('../../samples/vgg.cnn', import.meta.url)), 'utf8');
  return all.slice(all.indexOf('network VGG-E'));
}

/** A network of `n` layers that keeps a 16×32×32 map: conv, bn and relu in turn. */
function generated(n: number): string {
  const lines = ['network deep', 'input 3x32x32'];
  const cycle = ['conv3-16 pad1', 'bn', 'relu'];
  for (let i = 0; i < n; i++) lines.push(cycle[i % 3]);
  return lines.join('\n') + '\n';
}

interface Stats { readonly median: number; readonly p99: number; readonly max: number; readonly n: number }

function stats(ms: number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { median: q(0.5), p99: q(0.99), max: s[s.length - 1], n: s.length };
}

const fmt = (s: Stats) => `median ${s.median.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(2)} ms (n=${s.n})`;

/** Positions of the layer heads of a text (line, a character inside the head). */
function layerPositions(text: string): { line: number; character: number }[] {
  return text.split('\n').flatMap((l, line) => (/^\s*(conv|fc|maxpool|bn|relu|soft)/i.test(l) ? [{ line, character: l.search(/\S/) + 1 }] : []));
}

/** Progress on stderr when BENCH_DEBUG is set. */
const log = (m: string) => {
  if (process.env.BENCH_DEBUG) process.stderr.write(m + '\n');
};

/** Measures one document. */
async function measure(s: TestServer, name: string, text: string, opts: { edits: number; hovers: number; hints: number; viewport?: number }) {
  const uri = `file:///bench/${name}.cnn`;
  let version = 1;
  const t0 = performance.now();
  await s.open(uri, text, version);
  const openMs = performance.now() - t0;
  log(`${name}: opened`);
  const lines = text.split('\n');
  const mid = Math.floor(lines.length / 2);
  // The middle line's channel count flips, so the analysis really changes each time.
  const target = lines.findIndex((l, i) => i >= mid && /^conv3-/.test(l));
  const original = lines[target];

  const changeMs: number[] = [];
  const analysisMs: number[] = [];
  for (let i = 0; i < opts.edits; i++) {
    const v = ++version;
    const newText = i % 2 === 0 ? original.replace(/conv3-(\d+)/, 'conv3-$1$1') : original;
    const oldLen = i % 2 === 0 ? original.length : original.replace(/conv3-(\d+)/, 'conv3-$1$1').length;
    const published = s.diagnostics(uri, (p) => p.version === v);
    const start = performance.now();
    await s.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: { line: target, character: 0 }, end: { line: target, character: oldLen } }, text: newText }],
    });
    await published;
    changeMs.push(performance.now() - start);
    analysisMs.push((await s.conn.sendRequest<StatsResult>(statsRequest.method, {})).lastAnalysisMs);
  }
  if (opts.edits % 2 === 1) {
    // Put the original line back so the hovers below see the file as generated.
    const v = ++version;
    const published = s.diagnostics(uri, (p) => p.version === v);
    await s.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    await published;
  }

  log(`${name}: edits done`);
  // A burst of keystrokes: 20 changes sent back to back, then the diagnostics of the last one.
  const burstStart = performance.now();
  const burstFinal = version + 20;
  const burstDone = s.diagnostics(uri, (p) => p.version === burstFinal);
  for (let k = 0; k < 20; k++) {
    version++;
    await s.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: { line: target, character: original.length }, end: { line: target, character: original.length } }, text: k % 2 === 0 ? ' ' : '' }],
    });
  }
  await burstDone;
  const burstMs = performance.now() - burstStart;
  const restoredVersion = ++version;
  const restored = s.diagnostics(uri, (p) => p.version === restoredVersion);
  await s.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  await restored;

  log(`${name}: burst done`);
  const positions = layerPositions(text);
  const hoverMs: number[] = [];
  for (let i = 0; i < opts.hovers; i++) {
    const position = positions[(i * 7919) % positions.length];
    const start = performance.now();
    const h = await s.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position });
    hoverMs.push(performance.now() - start);
    if (!h) throw new Error(`no hover at ${JSON.stringify(position)}`);
  }

  const hintMs: number[] = [];
  const span = opts.viewport ?? lines.length;
  let hintCount = 0;
  for (let i = 0; i < opts.hints; i++) {
    const first = opts.viewport ? (i * 997) % Math.max(1, lines.length - span) : 0;
    const start = performance.now();
    const hints = await s.conn.sendRequest<InlayHint[]>('textDocument/inlayHint', {
      textDocument: { uri }, range: { start: { line: first, character: 0 }, end: { line: first + span, character: 0 } },
    });
    hintMs.push(performance.now() - start);
    hintCount = hints.length;
  }
  // What an editor also asks after each change: semantic tokens, the outline and folding of the whole file.
  const perChange: Record<string, number[]> = { 'semanticTokens/full': [], documentSymbol: [], foldingRange: [] };
  for (let i = 0; i < Math.max(3, Math.floor(opts.hints / 5)); i++) {
    for (const method of Object.keys(perChange)) {
      const start = performance.now();
      await s.conn.sendRequest(`textDocument/${method}`, { textDocument: { uri } });
      perChange[method].push(performance.now() - start);
    }
  }
  const whole = Object.fromEntries(Object.entries(perChange).map(([k, v]) => [k, stats(v)]));
  return { name, lines: lines.length, openMs, change: stats(changeMs), analysis: stats(analysisMs), burstMs, hover: stats(hoverMs), hints: stats(hintMs), hintCount, hintLines: span, whole };
}

const s = await startTestServer();
try {
  const results = [];
  results.push(await measure(s, 'vgg19', vgg19(), { edits: quick ? 20 : 100, hovers: quick ? 300 : 2000, hints: quick ? 50 : 300 }));
  results.push(await measure(s, 'layers-10000', generated(10_000), { edits: quick ? 6 : 30, hovers: quick ? 200 : 1000, hints: quick ? 20 : 100, viewport: 80 }));
  const full = performance.now();
  await s.conn.sendRequest<InlayHint[]>('textDocument/inlayHint', {
    textDocument: { uri: 'file:///bench/layers-10000.cnn' }, range: { start: { line: 0, character: 0 }, end: { line: 10_010, character: 0 } },
  });
  const fullHintsMs = performance.now() - full;
  const st = await s.conn.sendRequest<StatsResult>(statsRequest.method, {});
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  if (json) {
    process.stdout.write(JSON.stringify({ results, fullHints10000Ms: fullHintsMs, memory: st.memory }, null, 2) + '\n');
  } else {
    for (const r of results) {
      console.log(`\n${r.name} (${r.lines} lines): didOpen → diagnostics ${r.openMs.toFixed(1)} ms`);
      console.log(`  didChange → diagnostics: ${fmt(r.change)}`);
      console.log(`    of which the core's analyze() in the server: ${fmt(r.analysis)}`);
      console.log(`  20-keystroke burst → last diagnostics: ${r.burstMs.toFixed(1)} ms`);
      console.log(`  hover: ${fmt(r.hover)}`);
      console.log(`  inlay hints (${r.hintLines} lines, ${r.hintCount} hints): ${fmt(r.hints)}`);
      for (const [k, v] of Object.entries(r.whole)) console.log(`  ${k} (whole file): ${fmt(v)}`);
    }
    console.log(`\ninlay hints for all 10,000 lines at once: ${fullHintsMs.toFixed(1)} ms`);
    console.log(`server memory: heap used ${mb(st.memory.heapUsed)} MB of ${mb(st.memory.heapTotal)} MB, rss ${mb(st.memory.rss)} MB (${st.documents} documents, ${st.analyses} analyses)`);
    const [vgg, big] = results;
    console.log('\ngoals:');
    console.log(`  hover p99 on VGG19 < 5 ms: ${vgg.hover.p99.toFixed(2)} ms ${vgg.hover.p99 < 5 ? 'met' : 'NOT met'}`);
    console.log(`  didChange → diagnostics on 10,000 layers < 50 ms: median ${big.change.median.toFixed(1)} ms ${big.change.median < 50 ? 'met' : 'NOT met'}`);
    console.log(`  heap < 100 MB: ${mb(st.memory.heapUsed)} MB ${st.memory.heapUsed < 100 * 2 ** 20 ? 'met' : 'NOT met'}`);
  }
} finally {
  await s.stop();
}
