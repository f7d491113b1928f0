/** Indexing a dataset (files, pairing, class metadata) and reading it pair by pair. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SkippedItem } from '../contracts/profile.js';
import { UserError } from '../common/errors.js';
import { classNamesFromColormap, readClassNames, readColormap } from './class-files.js';
import { decodePair } from './decode.js';
import { announceFormat } from './formats/announce.js';
import { findDataset } from './formats/find.js';
import { DEFAULT_IGNORE_INDEX } from './options.js';
import { DEFAULT_MAX_PIXELS, MAX_PIXELS_CEILING } from './limits.js';
import { PairProblem, toSkippedItem, type Colormap, type DatasetIndex, type DatasetOptions, type DecodedPair, type LabelConvention } from './types.js';

/**
 * The UserError --strict raises for skipped items (exit 2): the first in full, then up to four
 * more files; `moreNotListed` counts further problems the caller did not pass.
 */
export function strictError(items: SkippedItem | SkippedItem[], moreNotListed = 0): UserError {
  const list = Array.isArray(items) ? items : [items];
  const [first, ...rest] = list;
  const shown = rest.slice(0, 4).map((item) => `\n  also: ${item.file}: ${item.problem}`).join('');
  const hidden = Math.max(0, rest.length - 4) + moreNotListed;
  const more = hidden > 0 ? `\n  and ${hidden} more problem${hidden > 1 ? 's' : ''}` : '';
  return new UserError(`${first.file}: ${first.problem}${shown}${more}`, { fix: `${first.fix}; or drop --strict to go on without the bad files`, exitCode: 2 });
}

/** How many per-file reasons the "none could be read" error lists before counting the rest. */
const REASONS_SHOWN = 10;

/** Every pair failed: the error lists the reasons (the first few, then a count), not just a count. */
export function noneReadable(pairCount: number, masksDir: string, skipped: SkippedItem[]): UserError {
  const shown = skipped
    .slice(0, REASONS_SHOWN)
    .map((item) => `\n  ${item.file}: ${item.problem}\n    fix: ${item.fix}`)
    .join('');
  const rest = skipped.length - Math.min(skipped.length, REASONS_SHOWN);
  const more = rest > 0 ? `\n  and ${rest} more problem${rest > 1 ? 's' : ''} (--strict stops at the first)` : '';
  const fixes = [...new Set(skipped.map((item) => item.fix))];
  const fix = fixes.length === 0 ? 'check the dataset folders' : fixes.length === 1 ? fixes[0] : 'fix the files as listed with each problem above';
  return new UserError(`none of the ${pairCount} pairs in ${masksDir} could be read:${shown}${more}`, { fix });
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function checkOptions(options: DatasetOptions): void {
  const { ignoreIndex, numClasses } = options;
  if (ignoreIndex !== null && (!Number.isInteger(ignoreIndex) || ignoreIndex < 0 || ignoreIndex > 65535)) {
    throw new UserError(`ignore index ${ignoreIndex} is not a whole number in 0..65535`, { fix: 'for example --ignore-index 255, or --ignore-index none' });
  }
  if (numClasses !== undefined && (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > 65535)) {
    throw new UserError(`number of classes ${numClasses} is not a whole number in 1..65535`, { fix: 'for example --num-classes 6' });
  }
  const { maxPixels } = options;
  if (maxPixels !== undefined && (!Number.isSafeInteger(maxPixels) || maxPixels < 1 || maxPixels > MAX_PIXELS_CEILING)) {
    throw new UserError(`pixel limit ${maxPixels} is not a whole number in 1..${MAX_PIXELS_CEILING}`, { fix: `for example --max-pixels ${DEFAULT_MAX_PIXELS}` });
  }
}

/** Class count and names, reconciled across --num-classes, --classes and --colormap. */
function reconcileClasses(options: DatasetOptions, names: string[] | null, colormap: Colormap | null, namesSource: string): { classNames: string[] | null; numClasses: number | null } {
  const ignore = options.ignoreIndex;
  const colormapNames = colormap ? classNamesFromColormap(colormap, ignore) : null;
  const classNames = names ?? colormapNames;
  const colormapIds = colormap ? colormap.entries.map((e) => e.id).filter((id) => id !== ignore) : [];
  const colormapCount = colormapIds.length > 0 ? Math.max(...colormapIds) + 1 : null;
  let numClasses = options.numClasses ?? names?.length ?? colormapCount ?? null;
  if (options.numClasses !== undefined && names && names.length !== options.numClasses) {
    throw new UserError(`--num-classes is ${options.numClasses} but ${namesSource} names ${names.length} classes`, {
      fix: 'make them agree, or leave --num-classes out',
    });
  }
  if (numClasses !== null && colormapCount !== null && colormapCount > numClasses) {
    throw new UserError(`${colormap!.file} maps a colour to class ${colormapCount - 1}, but there are only ${numClasses} classes`, {
      fix: 'make the colormap ids, --classes and --num-classes agree',
    });
  }
  if (numClasses !== null && ignore !== null && ignore < numClasses) {
    // The example is outside 0..numClasses-1, so never the ignore index that was given.
    const outside = numClasses <= 255 ? 255 : 65535;
    throw new UserError(`the ignore index ${ignore} is also a class id (there are ${numClasses} classes, ids 0..${numClasses - 1})`, {
      fix: `pick an --ignore-index outside the class ids (e.g. ${outside}), or --ignore-index none`,
    });
  }
  if (classNames && numClasses === null) numClasses = classNames.length;
  return { classNames, numClasses };
}

/** LabelConvention's documented defaults: no binarizing, no map, no reduction, background 0. */
const DEFAULT_LABEL_CONVENTION: LabelConvention = { binarize: null, labelMap: null, reduceZeroLabel: false, background: 0 };

/** The label conventions in force: the format's, then the flags' field by field; absent when neither sets any. */
function labelsInForce(format: Partial<LabelConvention>, flags: Partial<LabelConvention> | undefined): LabelConvention | undefined {
  if (Object.keys(format).length === 0 && (!flags || Object.keys(flags).length === 0)) return undefined;
  return { ...DEFAULT_LABEL_CONVENTION, ...format, ...flags };
}

/**
 * Finds the dataset's files (the catalogue format detected or chosen, or --masks/--images),
 * pairs them, and reads --classes / --colormap. Prints which format was read and why, once.
 */
export async function indexDataset(options: DatasetOptions): Promise<DatasetIndex> {
  checkOptions(options);
  const found = await findDataset(options);
  announceFormat(found.format, found.notes, found.root);
  // --ignore-index other than the default wins over the format's own.
  const ignoreIndex = found.ignoreIndex !== undefined && options.ignoreIndex === DEFAULT_IGNORE_INDEX ? found.ignoreIndex : options.ignoreIndex;
  const effective = { ...options, ignoreIndex };
  // Without --classes: the format's names, else ROOT/classes.json (as `segloss sample` writes).
  const rootNames = found.root && !found.classNames && (await isFile(join(found.root, 'classes.json'))) ? join(found.root, 'classes.json') : undefined;
  const namesFile = options.classNamesFile ?? rootNames;
  const names = namesFile ? await readClassNames(namesFile) : found.classNames;
  const colormap = options.colormapFile ? await readColormap(options.colormapFile) : null;
  const { classNames, numClasses } = reconcileClasses(effective, names, colormap, namesFile ?? found.classNamesSource ?? 'the class names');
  const { skipped, pairs } = found;
  if (options.strict && skipped.length > 0) throw strictError(skipped);
  if (pairs.length === 0) {
    const why = skipped[0] ? `\n  first problem: ${skipped[0].file}: ${skipped[0].problem}` : '';
    throw new UserError(`no mask in ${found.masksDir} has a matching image in ${found.imagesDir}${why}`, {
      fix: skipped[0]?.fix ?? 'give each mask the same basename as its image (tile_1.png <-> tile_1.jpg), or leave images out for a masks-only profile',
    });
  }
  const index: DatasetIndex = {
    root: found.root,
    imagesDir: found.imagesDir,
    masksDir: found.masksDir,
    hasImages: found.hasImages,
    pairs,
    skipped,
    classNames,
    numClasses,
    numClassesSource: options.numClasses !== undefined ? '--num-classes' : (namesFile ?? found.classNamesSource ?? colormap?.file ?? null),
    ignoreIndex,
    colormap,
    maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS,
    bands: options.bands ?? null, // --bands (src/dataset/bands.ts), applied in decodePair
  };
  const labels = labelsInForce(found.labels, options.labels);
  if (labels) index.labels = labels;
  if (found.format) index.format = found.format;
  return index;
}

export interface ReadDatasetHooks {
  /** Called for every skipped item, those found while indexing first. */
  onSkip?: (item: SkippedItem) => void;
  /** Use this index instead of indexing again. */
  index?: DatasetIndex;
}

/**
 * Yields decoded pairs one at a time (memory stays flat). Bad pairs are reported through onSkip
 * and left out; under `strict` the first one throws UserError (exit 2).
 */
export async function* readDataset(options: DatasetOptions, hooks: ReadDatasetHooks = {}): AsyncGenerator<DecodedPair, void, undefined> {
  const index = hooks.index ?? (await indexDataset(options));
  for (const item of index.skipped) hooks.onSkip?.(item);
  for (const pair of index.pairs) {
    try {
      yield await decodePair(pair, index);
    } catch (error) {
      if (!(error instanceof PairProblem)) throw error;
      const item = toSkippedItem(error);
      if (options.strict) throw strictError(item);
      hooks.onSkip?.(item);
    }
  }
}
