/**
 * Where a dataset's pairs come from: --masks/--images folders as given, else the catalogue format
 * chosen with --format or detected from the root (and the folder the user obviously meant), read
 * for one split by the catalogue itself or by the format's special reader. The result says which
 * format and why, for the message and the profile.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../../common/errors.js';
import { hasImageExtension, listImageFiles, pairFiles, resolveFolders } from '../files.js';
import type { DatasetIndex, DatasetOptions, FormatChoice, LabelConvention } from '../types.js';
import { formatByName, loadFormatCatalogue } from './catalogue.js';
import { detectAt, detectInAncestors, detectInChildren, formatMatches, markerText, type Detection } from './detect.js';
import { assignGroups } from './groups.js';
import { layoutLabels, locateLayout } from './locate.js';
import { READERS, type LocatedDataset } from './readers.js';
import type { FormatSpec } from './schema.js';

export interface FoundDataset extends Pick<DatasetIndex, 'root' | 'imagesDir' | 'masksDir' | 'hasImages' | 'pairs' | 'skipped'> {
  /** The format's (or its reader's) class names, and where they came from. */
  classNames: string[] | null;
  classNamesSource: string | null;
  /** The format's label convention (reader's under the file's); flags are merged over it later. */
  labels: Partial<LabelConvention>;
  /** The format's ignore index, when it sets one. */
  ignoreIndex: number | null | undefined;
  format?: FormatChoice;
  /** Lines printed with the format choice. */
  notes: string[];
}

const EXTENSIONS_TEXT = '.png, .tif, .tiff, .jpg, .jpeg, .webp, .bmp';

async function holdsImageFiles(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).some((name) => !name.startsWith('.') && hasImageExtension(name));
  } catch {
    return false;
  }
}

async function checkRoot(root: string): Promise<void> {
  const info = await stat(root).catch(() => null);
  if (info?.isDirectory()) return;
  throw new UserError(info ? `${root} is a file, not a dataset folder` : `dataset folder ${root} does not exist`, {
    fix: 'pass the dataset\'s root folder (segloss formats lists the layouts it reads), or use --masks DIR [--images DIR]',
  });
}

/** --masks (and --images) as given: one folder each, paired by basename. */
async function fromFolders(options: DatasetOptions): Promise<FoundDataset> {
  const folders = await resolveFolders(options);
  const maskNames = await listImageFiles(folders.masksDir, 'masks');
  if (maskNames.length === 0) {
    throw new UserError(`no mask files in ${folders.masksDir} (looked for ${EXTENSIONS_TEXT})`, {
      fix: 'put one label mask per image in the masks folder, or point --masks at the folder that has them',
    });
  }
  const imageNames = folders.imagesDir ? await listImageFiles(folders.imagesDir, 'images') : [];
  const { pairs, skipped } = pairFiles(folders.masksDir, maskNames, folders.imagesDir, imageNames);
  return { ...folders, hasImages: folders.imagesDir !== null, pairs, skipped, classNames: null, classNamesSource: null, labels: {}, ignoreIndex: undefined, notes: [] };
}

function ambiguity(detection: Extract<Detection, { kind: 'ambiguous' }>, root: string): UserError {
  const list = detection.candidates.map((c) => `${c.format.name} (${markerText(c.format)}${c.root === root ? '' : ` in ${c.root}`})`).join('; ');
  const roots = [...new Set(detection.candidates.map((c) => c.root))];
  const names = [...new Set(detection.candidates.map((c) => c.format.name))];
  const fix = roots.length > 1 ? `point segloss at one of ${roots.join(', ')}` : `choose one with ${names.map((n) => `--format ${n}`).join(' or ')}`;
  return new UserError(`${root} looks like more than one dataset layout: ${list}`, { fix });
}

interface Picked {
  format: FormatSpec;
  root: string;
  reason: string;
  /** The path from the dataset root to the folder given, when an ancestor was read. */
  within?: string[];
}

/** The format detected for `root`, or null when the root is a plain folder of masks. */
async function detect(root: string, formats: FormatSpec[]): Promise<Picked | null> {
  const here = await detectAt(root, formats);
  if (here.kind === 'found') return here;
  if (here.kind === 'ambiguous') throw ambiguity(here, root);
  const above = await detectInAncestors(root, formats);
  if (above.kind === 'found') return above;
  if (above.kind === 'ambiguous') throw ambiguity(above, root);
  if (await holdsImageFiles(root)) return null;
  const below = await detectInChildren(root, formats);
  if (below.kind === 'found') return below;
  if (below.kind === 'ambiguous') throw ambiguity(below, root);
  const names = formats.filter((f) => f.detect.length > 0).map((f) => `${f.name} (${f.detect.join(' ')})`);
  throw new UserError(`no masks found in ${root}: it matches none of the dataset layouts segloss knows (${names.join('; ')})`, {
    fix: `lay the dataset out as ROOT/images/* and ROOT/masks/* (same basenames), name its layout with --format NAME (segloss formats lists them; --formats FILE adds your own), or pass --masks DIR [--images DIR]`,
  });
}

/** --format NAME: the root as given, or the one child folder that has the layout. */
async function chosen(root: string, format: FormatSpec): Promise<Picked> {
  if (format.detect.length === 0 || (await formatMatches(root, format))) return { format, root, reason: 'chosen with --format' };
  const child = await detectInChildren(root, [format]);
  if (child.kind === 'found') return { ...child, reason: `chosen with --format; ${child.reason}` };
  return { format, root, reason: 'chosen with --format' };
}

/** The split whose image or mask folder the path `within` the dataset runs through (gtFine/val/frankfurt -> val). */
function splitNamedBy(format: FormatSpec, within: string[]): string | null {
  for (const split of format.splits) {
    for (const template of [...format.images, ...format.masks]) {
      const parts = template.split('/');
      const at = parts.findIndex((part) => part.includes('{split}'));
      if (at < 0 || at >= within.length) continue;
      const same = (part: string, i: number) => part === '*' || part.replaceAll('{split}', split).toLowerCase() === within[i].toLowerCase();
      if (parts.slice(0, Math.min(parts.length, within.length)).every(same)) return split;
    }
  }
  return null;
}

/** --split, else the split named by the folder given inside the dataset (gtFine/val), else the format's default. */
function chooseSplit(format: FormatSpec, requested: string | undefined, within: string[] = []): string | null {
  if (format.splits.length === 0) {
    // A reader that finds its splits itself (COCO's instances_<split>.json) checks --split.
    if (format.reader !== null) return requested ?? null;
    if (requested !== undefined) throw new UserError(`the ${format.name} layout has no splits, so --split ${requested} cannot be read`, { fix: 'leave --split out' });
    return null;
  }
  if (requested === undefined) {
    return splitNamedBy(format, within) ?? format.defaultSplit;
  }
  const found = format.splits.find((s) => s.toLowerCase() === requested.toLowerCase());
  if (found) return found;
  throw new UserError(`the ${format.name} layout has no split "${requested}"`, { fix: `use --split with one of ${format.splits.join(', ')} (default ${format.defaultSplit})` });
}

async function readWith(format: FormatSpec, root: string, split: string | null, withImages: boolean): Promise<LocatedDataset & { maskSuffix?: string | null }> {
  if (format.reader === null) return locateLayout(root, format, split, withImages);
  const reader = READERS[format.reader];
  if (!reader) throw new UserError(`the ${format.name} format needs the "${format.reader}" reader, which this installation lacks`, { fix: 'reinstall segloss', exitCode: 1 });
  const located = await reader({ root, split, options: format.options });
  return withImages ? located : { ...located, pairs: located.pairs.map((p) => ({ ...p, imagePath: null, imagePaths: undefined })), hasImages: false, imagesDir: null };
}

export async function findDataset(options: DatasetOptions): Promise<FoundDataset> {
  const withImages = options.imagesDir !== null;
  if (options.masksDir || typeof options.imagesDir === 'string') {
    if (options.format) throw new UserError(`--format ${options.format} reads the layout's own folders, so it cannot be used with --masks or --images`, { fix: 'drop --masks/--images to read the layout, or drop --format to read the folders as given' });
    if (options.split) throw new UserError(`--split ${options.split} picks a split of a dataset layout, not of --masks/--images folders`, { fix: 'point --masks at the split\'s folder instead' });
    const found = await fromFolders(options);
    return withGroups(found, options, null);
  }
  if (!options.root) throw new UserError('no dataset given', { fix: 'pass a dataset folder, or --masks DIR [--images DIR]' });
  const root = resolve(options.root);
  await checkRoot(root);
  const catalogue = await loadFormatCatalogue(options.formatFiles ?? []);
  const picked = options.format ? await chosen(root, formatByName(catalogue, options.format)) : await detect(root, catalogue.formats);
  if (picked === null) {
    // A folder of mask files given directly: segloss's own masks-only layout.
    const found = await fromFolders({ ...options, root, masksDir: root, imagesDir: null });
    return withGroups({ ...found, root, format: { name: 'segloss', reason: 'the folder holds mask files directly: masks only', split: null } }, options, null);
  }
  const { format } = picked;
  const split = chooseSplit(format, options.split, picked.within);
  const located = await readWith(format, picked.root, split, withImages);
  if (located.pairs.length === 0 && located.skipped.length === 0) {
    throw new UserError(`no mask files in ${located.masksDir} (looked for ${EXTENSIONS_TEXT}${format.maskSuffixRequired ? ` ending ${format.maskSuffixes.join(' or ')}` : ''})`, {
      fix: 'put one label mask per image in the masks folder, or point segloss at the dataset\'s root',
    });
  }
  const labels = { ...(located.labels ?? {}), ...(format.reader === null ? layoutLabels(format, located.maskSuffix ?? null) : format.labels) };
  const found: FoundDataset = {
    root: picked.root,
    imagesDir: located.imagesDir,
    masksDir: located.masksDir,
    hasImages: located.hasImages,
    pairs: located.pairs,
    skipped: located.skipped,
    classNames: format.classes ?? located.classNames,
    classNamesSource: format.classes ? format.file : located.classNames ? `the ${format.name} layout` : null,
    labels,
    // The format file's ignore index, else the one the layout declares (nnU-Net's "ignore" label).
    ignoreIndex: format.ignoreIndex !== undefined ? format.ignoreIndex : (located.ignoreIndex ?? undefined),
    format: { name: format.name, reason: picked.reason, split },
    notes: [...(located.notes ?? [])],
  };
  if (!withImages) found.notes.push('--images none: masks only');
  return withGroups(found, options, format);
}

function withGroups(found: FoundDataset, options: DatasetOptions, format: FormatSpec | null): FoundDataset {
  const fromFlag = options.groupPattern !== undefined;
  const pattern = options.groupPattern ?? format?.group ?? null;
  const { pairs, note } = assignGroups(found.pairs, pattern, { fromFlag, meaning: fromFlag ? null : (format?.groupMeaning ?? null) });
  return { ...found, pairs, notes: note ? [...found.notes, note] : found.notes };
}

