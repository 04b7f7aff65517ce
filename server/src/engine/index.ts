/**
 * The engine's public surface for the CLI, the worker and the extension: load or initialise
 * parameters, turn an image into an input tensor, run, and write outputs as .npy or PNG grids.
 */
export type { Activation, ConvBackend } from './backend.js';
export { featureGrid, featureGridPng, encodeGreyPng, type GreyImage, type GridOptions } from './featuremaps.js';
export {
  DEFAULT_DECODE_LIMITS, IMAGENET_MEAN, IMAGENET_STD, ImageTooLarge, decodeImage, imageToTensor, loadImageTensor, readImageHeader,
  resizeBilinear, type DecodeLimits, type DecodedImage, type ImageHeader, type Normalisation,
} from './image.js';
export { tsBackend } from './kernels.js';
export { countParams, paramsFromSafetensors, paramsFromTensors, paramsFromWeights, readWeightsFile } from './loadweights.js';
export { readNpy, writeNpy, type NpyArray } from './npy.js';
export { parsePth, type PthLimits } from './pth.js';
export { abortError, bufferPool, forwardLayer, forward, type ForwardOptions } from './forward.js';
export { parseSafetensors, writeSafetensors, type SafeTensor } from './safetensors.js';
export { firstInputShapes, inferShapes, layerOutputShape, layerParamShapes } from './shapes.js';
export { tensor, zeros, type Tensor } from './tensor.js';
export { initParams, type LayerParams } from './weights.js';
export { createSimdBackend, simdLoadProblem } from './simd/simd-backend.js';
