/**
 * Which catalogue format a folder is, from its detection markers: the format matching the most
 * markers wins; a tie is ambiguous (the user picks with --format). When nothing matches the
 * folder itself, the folder the user obviously meant is tried: one child (VOCdevkit/ -> VOC2012/,
 * a download's wrapper folder) or the parent when the folder is one of the format's own
 * (pointing at gtFine/ means the Cityscapes root).
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { FormatSpec } from './schema.js';

/** Children looked at when the root itself matches nothing. */
const MAX_CHILDREN = 200;

async function kindOf(path: string): Promise<'dir' | 'file' | null> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? 'dir' : 'file';
  } catch {
    return null;
  }
}

async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => !name.startsWith('.'));
  } catch {
    return [];
  }
}

/** "instances_*.json" -> a whole-name regular expression. */
export function globToRegex(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** True when some path under `root` matches the marker's segments ("*" within a segment). */
async function markerMatches(root: string, marker: string): Promise<boolean> {
  const wantDir = marker.endsWith('/');
  const segments = marker.replace(/\/$/, '').split('/');
  const walk = async (dir: string, index: number): Promise<boolean> => {
    const segment = segments[index];
    const last = index === segments.length - 1;
    const candidates = segment.includes('*') ? (await entries(dir)).filter((name) => globToRegex(segment).test(name)) : [segment];
    for (const name of candidates) {
      const path = join(dir, name);
      const kind = await kindOf(path);
      if (kind === null) continue;
      if (last) {
        if (!wantDir || kind === 'dir') return true;
      } else if (kind === 'dir' && (await walk(path, index + 1))) return true;
    }
    return false;
  };
  return walk(root, 0);
}

/** Every marker holds: positive ones match something, "!" ones match nothing. */
export async function formatMatches(root: string, format: FormatSpec): Promise<boolean> {
  if (format.detect.length === 0) return false;
  for (const marker of format.detect) {
    const negated = marker.startsWith('!');
    if ((await markerMatches(root, negated ? marker.slice(1) : marker)) === negated) return false;
  }
  return true;
}

/** "found leftImg8bit/ and gtFine/" (negated markers: "and no masks/*.png"). */
export function markerText(format: FormatSpec): string {
  const found = format.detect.filter((m) => !m.startsWith('!'));
  const absent = format.detect.filter((m) => m.startsWith('!')).map((m) => m.slice(1));
  const list = (items: string[]) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`);
  return `found ${list(found)}${absent.length ? ` and no ${list(absent)}` : ''}`;
}

/** The formats matching at `root` with the most markers (several = a tie). */
async function bestAt(root: string, formats: FormatSpec[]): Promise<FormatSpec[]> {
  const matching: FormatSpec[] = [];
  for (const format of formats) if (await formatMatches(root, format)) matching.push(format);
  const most = Math.max(0, ...matching.map((f) => f.detect.length));
  return matching.filter((f) => f.detect.length === most);
}

export type Detection =
  | { kind: 'found'; format: FormatSpec; root: string; reason: string }
  | { kind: 'ambiguous'; candidates: Array<{ format: FormatSpec; root: string }> }
  | { kind: 'none' };

export async function detectAt(root: string, formats: FormatSpec[]): Promise<Detection> {
  const best = await bestAt(root, formats);
  if (best.length === 1) return { kind: 'found', format: best[0], root, reason: markerText(best[0]) };
  if (best.length > 1) return { kind: 'ambiguous', candidates: best.map((format) => ({ format, root })) };
  return { kind: 'none' };
}

/** Sub-folders looked into two levels down (a download's folder holding VOCdevkit/VOC2012). */
const MAX_GRANDCHILDREN = 20;

async function subdirectories(dir: string, limit: number): Promise<string[]> {
  const out: string[] = [];
  for (const name of await entries(dir)) {
    if (out.length >= limit) break;
    if ((await kindOf(join(dir, name))) === 'dir') out.push(join(dir, name));
  }
  return out;
}

/**
 * One folder below that is a dataset (VOCdevkit/ -> VOC2012/, a zip's wrapper folder): the
 * children first, then, when none is, the grandchildren of a few children.
 */
export async function detectInChildren(root: string, formats: FormatSpec[]): Promise<Detection> {
  const children = await subdirectories(root, MAX_CHILDREN);
  for (const level of [children, children.length <= MAX_GRANDCHILDREN ? (await Promise.all(children.map((c) => subdirectories(c, MAX_GRANDCHILDREN)))).flat() : []]) {
    const found: Array<{ format: FormatSpec; root: string }> = [];
    for (const dir of level) for (const format of await bestAt(dir, formats)) found.push({ format, root: dir });
    if (found.length === 1) return { kind: 'found', ...found[0], reason: `${markerText(found[0].format)} in ${relative(root, found[0].root)}/` };
    if (found.length > 1) return { kind: 'ambiguous', candidates: found };
  }
  return { kind: 'none' };
}

/** The top-level folder names a format uses: its markers' and its image and mask folders' for every split (lower case). */
function topFolders(format: FormatSpec): Set<string> {
  const names = format.detect.filter((m) => !m.startsWith('!')).map((m) => m.split('/')[0]);
  for (const template of [...format.images, ...format.masks]) {
    const top = template.split('/')[0];
    if (top.includes('{split}')) names.push(...format.splits.map((split) => top.replaceAll('{split}', split)));
    else names.push(top);
  }
  return new Set(names.filter((name) => !name.includes('*')).map((name) => name.toLowerCase()));
}

/** Levels above the folder given that are tried (gtFine/val/frankfurt -> the Cityscapes root). */
const MAX_ANCESTOR_LEVELS = 3;

/**
 * An ancestor, when the folder given lies inside one of the format's marker folders (gtFine/ or
 * gtFine/val/ of Cityscapes, tiff/train of Massachusetts). Only formats with two markers or more
 * claim an ancestor: a lone "masks/" is too common to say the folder above is a dataset.
 * `within` is the path from the dataset root to the folder given (it may name the split).
 */
export async function detectInAncestors(root: string, formats: FormatSpec[]): Promise<Detection & { within?: string[] }> {
  let ancestor = root;
  for (let level = 1; level <= MAX_ANCESTOR_LEVELS; level++) {
    const parent = dirname(ancestor);
    if (parent === ancestor) break;
    ancestor = parent;
    const within = relative(ancestor, root).split(sep);
    const own = formats.filter((f) => f.detect.length >= 2 && topFolders(f).has(within[0].toLowerCase()));
    const best = await bestAt(ancestor, own);
    const shown = `${within.join('/')}/`;
    if (best.length === 1) return { kind: 'found', format: best[0], root: ancestor, reason: `${shown} is part of a ${best[0].name} dataset: ${markerText(best[0])} in ${ancestor}`, within };
    if (best.length > 1) return { kind: 'ambiguous', candidates: best.map((format) => ({ format, root: ancestor })) };
  }
  return { kind: 'none' };
}
