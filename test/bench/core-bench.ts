/**
 * Parse + analysis time for VGG19 and generated files of 1,000, 10,000 and 100,000 layers.
 * Medians over repeated runs after a warm-up; the ratio column shows growth per 10× layers (10 = linear).
 */
import { analyze } from '../../server/src/analysis/analyze.js';
import { parse } from '../../server/src/language/parser.js';
import { readRepo } from '../helpers/core.js';
import { tuneYoungGeneration } from '../../server/src/heap.js';

// As the language server and the CLI run (server/src/heap.ts); set CNNLAB_DEFAULT_GC=1 to compare.
if (!process.env.CNNLAB_DEFAULT_GC) tuneYoungGeneration();

/** A file of n layers cycling through the common kinds (every line valid, the map never collapses). */
export function generated(n: number): string {
  const kinds = ['conv3-64 pad1', 'bn', 'relu', 'maxpool3 stride1 pad1', 'dwconv3 pad1', 'conv1-64 nobias', 'dropout', 'leakyrelu'];
  const lines = ['network big', 'input 64x32x32'];
  for (let i = 0; i < n; i++) lines.push(kinds[i % kinds.length]);
  lines.push('gap', 'fc-10', 'softmax');
  return lines.join('\n') + '\n';
}

function median(f: () => void, minRuns: number, minMs: number): number {
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || performance.now() - start < minMs) {
    const t = performance.now();
    f();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** ResNet-152 (blocks 3, 8, 36, 3) written with samples/zoo/resnet50.cnn's blocks: 515 layers after expansion, torchvision's 60,192,808 parameters. */
export const resnet152 = readRepo('samples/zoo/resnet50.cnn')
  .replace(/^layer2\.3: bottleneck128.*$/m, (l) => [l, ...[4, 5, 6, 7].map((i) => `layer2.${i}: bottleneck128`)].join('\n'))
  .replace(/^layer3\.5: bottleneck256.*$/m, (l) => [l, ...Array.from({ length: 30 }, (_, i) => `layer3.${i + 6}: bottleneck256`)].join('\n'));

export const vgg19 = readRepo('samples/vgg.cnn').split('network ').filter((s) => s.startsWith('VGG-E')).map((s) => 'network ' + s)[0];
const cases: [string, string][] = [['VGG19 (samples/vgg.cnn VGG-E)', vgg19], ['ResNet-152 (branching)', resnet152], ['1,000 layers', generated(1000)], ['10,000 layers', generated(10_000)], ['80,000 layers (a file may hold a million characters)', generated(80_000)]];
for (const [, text] of cases) for (let i = 0; i < 3; i++) analyze(text); // warm-up
console.log('| file | parse ms | parse + analysis ms | µs per layer |');
console.log('| --- | ---: | ---: | ---: |');
const results: number[] = [];
for (const [name, text] of cases) {
  const layers = analyze(text).networks[0].layers.length;
  const p = median(() => parse(text), 5, 500);
  const a = median(() => analyze(text), 5, 1000);
  results.push(a);
  console.log(`| ${name} | ${p.toFixed(2)} | ${a.toFixed(2)} | ${((1000 * a) / layers).toFixed(2)} |`);
}
console.log(`growth 1k→10k: ×${(results[3] / results[2]).toFixed(1)}, 10k→100k: ×${(results[4] / results[3]).toFixed(1)} (×10 is linear); goals: ResNet-152 < 2 ms, 10,000 layers < 20 ms`);

// Hostile documents: each is refused (too-large, too-deep) before any work past its budget.
const { BOMBS } = await import('../helpers/bombs.js');
console.log('\n| hostile document | size | analysis ms (median) |');
console.log('| --- | ---: | ---: |');
for (const [name, text] of Object.entries(BOMBS)) {
  analyze(text);
  const ms = median(() => analyze(text), 3, 300);
  console.log(`| ${name} | ${text.length.toLocaleString('en-US')} chars | ${ms.toFixed(2)} |`);
}
