// Regenerates onnx.json, the protobufjs descriptor of onnx.proto that the ONNX export and import load
// with protobufjs/light (no .proto parser in the bundles). onnx.proto is the ONNX project's file as
// python3-onnx 1.12 ships it (/usr/lib/python3/dist-packages/onnx/onnx.proto, IR version 8).
//   node server/src/interop/onnx-json.mjs
import protobuf from 'protobufjs';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = protobuf.loadSync(join(here, 'onnx.proto'));
writeFileSync(join(here, 'onnx.json'), JSON.stringify(root.toJSON({ keepComments: false })) + '\n');
