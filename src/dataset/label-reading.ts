/**
 * The label convention a dataset is read with, decided once at index time: the format's own,
 * overridden field by field by the flags, checked against the classes, and, when neither says
 * anything about the stored values, whether the masks are 0/255 black-and-white masks.
 *
 * Why the 0/255 decision is made here, from a few masks, and not per mask or after profiling:
 * building masks (Inria, WHU, Massachusetts) store 0 = background and 255 = building, and 255 is
 * also the default ignore index; read literally, every building is ignored ("1 class"). The reading
 * must be one decision for the whole dataset: a mask holding only 0 (an empty tile) is background
 * either way, and in a VOC-style dataset a mask holding only 0 and its 255 void border must keep
 * 255 as void. Profiling decodes masks in worker threads, each seeing one mask, so the decision
 * cannot be made there consistently; and the per-mask statistics (objects, boundaries) depend on
 * it, so it cannot wait for the aggregate either. So the index scans a few masks spread over the
 * dataset: if every value they hold is 0 or 255 (and both occur), 255 becomes class 1. The scan
 * reads at most BINARY_SCAN_MASKS masks; a mask elsewhere that holds any other value is skipped
 * with a message naming --binarize (the label map "rejects" other values), never silently merged.
 */
import { readStoredLabels, type DecodeContext } from './decode.js';
import { readLabelMap } from './label-map-file.js';
import { BINARY_MASKS_SOURCE, checkLabelConvention, describeLabelReading, mapsNothing, mergeLabelConventions } from './labels.js';
import { PairProblem, type Colormap, type DatasetOptions, type DatasetPair, type LabelConvention } from './types.js';

/** Masks read to decide whether a dataset's masks are 0/255 black-and-white masks... */
export const BINARY_SCAN_MASKS = 8;
/** ...or fewer (at least 2) once this many pixels were read: two 5000x5000 Inria tiles are evidence enough. */
export const BINARY_SCAN_PIXELS = 40_000_000;

export interface LabelReadingContext {
  pairs: readonly DatasetPair[];
  numClasses: number | null;
  numClassesSource?: string | null;
  colormap: Colormap | null;
  maxPixels: number;
}

export interface LabelReading {
  labels: LabelConvention;
  /** The convention in words, for the profile's headline. */
  labelNotes: string[];
}

/**
 * The label convention for an index: `formatLabels` (a catalogue format's) under the flags'
 * (`options.labels`; --label-map's file is read here), checked, then the 0/255 scan.
 */
export async function resolveLabelReading(options: DatasetOptions, formatLabels: Partial<LabelConvention> | null | undefined, context: LabelReadingContext): Promise<LabelReading> {
  const flags = options.labelMapFile ? { ...options.labels, labelMap: await readLabelMap(options.labelMapFile) } : options.labels;
  let labels = mergeLabelConventions(formatLabels, flags);
  const ignoreIndex = options.ignoreIndex;
  const backgroundNamed = flags?.background !== undefined || formatLabels?.background !== undefined;
  // `--ignore-index 0` (0 = no-data) without a named background: class 0 cannot be both.
  if (!backgroundNamed && labels.background !== null && labels.background === ignoreIndex) labels = { ...labels, background: null };
  checkLabelConvention(labels, { ignoreIndex, numClasses: context.numClasses, numClassesSource: context.numClassesSource });
  const notes = describeLabelReading(labels, ignoreIndex);
  if (mayBeBinaryMasks(labels, options, context)) {
    const scan = await scanForBinaryMasks(context.pairs, { numClasses: context.numClasses, ignoreIndex, colormap: null, maxPixels: context.maxPixels });
    if (scan) {
      labels = { ...labels, labelMap: { source: BINARY_MASKS_SOURCE, entries: [[0, 0], [255, 1]], others: 'reject' } };
      notes.unshift(
        `the masks hold only 0 and 255 (${scan.scanned} of ${context.pairs.length} checked): read as background (0) and foreground (255 -> class 1). ` +
          'To read 255 as ignored pixels instead, pass --ignore-index 255 (or --binarize none to keep the stored values)',
      );
    }
  }
  return { labels, labelNotes: notes };
}

/**
 * Only when nothing says how values map (no binarize, label map or reduce-zero-label from a format
 * or a flag), no --binarize none, no explicit --ignore-index 0 or 255 (that value then means what
 * the user said), no colormap, and 255 cannot be a declared class.
 */
function mayBeBinaryMasks(labels: LabelConvention, options: DatasetOptions, context: LabelReadingContext): boolean {
  if (!mapsNothing(labels) || options.labels?.binarize === null || context.colormap) return false;
  if (options.ignoreIndexGiven && (options.ignoreIndex === 0 || options.ignoreIndex === 255)) return false;
  return context.numClasses === null || context.numClasses <= 255;
}

/** Indices of up to `count` pairs spread evenly over `total` (first and last included). */
export function spreadIndices(total: number, count: number): number[] {
  if (total <= count) return Array.from({ length: total }, (_, i) => i);
  return Array.from({ length: count }, (_, k) => Math.round((k * (total - 1)) / (count - 1)));
}

/**
 * Reads up to BINARY_SCAN_MASKS masks (fewer when they are large: BINARY_SCAN_PIXELS); 0/255
 * masks when every value read is 0 or 255 and both occur. Unreadable masks are passed over (decoding reports them later, with their fix).
 */
export async function scanForBinaryMasks(pairs: readonly DatasetPair[], context: DecodeContext): Promise<{ scanned: number } | null> {
  const candidates = pairs.filter((pair) => pair.source === undefined);
  let scanned = 0;
  let pixels = 0;
  let seen0 = false;
  let seen255 = false;
  for (const i of spreadIndices(candidates.length, BINARY_SCAN_MASKS)) {
    if (scanned >= 2 && pixels >= BINARY_SCAN_PIXELS && seen0 && seen255) break;
    let labels: Uint8Array | Uint16Array;
    try {
      labels = (await readStoredLabels(candidates[i].maskPath, context)).labels;
    } catch (error) {
      if (error instanceof PairProblem) continue;
      throw error;
    }
    scanned++;
    pixels += labels.length;
    for (let p = 0; p < labels.length; p++) {
      const v = labels[p];
      if (v === 255) seen255 = true;
      else if (v === 0) seen0 = true;
      else return null;
    }
  }
  // Both values: masks holding only 255 are as likely all-void as all-object; reading them needs the user.
  return seen0 && seen255 ? { scanned } : null;
}
