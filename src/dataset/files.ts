/** Finding mask and image files and pairing them by basename. */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { SkippedItem } from '../contracts/profile.js';
import { UserError } from '../common/errors.js';
import type { DatasetPair } from './types.js';

/** Extensions read as images or masks (lower case, with the dot). */
export const IMAGE_EXTENSIONS = ['.png', '.tif', '.tiff', '.jpg', '.jpeg', '.webp', '.bmp'] as const;

/**
 * Suffixes stripped from a mask's basename when no image has the full basename, so
 * `tile_7_mask.png` pairs with `tile_7.jpg`.
 */
export const MASK_SUFFIXES = ['_mask', '-mask', '_label', '-label', '_labels', '_gt', '_seg', '_lbl'] as const;

export const naturalOrder = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' }).compare;

/**
 * NIfTI volumes, read in any images/ + masks/ layout too (MONAI and Medical Segmentation Decathlon
 * users keep them so, not only in nnU-Net's imagesTr/ + labelsTr/): a pair whose mask is a volume
 * is profiled in 3D and verified on its slices (volume.ts), each volume its own group.
 */
export const VOLUME_EXTENSIONS = ['.nii.gz', '.nii'] as const;

/** The extension of a file name, '.nii.gz' counted as one (lower case, with the dot). */
export function fileExtension(name: string): string {
  return name.toLowerCase().endsWith('.nii.gz') ? '.nii.gz' : extname(name).toLowerCase();
}

export function hasImageExtension(name: string): boolean {
  const ext = fileExtension(name);
  return (IMAGE_EXTENSIONS as readonly string[]).includes(ext) || (VOLUME_EXTENSIONS as readonly string[]).includes(ext);
}

export function baseName(name: string): string {
  return name.slice(0, name.length - fileExtension(name).length);
}

/** Image-extension entries of a folder (hidden files skipped), naturally sorted. */
export async function listImageFiles(dir: string, role: 'masks' | 'images'): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UserError(`${role} folder ${dir} does not exist`, {
        fix: role === 'masks' ? 'pass a dataset root containing masks/ (and images/), or --masks DIR' : 'pass --images DIR, or leave images out for a masks-only dataset',
      });
    }
    if (code === 'ENOTDIR') throw new UserError(`${dir} is a file, not a ${role} folder`, { fix: `pass the folder that holds the ${role}` });
    throw new UserError(`cannot read the ${role} folder ${dir}: ${(error as Error).message}`, { fix: 'check the folder permissions' });
  }
  return entries.filter((name) => !name.startsWith('.') && hasImageExtension(name)).sort(naturalOrder);
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export interface ResolvedFolders {
  root: string | null;
  imagesDir: string | null;
  masksDir: string;
}

/**
 * Which folders hold masks and images:
 * --masks/--images win; else ROOT/masks and ROOT/images; a ROOT without masks/ that holds image
 * files directly is a masks-only dataset.
 */
export async function resolveFolders(options: { root?: string; imagesDir?: string | null; masksDir?: string }): Promise<ResolvedFolders> {
  const root = options.root ? resolve(options.root) : null;
  if (root && !options.masksDir) {
    if (!(await isDirectory(root))) {
      const exists = await stat(root).then(() => true, () => false);
      throw new UserError(exists ? `${root} is a file, not a dataset folder` : `dataset folder ${root} does not exist`, {
        fix: 'pass a folder holding masks/ and images/ (or a folder of masks), or use --masks DIR [--images DIR]',
      });
    }
  }
  let masksDir: string;
  if (options.masksDir) masksDir = resolve(options.masksDir);
  else if (root && (await isDirectory(join(root, 'masks')))) masksDir = join(root, 'masks');
  else if (root && (await listImageFiles(root, 'masks')).length > 0) masksDir = root;
  else if (root) {
    throw new UserError(`no masks found in ${root}: expected ${join(root, 'masks')}/ with one label mask per image`, {
      fix: 'lay the dataset out as ROOT/images/* and ROOT/masks/* (same basenames), or pass --masks DIR [--images DIR]',
    });
  } else {
    throw new UserError('no dataset given', { fix: 'pass a dataset folder, or --masks DIR [--images DIR]' });
  }
  let imagesDir: string | null = null;
  if (options.imagesDir) imagesDir = resolve(options.imagesDir);
  else if (options.imagesDir !== null && root && masksDir !== root && (await isDirectory(join(root, 'images')))) imagesDir = join(root, 'images');
  if (imagesDir === masksDir) {
    throw new UserError(`images and masks are the same folder (${masksDir}), so every file would pair with itself`, {
      fix: 'keep masks and images in separate folders (ROOT/masks and ROOT/images), or leave --images out for a masks-only profile',
    });
  }
  return { root, imagesDir, masksDir };
}

export interface Pairing {
  pairs: DatasetPair[];
  skipped: SkippedItem[];
}

/** A mask or image file and the key it pairs by: sub-folders and basename, suffixes stripped ("aachen/aachen_000000_000019"). */
export interface KeyedFile {
  path: string;
  key: string;
}

/** Where the two sides were looked for, for messages. */
export interface PairingPlaces {
  masks: string;
  images: string | null;
}

/** The last part of a key: the pair's id. */
export function keyId(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** Groups files by key; files sharing a key are ambiguous and reported. */
function byKey(files: KeyedFile[], role: 'mask' | 'image', place: string, skipped: SkippedItem[], ambiguous = new Set<string>()): Map<string, string> {
  const groups = new Map<string, KeyedFile[]>();
  for (const file of files) {
    const group = groups.get(file.key);
    if (group) group.push(file);
    else groups.set(file.key, [file]);
  }
  const unique = new Map<string, string>();
  for (const [key, group] of groups) {
    if (group.length === 1) {
      unique.set(key, group[0].path);
      continue;
    }
    ambiguous.add(key);
    const names = group.map((f) => basename(f.path));
    for (const file of group) {
      skipped.push({
        file: file.path,
        problem: `${group.length} ${role} files share the basename "${keyId(key)}" (${names.join(', ')}), so the pairing is ambiguous`,
        fix: `keep one ${role} file per basename in ${dirname(file.path) || place}`,
      });
    }
  }
  return unique;
}

/**
 * Pairs masks with images by key; unpaired files on either side become skipped items. A mask
 * whose key has no image is tried without each of `stripSuffixes` (tile_7_mask -> tile_7). The
 * id is the key's basename, or the whole key ("/" as "_") when two pairs in sub-folders share one.
 */
export function pairKeyed(masks: KeyedFile[], images: KeyedFile[] | null, places: PairingPlaces, stripSuffixes: readonly string[] = MASK_SUFFIXES): Pairing {
  const skipped: SkippedItem[] = [];
  const ambiguousMasks = new Set<string>();
  const maskByKey = byKey(masks, 'mask', places.masks, skipped, ambiguousMasks);
  const found: Array<{ key: string; maskPath: string; imagePath: string | null }> = [];
  if (images === null) {
    for (const [key, maskPath] of maskByKey) found.push({ key, maskPath, imagePath: null });
  } else {
    const imageByKey = byKey(images, 'image', places.images ?? '', skipped);
    const usedImages = new Set<string>();
    for (const [maskKey, maskPath] of maskByKey) {
      let key = maskKey;
      if (!imageByKey.has(key)) {
        const suffix = stripSuffixes.find((s) => maskKey.endsWith(s) && imageByKey.has(maskKey.slice(0, -s.length)));
        if (suffix) key = maskKey.slice(0, -suffix.length);
      }
      const imagePath = imageByKey.get(key);
      if (imagePath === undefined || usedImages.has(key)) {
        skipped.push({
          file: maskPath,
          problem: `mask without image: no file named ${keyId(key)}.* in ${imageFolderOf(places.images!, key)}`,
          fix: `add the image ${keyId(key)}.png (or .jpg/.tif) to ${imageFolderOf(places.images!, key)}, or remove the mask`,
        });
        continue;
      }
      usedImages.add(key);
      found.push({ key, maskPath, imagePath });
    }
    for (const [key, imagePath] of imageByKey) {
      if (usedImages.has(key) || ambiguousMasks.has(key)) continue; // the masks' problem already covers it
      skipped.push({
        file: imagePath,
        problem: `image without mask: no file named ${keyId(key)}.* in ${imageFolderOf(places.masks, key)}`,
        fix: `add the mask ${keyId(key)}.png to ${imageFolderOf(places.masks, key)}, or remove the image`,
      });
    }
  }
  const idCount = new Map<string, number>();
  for (const { key } of found) idCount.set(keyId(key), (idCount.get(keyId(key)) ?? 0) + 1);
  const pairs: DatasetPair[] = found.map(({ key, maskPath, imagePath }) => ({
    id: idCount.get(keyId(key))! > 1 ? key.replaceAll('/', '_') : keyId(key),
    maskPath,
    imagePath,
  }));
  pairs.sort((a, b) => naturalOrder(a.id, b.id));
  skipped.sort((a, b) => naturalOrder(a.file, b.file));
  return { pairs, skipped };
}

/** The folder a key's file belongs in: the base folder plus the key's sub-folders. */
function imageFolderOf(base: string, key: string): string {
  const slash = key.lastIndexOf('/');
  return slash < 0 ? base : join(base, key.slice(0, slash));
}

/** Pairs masks with images by basename (one folder each); unpaired files on either side become skipped items. */
export function pairFiles(masksDir: string, maskNames: string[], imagesDir: string | null, imageNames: string[]): Pairing {
  const keyed = (dir: string, names: string[]): KeyedFile[] => names.map((name) => ({ path: join(dir, name), key: baseName(name) }));
  return pairKeyed(keyed(masksDir, maskNames), imagesDir === null ? null : keyed(imagesDir, imageNames), { masks: masksDir, images: imagesDir });
}
