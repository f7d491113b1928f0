/** Indexing a dataset (files, pairing, class metadata) and reading it pair by pair. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SkippedItem } from '../contracts/profile.js';
import { UserError } from '../common/errors.js';
import { classNamesFromColormap, readClassNames, readColormap } from './class-files.js';
import { decodePair } from './decode.js';
import { listImageFiles, pairFiles, resolveFolders } from './files.js';
import { DEFAULT_MAX_PIXELS, MAX_PIXELS_CEILING } from './limits.js';
import { PairProblem, toSkippedItem, type Colormap, type DatasetIndex, type DatasetOptions, type DecodedPair } from './types.js';

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
function reconcileClasses(options: DatasetOptions, names: string[] | null, colormap: Colormap | null): { classNames: string[] | null; numClasses: number | null } {
  const ignore = options.ignoreIndex;
  const colormapNames = colormap ? classNamesFromColormap(colormap, ignore) : null;
  const classNames = names ?? colormapNames;
  const colormapIds = colormap ? colormap.entries.map((e) => e.id).filter((id) => id !== ignore) : [];
  const colormapCount = colormapIds.length > 0 ? Math.max(...colormapIds) + 1 : null;
  let numClasses = options.numClasses ?? names?.length ?? colormapCount ?? null;
  if (options.numClasses !== undefined && names && names.length !== options.numClasses) {
    throw new UserError(`--num-classes is ${options.numClasses} but the class names file names ${names.length} classes`, {
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

/** Finds the dataset's files, pairs them, and reads --classes / --colormap. */
export async function indexDataset(options: DatasetOptions): Promise<DatasetIndex> {
  checkOptions(options);
  const folders = await resolveFolders(options);
  const maskNames = await listImageFiles(folders.masksDir, 'masks');
  if (maskNames.length === 0) {
    throw new UserError(`no mask files in ${folders.masksDir} (looked for .png, .tif, .tiff, .jpg, .jpeg, .webp, .bmp)`, {
      fix: 'put one label mask per image in the masks folder, or point --masks at the folder that has them',
    });
  }
  const imageNames = folders.imagesDir ? await listImageFiles(folders.imagesDir, 'images') : [];
  const { pairs, skipped } = pairFiles(folders.masksDir, maskNames, folders.imagesDir, imageNames);
  // Without --classes, ROOT/classes.json (as `segloss sample` writes) names the classes.
  const namesFile = options.classNamesFile ?? (folders.root && (await isFile(join(folders.root, 'classes.json'))) ? join(folders.root, 'classes.json') : undefined);
  const names = namesFile ? await readClassNames(namesFile) : null;
  const colormap = options.colormapFile ? await readColormap(options.colormapFile) : null;
  const { classNames, numClasses } = reconcileClasses(options, names, colormap);
  if (options.strict && skipped.length > 0) throw strictError(skipped);
  if (pairs.length === 0) {
    throw new UserError(`no mask in ${folders.masksDir} has a matching image in ${folders.imagesDir}`, {
      fix: 'give each mask the same basename as its image (tile_1.png <-> tile_1.jpg), or leave images out for a masks-only profile',
    });
  }
  return {
    root: folders.root,
    imagesDir: folders.imagesDir,
    masksDir: folders.masksDir,
    hasImages: folders.imagesDir !== null,
    pairs,
    skipped,
    classNames,
    numClasses,
    numClassesSource: options.numClasses !== undefined ? '--num-classes' : (namesFile ?? colormap?.file ?? null),
    ignoreIndex: options.ignoreIndex,
    colormap,
    maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS,
    bands: options.bands ?? null, // --bands (src/dataset/bands.ts), applied in decodePair
  };
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
