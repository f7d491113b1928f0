/**
 * dataset/: finding, pairing, validating and decoding a segmentation dataset, and generating the
 * synthetic sample dataset. Everything other stages use is exported here.
 */
export type { Colormap, ColormapEntry, DatasetIndex, DatasetOptions, DatasetPair, DecodedPair } from './types.js';
export { PairProblem, toSkippedItem } from './types.js';
export { indexDataset, noneReadable, readDataset, strictError, type ReadDatasetHooks } from './read.js';
export { classCountOrigin, decodePair, decodeMask, decodeImage, type DecodeContext } from './decode.js';
export { addDatasetOptions, datasetOptionsFrom, DEFAULT_IGNORE_INDEX } from './options.js';
export { readClassNames, readColormap } from './class-files.js';
export { IMAGE_EXTENSIONS, MASK_SUFFIXES } from './files.js';
export { DEFAULT_MAX_PIXELS, MAX_PIXELS_CEILING } from './limits.js';
export { generateSample, writeSampleDataset, SampleGenerator, encodeSampleImage, encodeSampleMask, SAMPLE_CLASS_NAMES, AMBIGUITY_RULE, type SampleItem, type GeneratedSample } from './sample/index.js';
export { resolveSampleOptions, DEFAULT_SAMPLE_OPTIONS, type SampleOptions } from './sample/options.js';
export { applyLabelConvention, backgroundOf, mergeLabelConventions, DEFAULT_BINARIZE_THRESHOLD, DEFAULT_LABEL_CONVENTION } from './labels.js';
export type { LabelConvention } from './types.js';
export { ROBUST_LOW, ROBUST_HIGH, NEAR_TAIL, stretchBands } from './band-stretch.js';
export { selectBands } from './bands.js';
export { parseBands, MAX_BANDS } from './band-option.js';
