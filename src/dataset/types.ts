/** The dataset reader's public types. Plain data, so an index can be sent to worker threads. */
import type { SkippedItem } from '../contracts/profile.js';
import type { CocoPairImage } from './coco/annotation-file.js';

/** Where a dataset is and how to read its masks. Built from CLI flags by `datasetOptionsFrom`. */
export interface DatasetOptions {
  /** Dataset root: ROOT/images + ROOT/masks, or a folder of masks only. */
  root?: string;
  /** Images folder; overrides ROOT/images. null = masks only (--images none). */
  imagesDir?: string | null;
  /** Masks folder; overrides ROOT/masks. */
  masksDir?: string;
  /** Label value excluded from every count and loss (default 255); null = every value is a class. */
  ignoreIndex: number | null;
  /** Number of classes; ids >= this (other than the ignore index) make a pair's problem. */
  numClasses?: number;
  /** JSON file naming the classes (see class-files.ts for the accepted shapes). */
  classNamesFile?: string;
  /** JSON file mapping RGB colours to class ids, for colour masks. */
  colormapFile?: string;
  /** Stop with exit code 2 at the first skipped item instead of going on without it. */
  strict: boolean;
  /** Largest width x height decoded per image (default DEFAULT_MAX_PIXELS); larger files are skipped. */
  maxPixels?: number;
  /** Label conventions from flags (--label-map, --reduce-zero-label, --binarize, --background); a format's own come first, flags win. */
  labels?: Partial<LabelConvention>;
  /** --format NAME: the catalogue entry to use instead of detecting one. */
  format?: string;
  /** --formats FILE...: extra format files (later files win by name). */
  formatFiles?: string[];
  /** --split NAME: which split to read (default: the format's training split). */
  split?: string;
  /** --group REGEX: the first capture group (else the whole match) of a pair's id names its group. */
  groupPattern?: string;
  /** --bands 4,3,2: 1-based image bands to measure and train on, in this order (default: every band). */
  bands?: number[];
}

/**
 * How stored mask values become class ids, applied in this order after decoding: binarize, map,
 * reduce-zero-label. Formats carry their own (formats/*.json); flags override field by field.
 */
export interface LabelConvention {
  /** Values above the threshold become 1, the rest 0 (JPEG or 0/255 masks). null = off. */
  binarize: { threshold: number } | null;
  /** Stored value -> class id or 'ignore'; values not listed go to `others`. null = off. */
  labelMap: { source: string; entries: Array<[number, number | 'ignore']>; others: 'keep' | 'ignore' } | null;
  /** MMSegmentation's reduce_zero_label: 0 -> ignore, k -> k - 1 (ADE20K, LoveDA). */
  reduceZeroLabel: boolean;
  /** The background class id, or null when the dataset has none (Cityscapes, ADE20K). Default 0. */
  background: number | null;
}

/** Which catalogue format read the dataset, and why (printed, and recorded in the profile). */
export interface FormatChoice {
  name: string;
  /** 'chosen with --format', or what detection saw ("found gtFine/ and leftImg8bit/"). */
  reason: string;
  /** The split read (null when the format has none). */
  split: string | null;
}

/** One mask and its image (null for masks-only datasets), paired by file basename. */
export interface DatasetPair {
  /** The shared basename without extension, e.g. 'tile_0001'. */
  id: string;
  /** The label file (a mask image, a NIfTI label volume, or a COCO annotation file: see `source`). */
  maskPath: string;
  /** The image file (the first channel's when there are several); null for masks-only datasets. */
  imagePath: string | null;
  /** Every channel file in channel order, when an image is split over files (nnU-Net's _0000, _0001). */
  imagePaths?: string[];
  /** Tiles of one scene, slices of one volume, frames of one sequence: never split across train and validation. Absent = the id. */
  group?: string;
  /**
   * How the labels are read when `maskPath` is not a mask image of its own. `image`: the COCO
   * image's entry and annotation places, so worker threads need not scan the file (coco/).
   */
  source?: { kind: 'coco'; imageId: number; image?: CocoPairImage };
}

/** One colormap entry: an RGB colour and the class id it stands for. */
export interface ColormapEntry {
  id: number;
  name: string | null;
  color: [number, number, number];
}

/** RGB colour -> class id, as read from --colormap. Plain data (no Map) so it crosses to workers. */
export interface Colormap {
  /** The file it was read from. */
  file: string;
  entries: ColormapEntry[];
}

export interface DatasetIndex {
  root: string | null;
  imagesDir: string | null;
  masksDir: string;
  hasImages: boolean;
  /** Pairs sorted by id (natural order: tile_2 before tile_10). */
  pairs: DatasetPair[];
  /** Files left out while indexing (unpaired, duplicate basenames), with the fix. */
  skipped: SkippedItem[];
  /** From --classes, else from the colormap's names when it names every class, else null. */
  classNames: string[] | null;
  /** From --num-classes, else the class names' or colormap's count, else null (inferred from the masks). */
  numClasses: number | null;
  /** Where numClasses came from: '--num-classes', or the class names / colormap file (for messages). */
  numClassesSource?: string | null;
  ignoreIndex: number | null;
  colormap: Colormap | null;
  /** Pixel limit per image (--max-pixels), checked from each file's header before decoding. */
  maxPixels: number;
  /** The label conventions in force (format's, then flags). Absent = the defaults (no mapping, background 0). */
  labels?: LabelConvention;
  /** The catalogue format that located the pairs; absent when --images/--masks were given. */
  format?: FormatChoice;
  /** --bands: the image bands chosen (1-based, in order); absent or null = every band. */
  bands?: number[] | null;
}

/** A decoded pair: class ids and the image as 8-bit samples. */
export interface DecodedPair {
  id: string;
  width: number;
  height: number;
  /** Class id per pixel, row-major; ignored pixels keep the ignore index value. */
  labels: Uint8Array | Uint16Array;
  /**
   * 8-bit samples, row-major interleaved, alpha dropped, every band (or the --bands chosen);
   * null for masks-only datasets. `rgb`: the first 3 channels are a colour image's red, green and
   * blue (the boundary measure takes their luma as one plane); other bands are measured one by one.
   */
  image: { channels: number; data: Uint8Array; rgb?: boolean } | null;
  /** Largest label value other than the ignore index; -1 when every pixel is ignored. */
  maxLabel: number;
  /** The pair's group (scene, case, sequence) for leak-free splits; absent = the id. */
  group?: string;
}

/** A problem with one pair: the caller leaves the pair out and lists it, or stops under --strict. */
export class PairProblem extends Error {
  readonly file: string;
  readonly problem: string;
  readonly fix: string;
  constructor(file: string, problem: string, fix: string) {
    super(`${file}: ${problem}`);
    this.name = 'PairProblem';
    this.file = file;
    this.problem = problem;
    this.fix = fix;
  }
}

export function toSkippedItem(problem: PairProblem): SkippedItem {
  return { file: problem.file, problem: problem.problem, fix: problem.fix };
}
