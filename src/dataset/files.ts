/** Finding mask and image files and pairing them by basename. */
import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
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

export function hasImageExtension(name: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());
}

function baseName(name: string): string {
  return name.slice(0, name.length - extname(name).length);
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
export async function resolveFolders(options: { root?: string; imagesDir?: string; masksDir?: string }): Promise<ResolvedFolders> {
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
  else if (root && masksDir !== root && (await isDirectory(join(root, 'images')))) imagesDir = join(root, 'images');
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

/** Groups file names by basename; names sharing a basename are ambiguous and reported. */
function byBaseName(dir: string, names: string[], role: 'mask' | 'image', skipped: SkippedItem[], ambiguous = new Set<string>()): Map<string, string> {
  const groups = new Map<string, string[]>();
  for (const name of names) {
    const key = baseName(name);
    const group = groups.get(key);
    if (group) group.push(name);
    else groups.set(key, [name]);
  }
  const unique = new Map<string, string>();
  for (const [key, group] of groups) {
    if (group.length === 1) {
      unique.set(key, join(dir, group[0]));
      continue;
    }
    ambiguous.add(key);
    for (const name of group) {
      skipped.push({
        file: join(dir, name),
        problem: `${group.length} ${role} files share the basename "${key}" (${group.join(', ')}), so the pairing is ambiguous`,
        fix: `keep one ${role} file per basename in ${dir}`,
      });
    }
  }
  return unique;
}

/** Pairs masks with images by basename; unpaired files on either side become skipped items. */
export function pairFiles(masksDir: string, maskNames: string[], imagesDir: string | null, imageNames: string[]): Pairing {
  const skipped: SkippedItem[] = [];
  const ambiguousMasks = new Set<string>();
  const masks = byBaseName(masksDir, maskNames, 'mask', skipped, ambiguousMasks);
  if (imagesDir === null) {
    const pairs = [...masks].map(([id, maskPath]) => ({ id, maskPath, imagePath: null }));
    return { pairs: pairs.sort((a, b) => naturalOrder(a.id, b.id)), skipped };
  }
  const images = byBaseName(imagesDir, imageNames, 'image', skipped);
  const pairs: DatasetPair[] = [];
  const usedImages = new Set<string>();
  for (const [maskKey, maskPath] of masks) {
    let id = maskKey;
    if (!images.has(id)) {
      const suffix = MASK_SUFFIXES.find((s) => maskKey.endsWith(s) && images.has(maskKey.slice(0, -s.length)));
      if (suffix) id = maskKey.slice(0, -suffix.length);
    }
    const imagePath = images.get(id);
    if (imagePath === undefined || usedImages.has(id)) {
      skipped.push({
        file: maskPath,
        problem: `mask without image: no file named ${id}.* in ${imagesDir}`,
        fix: `add the image ${id}.png (or .jpg/.tif) to ${imagesDir}, or remove the mask`,
      });
      continue;
    }
    usedImages.add(id);
    pairs.push({ id, maskPath, imagePath });
  }
  for (const [id, imagePath] of images) {
    if (usedImages.has(id) || ambiguousMasks.has(id)) continue; // the masks' problem already covers it
    skipped.push({
      file: imagePath,
      problem: `image without mask: no file named ${id}.* in ${masksDir}`,
      fix: `add the mask ${id}.png to ${masksDir}, or remove the image`,
    });
  }
  pairs.sort((a, b) => naturalOrder(a.id, b.id));
  skipped.sort((a, b) => naturalOrder(a.file, b.file));
  return { pairs, skipped };
}
