/**
 * The formats a network can be exported to, one record each, read by `cnnlab export --format` and the
 * VS Code command. A format added here is available to both; a format that is planned but not written
 * yet is listed as null, so the CLI can say "not yet" instead of "unknown".
 */
import type { Analysis } from '../analysis/analyze.js';
import type { LayerParams } from '../engine/weights.js';
import type { RunPlan } from '../run/plan.js';
import { exportOnnx, ONNX_IR_VERSION, ONNX_OPSET } from './onnxExport.js';

/** What an exporter gets besides the network and its parameters. */
export interface ExportSettings {
  /** True writes the batch axis as a symbol (ONNX "N"); else 1. */
  readonly dynamicBatch?: boolean;
  readonly producerVersion?: string;
  readonly doc?: string;
}

/** One export format: its file extension, a line for help texts and the writer. */
export interface ExportFormat {
  readonly extension: string;
  readonly description: string;
  write(a: Analysis, plan: RunPlan, params: readonly LayerParams[], settings: ExportSettings): Uint8Array;
}

/** Every format by its `--format` name; null for one that is planned but not written yet. */
export const EXPORT_FORMATS: { readonly [name: string]: ExportFormat | null } = {
  onnx: {
    extension: '.onnx',
    description: `ONNX (IR ${ONNX_IR_VERSION}, opset ${ONNX_OPSET}) with the weights as initializers`,
    write: (a, plan, params, s) => exportOnnx(a, plan, params, s),
  },
  pytorch: null,
};

/** The format of that name, or an error message ("not yet" for a planned one). */
export function exportFormat(name: string): ExportFormat | string {
  if (!Object.hasOwn(EXPORT_FORMATS, name)) return `unknown export format '${name}' (known: ${Object.keys(EXPORT_FORMATS).join(', ')})`;
  return EXPORT_FORMATS[name] ?? `export to ${name} is not implemented yet (available: ${Object.entries(EXPORT_FORMATS).filter(([, f]) => f).map(([n]) => n).join(', ')})`;
}
