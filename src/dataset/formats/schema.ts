/**
 * The shape of a dataset format file (`formats/*.json`, `--formats FILE`): how one published
 * layout is found in a folder, where its images and masks are, how file names pair, which label
 * convention its masks use, its splits and its leak-free grouping. Format files are data, in the
 * spirit of MMSegmentation's dataset registry (a class per dataset: names, suffixes,
 * reduce_zero_label), but detectable from the folder, so the user only points segloss at it.
 */
import type { LabelConvention } from '../types.js';

export const FORMAT_FILE_SCHEMA = 'segloss-format/1';

/** Bounds on a format file, checked before anything is read: the built-in files are under 6 KB. */
export const FORMAT_FILE_LIMITS = {
  maxBytes: 256 * 1024,
  maxJsonDepth: 8,
  /** Formats in force, built-in and --formats together. */
  maxFormats: 200,
  maxMarkers: 16,
  maxFolders: 16,
  maxSplits: 32,
  maxSuffixes: 32,
  maxClasses: 4096,
  maxLabelMapEntries: 65536,
  /** Characters of a --group or "group" regular expression. */
  maxPatternLength: 500,
  /** Sub-folder depth searched under a "recursive" folder (Cityscapes needs 1). */
  maxDepth: 8,
} as const;

/** One catalogue entry after validation: every optional field filled with its default. */
export interface FormatSpec {
  name: string;
  title: string;
  description: string;
  /** Where the facts come from (the dataset's paper or page, a reference loader). */
  source: string;
  /** The file it was read from (relative to the package for built-ins). */
  file: string;
  /**
   * Paths relative to the dataset root that must all exist: "gtFine/" a folder, "dataset.json" a
   * file, "*" matches within one path segment ("annotations/instances_*.json"), a leading "!"
   * means nothing may match ("!masks/*.png").
   */
  detect: string[];
  /** Image folders relative to the root ("{split}" = the split, "*" = any sub-folder); [] = masks only. */
  images: string[];
  /** Mask folders, as `images`. */
  masks: string[];
  /** A file listing the split's ids one per line (VOC's ImageSets/Segmentation/{split}.txt), or null. */
  ids: string | null;
  /** Search sub-folders of the image and mask folders (Cityscapes' <city>/). */
  recursive: boolean;
  /** Split names ("{split}" values), empty when the layout has none. */
  splits: string[];
  /** The split read without --split (the training split); null when there are no splits. */
  defaultSplit: string | null;
  /** Stripped from image basenames before pairing ("_leftImg8bit"). */
  imageSuffixes: string[];
  /** Stripped from mask basenames before pairing, in order of preference ("_gtFine_labelTrainIds" before "_gtFine_labelIds"). */
  maskSuffixes: string[];
  /**
   * true: only files ending with one of maskSuffixes are label maps (Cityscapes' _color and
   * _instanceIds files are left out) and, of several per image, the first suffix in the list wins.
   * false: a suffix is stripped only when the full basename has no image (segloss's own "_mask").
   */
  maskSuffixRequired: boolean;
  /** The label convention of the masks (applied by dataset/labels.ts); flags win field by field. */
  labels: Partial<LabelConvention>;
  /** A convention per chosen mask suffix, over `labels` (labelTrainIds need no map; labelIds do). */
  suffixLabels: Record<string, Partial<LabelConvention>>;
  /** The ignore index, unless --ignore-index gives another; undefined = segloss's default (255). */
  ignoreIndex: number | null | undefined;
  /** Class names in class-id order (after the label convention), or null. */
  classes: string[] | null;
  /** Regular expression over a pair's id: its first capture group (else the match) names the pair's group. */
  group: string | null;
  /** What a group is ("city", "scene"), for messages. */
  groupMeaning: string | null;
  /** A special reader in READERS (coco, nnunet) locates the pairs instead of the folders above. */
  reader: string | null;
  /** The reader's own settings, passed through as they are. */
  options: Record<string, unknown>;
}

/** The label convention as written in a format file (JSON: ids as object keys). */
export interface LabelsJson {
  binarize?: { threshold: number } | null;
  labelMap?: { entries: Record<string, number | 'ignore'>; others?: 'keep' | 'ignore' } | null;
  reduceZeroLabel?: boolean;
  background?: number | null;
}
