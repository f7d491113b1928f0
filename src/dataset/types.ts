/** The dataset reader's public types. Plain data, so an index can be sent to worker threads. */
import type { SkippedItem } from '../contracts/profile.js';

/** Where a dataset is and how to read its masks. Built from CLI flags by `datasetOptionsFrom`. */
export interface DatasetOptions {
  /** Dataset root: ROOT/images + ROOT/masks, or a folder of masks only. */
  root?: string;
  /** Images folder; overrides ROOT/images. */
  imagesDir?: string;
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
}

/** One mask and its image (null for masks-only datasets), paired by file basename. */
export interface DatasetPair {
  /** The shared basename without extension, e.g. 'tile_0001'. */
  id: string;
  maskPath: string;
  imagePath: string | null;
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
}

/** A decoded pair: class ids and the image as 8-bit samples. */
export interface DecodedPair {
  id: string;
  width: number;
  height: number;
  /** Class id per pixel, row-major; ignored pixels keep the ignore index value. */
  labels: Uint8Array | Uint16Array;
  /** 8-bit samples, row-major interleaved, alpha dropped; null for masks-only datasets. */
  image: { channels: 1 | 3; data: Uint8Array } | null;
  /** Largest label value other than the ignore index; -1 when every pixel is ignored. */
  maxLabel: number;
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
