/**
 * Reading --classes (class names) and --colormap (RGB colour -> class id) JSON files.
 *
 * names.json, any of:
 *   ["background", "roof", "solar_panel"]
 *   {"0": "background", "1": "roof", "2": "solar_panel"}
 *   {"classes": [{"id": 0, "name": "background"}, ...]}     (the colormap format also works)
 *   an nnU-Net dataset.json: {"labels": {"background": 0, "tumour": 1}, "channel_names": ..., ...}
 * Ids must run 0..N-1 without gaps.
 *
 * colors.json, any of:
 *   {"classes": [{"id": 0, "name": "background", "color": [0, 0, 0]}, {"id": 1, "color": "#ff0000"}]}
 *   [{"id": 0, "name": "background", "color": "#000000"}, ...]
 *   {"0": "#000000", "1": [255, 0, 0]}
 * Colours are [r, g, b] (0-255) or "#rrggbb"; each colour names one id; `name` is optional.
 * A colour may map to the ignore index (e.g. {"255": "#ffffff"}).
 */
import { describeProblem, readRegularFile, RegularFileError } from '../common/regular-file.js';
import { UserError } from '../common/errors.js';
import type { Colormap, ColormapEntry } from './types.js';
import { looksLikeNnunetJson, parseNnunetJson } from './formats/readers/nnunet-json.js';

const NAMES_FORMAT = 'a JSON array of names ["background", "roof", ...] or an object {"0": "background", "1": "roof", ...}';
const COLORMAP_FORMAT =
  '{"classes": [{"id": 0, "name": "background", "color": [0, 0, 0]}, {"id": 1, "color": "#ff0000"}, ...]} or {"0": "#000000", "1": [255, 0, 0]}';

/** A class file names at most 65536 classes: far below this (a link to /dev/zero is refused). */
const MAX_CLASS_FILE_BYTES = 16 * 1024 * 1024;

async function readJson(file: string, what: string, format: string): Promise<unknown> {
  let text: string;
  try {
    text = (await readRegularFile(file, MAX_CLASS_FILE_BYTES)).toString('utf8');
  } catch (error) {
    const reason = error instanceof RegularFileError ? describeProblem(error.problem) : (error as Error).message;
    throw new UserError(`cannot read the ${what} file ${file}: it ${reason}`, { fix: `check the path; the file holds ${format}` });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(`${what} file ${file} is not valid JSON: ${(error as Error).message}`, { fix: `write it as ${format}` });
  }
}

function bad(file: string, what: string, problem: string, format: string): UserError {
  return new UserError(`${what} file ${file}: ${problem}`, { fix: `write it as ${format}` });
}

function parseId(key: unknown, file: string, what: string, format: string): number {
  const id = typeof key === 'string' && /^\d+$/.test(key) ? Number(key) : key;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 65535) {
    throw bad(file, what, `class id ${JSON.stringify(key)} is not a whole number in 0..65535`, format);
  }
  return id;
}

/** Reads class names; the result is indexed by class id. */
export async function readClassNames(file: string): Promise<string[]> {
  const what = 'class names';
  const json = await readJson(file, what, NAMES_FORMAT);
  // An nnU-Net dataset.json: the names come from its "labels" (channel_names etc. are not classes).
  if (looksLikeNnunetJson(json)) {
    try {
      return parseNnunetJson(json).classNames;
    } catch (error) {
      throw bad(file, 'nnU-Net dataset.json', (error as Error).message, '{"labels": {"background": 0, "tumour": 1}, ...} as nnU-Net v2 writes it');
    }
  }
  const byId = new Map<number, string>();
  const add = (id: number, name: unknown): void => {
    if (typeof name !== 'string' || name.trim() === '') throw bad(file, what, `the name of class ${id} is not a non-empty string`, NAMES_FORMAT);
    if (byId.has(id)) throw bad(file, what, `class id ${id} appears twice`, NAMES_FORMAT);
    byId.set(id, name);
  };
  const list = isRecord(json) && Array.isArray(json.classes) ? json.classes : json;
  if (Array.isArray(list)) {
    list.forEach((item, position) => {
      if (isRecord(item)) add(parseId(item.id ?? position, file, what, NAMES_FORMAT), item.name);
      else add(position, item);
    });
  } else if (isRecord(list)) {
    for (const [key, name] of Object.entries(list)) add(parseId(key, file, what, NAMES_FORMAT), name);
  } else {
    throw bad(file, what, 'expected an array or an object', NAMES_FORMAT);
  }
  if (byId.size === 0) throw bad(file, what, 'no classes listed', NAMES_FORMAT);
  const names: string[] = [];
  for (let id = 0; id < byId.size; id++) {
    const name = byId.get(id);
    if (name === undefined) throw bad(file, what, `class ids must run 0..${byId.size - 1} without gaps; ${id} is missing`, NAMES_FORMAT);
    names.push(name);
  }
  return names;
}

function parseColor(value: unknown, id: number, file: string): [number, number, number] {
  const what = 'colormap';
  if (typeof value === 'string') {
    const match = /^#?([0-9a-f]{6})$/i.exec(value.trim());
    if (!match) throw bad(file, what, `colour "${value}" of class ${id} is not "#rrggbb"`, COLORMAP_FORMAT);
    const n = parseInt(match[1], 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  if (Array.isArray(value) && value.length === 3 && value.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)) {
    return [value[0], value[1], value[2]];
  }
  throw bad(file, what, `colour ${JSON.stringify(value)} of class ${id} is not [r, g, b] with 0-255 values or "#rrggbb"`, COLORMAP_FORMAT);
}

export function formatColor(color: readonly [number, number, number] | readonly number[]): string {
  return `#${color
    .slice(0, 3)
    .map((c) => c.toString(16).padStart(2, '0'))
    .join('')} (rgb ${color.slice(0, 3).join(', ')})`;
}

/** Reads a colormap; every colour maps to exactly one id. */
export async function readColormap(file: string): Promise<Colormap> {
  const what = 'colormap';
  const json = await readJson(file, what, COLORMAP_FORMAT);
  const entries: ColormapEntry[] = [];
  const list = isRecord(json) && Array.isArray(json.classes) ? json.classes : json;
  if (Array.isArray(list)) {
    for (const item of list) {
      if (!isRecord(item)) throw bad(file, what, `entry ${JSON.stringify(item)} is not an object with id and color`, COLORMAP_FORMAT);
      const id = parseId(item.id, file, what, COLORMAP_FORMAT);
      if (item.name !== undefined && (typeof item.name !== 'string' || item.name.trim() === '')) {
        throw bad(file, what, `the name of class ${id} is not a non-empty string`, COLORMAP_FORMAT);
      }
      entries.push({ id, name: typeof item.name === 'string' ? item.name : null, color: parseColor(item.color, id, file) });
    }
  } else if (isRecord(list)) {
    for (const [key, value] of Object.entries(list)) {
      const id = parseId(key, file, what, COLORMAP_FORMAT);
      entries.push({ id, name: null, color: parseColor(value, id, file) });
    }
  } else {
    throw bad(file, what, 'expected an object or an array', COLORMAP_FORMAT);
  }
  if (entries.length === 0) throw bad(file, what, 'no colours listed', COLORMAP_FORMAT);
  const seenColors = new Map<number, number>();
  const seenIds = new Set<number>();
  for (const entry of entries) {
    const key = packRgb(entry.color[0], entry.color[1], entry.color[2]);
    const other = seenColors.get(key);
    if (other !== undefined) throw bad(file, what, `colour ${formatColor(entry.color)} is given to both class ${other} and class ${entry.id}`, COLORMAP_FORMAT);
    if (seenIds.has(entry.id)) throw bad(file, what, `class id ${entry.id} appears twice`, COLORMAP_FORMAT);
    seenColors.set(key, entry.id);
    seenIds.add(entry.id);
  }
  return { file, entries: entries.sort((a, b) => a.id - b.id) };
}

export function packRgb(r: number, g: number, b: number): number {
  return (r << 16) | (g << 8) | b;
}

/**
 * Class names from a colormap, when it names every id 0..N-1 (ids equal to the ignore index
 * are left out); otherwise null.
 */
export function classNamesFromColormap(colormap: Colormap, ignoreIndex: number | null): string[] | null {
  const classes = colormap.entries.filter((e) => e.id !== ignoreIndex);
  if (classes.some((e, i) => e.id !== i || e.name === null)) return null;
  return classes.map((e) => e.name as string);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
