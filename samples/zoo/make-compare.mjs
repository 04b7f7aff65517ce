// Writes compare.cnn: resnet18.cnn, resnet50.cnn and mobilenet_v2.cnn in one file, for `cnnlab compare`.
// Block names are one namespace per file, and ResNet-18 and ResNet-50 both define down128, down256 and
// down512 (different blocks), so ResNet-18's are renamed basicdown128, basicdown256 and basicdown512.
//   node samples/zoo/make-compare.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const here = new URL('.', import.meta.url);
const read = (f) => readFileSync(new URL(f, here), 'utf8');
const header = `# ResNet-18, ResNet-50 and MobileNetV2 in one file, for \`cnnlab compare samples/zoo/compare.cnn\` and
# "CNN Lab: Compare Networks": the three zoo samples (resnet18.cnn, resnet50.cnn, mobilenet_v2.cnn)
# concatenated, layer for layer, by make-compare.mjs. Block names are one namespace per file, and
# ResNet-18 and ResNet-50 both define down128, down256 and down512 (different blocks): here ResNet-18's
# are renamed basicdown128, basicdown256 and basicdown512. Nothing else changes; test/unit/compare.test.ts
# checks that each network equals its own file.
#
# expected (torchvision): params 11,689,512 / 25,557,032 / 3,504,872;
#   MACs 1,814,073,344 / 4,089,184,256 / 300,774,272

`;
const r18 = read('resnet18.cnn').replace(/\bdown(128|256|512)\b/g, 'basicdown$1');
writeFileSync(new URL('compare.cnn', here), header + [r18, read('resnet50.cnn'), read('mobilenet_v2.cnn')].map((t) => t.trimEnd() + '\n').join('\n'));
