/**
 * Export and import as the run worker does them for the extension's commands ("Export as ONNX…",
 * "Export as PyTorch…", "Open ONNX Model as .cnn"): the text is analysed, planned and its weights
 * loaded or He-initialised here, off the extension host's thread, and the files go back as bytes.
 * No I/O: the extension reads and writes the files.
 */
import { analyze } from '../analysis/analyze.js';
import { paramsFromSafetensors } from '../engine/loadweights.js';
import { writeSafetensors } from '../engine/safetensors.js';
import { initParams } from '../engine/weights.js';
import { pytorchFiles } from '../exportPytorch.js';
import { EXPORT_FORMATS } from '../interop/formats.js';
import { importOnnx } from '../interop/onnxImport.js';
import { planRun } from './plan.js';
import type { ExportedFiles, ExportRequest, ImportedModel, ImportRequest } from './workerProtocol.js';

/** The files of an export; throws with a message for the user. */
export function exportFiles(req: Omit<ExportRequest, 'type' | 'id'>): ExportedFiles {
  const a = analyze(req.text, req.defaultName);
  if (req.format === 'pytorch') {
    const files = pytorchFiles(a, req.source, { network: req.network, weights: req.weights, seed: req.seed });
    return {
      main: new TextEncoder().encode(files.source), description: `PyTorch module ${files.className}`, ...(files.weights ? { weights: files.weights } : {}),
    };
  }
  const format = EXPORT_FORMATS.onnx!;
  // Nothing runs, so the run budget does not apply; the exporter refuses a model over protobuf's 2 GiB.
  const plan = planRun(a, req.network, { maxMacs: Infinity, maxMemoryBytes: Infinity }, 'last');
  const seed = req.seed ?? 0;
  const params = req.weights
    ? paramsFromSafetensors(req.weights.bytes, plan.inputShape, plan.layers, req.weights.fileName, plan.inputs)
    : initParams(plan.inputShape, plan.layers, seed, plan.inputs);
  const weights = req.weights ? `weights from ${req.weights.fileName}` : `He-initialised weights (seed ${seed})`;
  return { main: format.write(a, plan, params, { doc: `${plan.network.name} from ${req.source}, ${weights}` }), description: format.description };
}

/** An ONNX model read as `.cnn` text, with its weights as a safetensors file; throws with a message for the user. */
export function importModel(req: Omit<ImportRequest, 'type' | 'id'>): ImportedModel {
  const result = importOnnx(req.bytes, { name: req.name, label: req.label });
  const problems = result.problems.map((p) => ({ op: p.op, node: p.node, message: p.message }));
  const weights = !problems.length && result.tensors.length
    ? writeSafetensors(result.tensors.map((t) => ({ name: t.name, shape: t.shape, data: t.data })))
    : undefined;
  return {
    text: result.text, network: result.network, layers: result.layers, params: result.params, macs: result.macs, problems,
    ...(weights ? { weights } : {}),
  };
}
