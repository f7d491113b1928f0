/**
 * Finding a plain layout's files (image folders beside mask folders) from its format entry: the
 * split's folders ("{split}", "*" sub-folders), files in sub-folders when the format says so
 * (Cityscapes' <city>/), suffixes stripped or required (_leftImg8bit <-> _gtFine_labelIds), the
 * label map chosen among several label files per image, and an ids file restricting the split
 * (VOC's ImageSets/Segmentation/train.txt). Pairing itself is files.ts's pairKeyed.
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SkippedItem } from '../../contracts/profile.js';
import { UserError } from '../../common/errors.js';
import { readBoundedTextFile } from '../../common/input-file.js';
import { baseName, hasImageExtension, IMAGE_EXTENSIONS, keyId, naturalOrder, pairKeyed, type KeyedFile } from '../files.js';
import type { LabelConvention } from '../types.js';
import type { LocatedDataset } from './readers.js';
import { globToRegex } from './detect.js';
import { FORMAT_FILE_LIMITS, type FormatSpec } from './schema.js';

/** An ids file is a list of names; VOC's largest (trainval.txt) is 34 KB. */
const MAX_IDS_FILE_BYTES = 16 * 1024 * 1024;

interface Folder {
  path: string;
  /** The sub-folder names "*" matched ("Urban"), part of every key found in it. */
  prefix: string;
}

async function subfolders(dir: string): Promise<string[]> {
  try {
    const found = await readdir(dir, { withFileTypes: true });
    return found.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort(naturalOrder);
  } catch {
    return [];
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    await readdir(path);
    return true;
  } catch {
    return false;
  }
}

/** A folder template ("{split}/*\/images_png") -> the existing folders it names. */
async function expandFolder(root: string, template: string, split: string | null): Promise<Folder[]> {
  const segments = (split === null ? template : template.replaceAll('{split}', split)).split('/');
  let current: Folder[] = [{ path: root, prefix: '' }];
  for (const segment of segments) {
    const next: Folder[] = [];
    for (const folder of current) {
      if (segment.includes('*')) {
        const pattern = globToRegex(segment);
        for (const name of await subfolders(folder.path)) {
          if (pattern.test(name)) next.push({ path: join(folder.path, name), prefix: folder.prefix ? `${folder.prefix}/${name}` : name });
        }
      } else if (await isDirectory(join(folder.path, segment))) next.push({ path: join(folder.path, segment), prefix: folder.prefix });
    }
    current = next;
  }
  return current;
}

/** Image-extension files under a folder (sub-folders too when recursive), keyed by sub-folders and basename. */
async function listKeyed(folder: Folder, recursive: boolean): Promise<Array<KeyedFile & { stem: string }>> {
  const out: Array<KeyedFile & { stem: string }> = [];
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    let found;
    try {
      found = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw new UserError(`cannot read the folder ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { fix: 'check the folder permissions' });
    }
    found.sort((a, b) => naturalOrder(a.name, b.name));
    for (const entry of found) {
      if (entry.name.startsWith('.')) continue;
      // Sub-folders are searched without following links, so a link loop cannot recurse forever.
      if (entry.isDirectory() && recursive) {
        if (depth < FORMAT_FILE_LIMITS.maxDepth) await walk(join(dir, entry.name), rel ? `${rel}/${entry.name}` : entry.name, depth + 1);
        continue;
      }
      // Without recursion a folder named like an image is listed, so decoding names the problem.
      if (entry.isDirectory() && !hasImageExtension(entry.name)) continue;
      if (!hasImageExtension(entry.name)) continue;
      const stem = baseName(entry.name);
      const prefix = [folder.prefix, rel].filter(Boolean).join('/');
      out.push({ path: join(dir, entry.name), key: prefix ? `${prefix}/${stem}` : stem, stem });
    }
  };
  await walk(folder.path, '', 0);
  return out;
}

function stripSuffix(key: string, suffixes: readonly string[]): { key: string; suffix: string | null } {
  const suffix = suffixes.find((s) => key.endsWith(s) && key.length > s.length);
  return suffix ? { key: key.slice(0, -suffix.length), suffix } : { key, suffix: null };
}

/** Reads an ids file: one id per line (VOC), blank lines and "#" comments skipped, extensions and folders dropped. */
async function readIds(path: string): Promise<Set<string>> {
  const text = await readBoundedTextFile(path, { what: 'split list', maxBytes: MAX_IDS_FILE_BYTES, fix: 'a split list names one image id per line (VOC ImageSets/Segmentation/train.txt)' });
  const ids = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const id = line.trim().split(/\s+/)[0];
    if (!id || id.startsWith('#')) continue;
    ids.add(baseName(id.slice(id.lastIndexOf('/') + 1)));
  }
  return ids;
}

export interface LocatedLayout extends LocatedDataset {
  /** The mask suffix chosen among several label files per image (Cityscapes), or null. */
  maskSuffix: string | null;
}

function describeFolders(root: string, templates: string[], split: string | null): string {
  return templates.map((t) => join(root, split === null ? t : t.replaceAll('{split}', split))).join(', ');
}

/**
 * The pairs of a plain layout for one split. `withImages: false` reads masks only (--images none).
 */
export async function locateLayout(root: string, format: FormatSpec, split: string | null, withImages: boolean): Promise<LocatedLayout> {
  const maskFolders = (await Promise.all(format.masks.map((t) => expandFolder(root, t, split)))).flat();
  const maskPlace = describeFolders(root, format.masks, split);
  if (maskFolders.length === 0) {
    throw new UserError(`no mask folder of the ${format.name} layout in ${root}: looked for ${maskPlace}`, {
      fix: format.splits.length > 1 ? `check the dataset root, or pick a split that has labels with --split (${format.splits.join(', ')})` : 'check the dataset root, or pass --masks DIR [--images DIR]',
    });
  }
  const imageFolders = withImages ? (await Promise.all(format.images.map((t) => expandFolder(root, t, split)))).flat() : [];
  const notes: string[] = [];
  if (withImages && format.images.length > 0 && imageFolders.length === 0) notes.push(`no image folder (${describeFolders(root, format.images, split)}): profiling masks only`);

  const skipped: SkippedItem[] = [];
  let masks = (await Promise.all(maskFolders.map((f) => listKeyed(f, format.recursive)))).flat();
  let maskSuffix: string | null = null;
  if (format.maskSuffixRequired) {
    const chosen = chooseMaskFiles(masks, format.maskSuffixes, skipped);
    masks = chosen.files;
    maskSuffix = chosen.suffix;
    if (chosen.otherFiles > 0) notes.push(`left out ${chosen.otherFiles} file${chosen.otherFiles > 1 ? 's' : ''} that are not the label maps read (${chosen.otherKinds.join(', ')})`);
  }
  if (masks.length === 0) {
    const ending = format.maskSuffixRequired ? ` ending ${format.maskSuffixes.join(' or ')}` : '';
    throw new UserError(`no mask files in ${maskPlace} (looked for ${IMAGE_EXTENSIONS.join(', ')}${ending}${format.recursive ? ', in sub-folders too' : ''})`, {
      fix: 'put one label mask per image in the masks folder, or point segloss at the dataset\'s root',
    });
  }
  let images = (await Promise.all(imageFolders.map((f) => listKeyed(f, format.recursive)))).flat().map((f) => ({ ...f, key: stripSuffix(f.key, format.imageSuffixes).key }));

  if (format.ids !== null) {
    const idsPath = join(root, split === null ? format.ids : format.ids.replaceAll('{split}', split));
    const ids = await readIds(idsPath);
    masks = masks.filter((f) => ids.has(keyId(stripSuffix(f.key, format.maskSuffixes).key)));
    images = images.filter((f) => ids.has(keyId(f.key)));
    const withMask = new Set(masks.map((f) => keyId(stripSuffix(f.key, format.maskSuffixes).key)));
    for (const id of ids) {
      if (withMask.has(id)) continue;
      skipped.push({ file: idsPath, problem: `lists ${id}, which has no mask in ${maskPlace}`, fix: `add the mask ${id}.png, or remove ${id} from ${basename(idsPath)}` });
    }
  }
  const pairing = pairKeyed(masks, imageFolders.length > 0 ? images : null, { masks: maskPlace, images: imageFolders.length > 0 ? describeFolders(root, format.images, split) : null }, format.maskSuffixes);
  return {
    pairs: pairing.pairs,
    skipped: [...skipped, ...pairing.skipped],
    classNames: null,
    hasImages: imageFolders.length > 0,
    imagesDir: imageFolders.length === 1 ? imageFolders[0].path : imageFolders.length > 1 ? describeFolders(root, format.images, split) : null,
    masksDir: maskFolders.length === 1 ? maskFolders[0].path : maskPlace,
    notes,
    maskSuffix,
  };
}

/**
 * Required suffixes: only files ending with one are label maps, and one suffix is read for the
 * whole split (the first in the format's order that any file has), because each suffix has its
 * own label convention. An image whose label map lacks that suffix is skipped with the reason.
 */
function chooseMaskFiles(files: Array<KeyedFile & { stem: string }>, suffixes: readonly string[], skipped: SkippedItem[]) {
  const withSuffix = files.map((f) => ({ ...f, ...stripSuffix(f.key, suffixes) }));
  const suffix = suffixes.find((s) => withSuffix.some((f) => f.suffix === s)) ?? null;
  const others = withSuffix.filter((f) => f.suffix === null);
  const kinds = new Set(others.map((f) => `*${f.stem.slice(f.stem.lastIndexOf('_'))}`));
  const chosenKeys = new Set(withSuffix.filter((f) => f.suffix === suffix).map((f) => f.key));
  const chosen: Array<KeyedFile & { stem: string }> = [];
  let otherFiles = others.length;
  for (const f of withSuffix) {
    if (f.suffix === null) continue;
    if (f.suffix === suffix) chosen.push({ path: f.path, key: f.key, stem: f.stem });
    else if (chosenKeys.has(f.key)) {
      otherFiles++;
      kinds.add(`*${f.suffix}`);
    }
    else {
      chosenKeys.add(f.key);
      skipped.push({
        file: f.path,
        problem: `only a ${f.suffix} label file, while the other masks are read from their ${suffix} files (a different label convention)`,
        fix: `create the missing ${suffix} files (Cityscapes: createTrainIdLabelImgs), or remove the ${suffix} files to read every ${f.suffix} file`,
      });
    }
  }
  return { files: chosen, suffix, otherFiles, otherKinds: [...kinds].slice(0, 4) };
}

/** The split's label convention: the format's, with the chosen mask suffix's over it. */
export function layoutLabels(format: FormatSpec, maskSuffix: string | null): Partial<LabelConvention> {
  return { ...format.labels, ...(maskSuffix !== null ? format.suffixLabels[maskSuffix] : {}) };
}
