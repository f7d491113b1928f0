/**
 * The COCO entries segloss uses, checked field by field: an image (id, file_name, width,
 * height), a category (id, name) and an annotation (image_id, category_id, iscrowd, area,
 * segmentation as polygons or RLE). A wrong field is named by its JSON path
 * (`annotations[17].segmentation[0][5]`) with what was found, so a user can go straight to it.
 * Fields segloss does not use (bbox, keypoints, licenses, info) are not checked.
 */
import { isAbsolute, normalize, sep } from 'node:path';

/** A bad field: `path` is its JSON path in the annotation file. */
export class CocoFieldError extends Error {
  readonly path: string;
  readonly problem: string;
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'CocoFieldError';
    this.path = path;
    this.problem = problem;
  }
}

export interface CocoImage {
  /** Position in the `images` array (for messages). */
  index: number;
  id: number;
  /** Relative to the images folder, checked not to leave it. */
  fileName: string;
  width: number;
  height: number;
}

export interface CocoCategory {
  id: number;
  name: string;
}

export type CocoSegmentation =
  | { kind: 'polygons'; polygons: number[][] }
  | { kind: 'compressed'; counts: string; height: number; width: number }
  | { kind: 'uncompressed'; counts: number[]; height: number; width: number };

export interface CocoAnnotation {
  /** Position in the `annotations` array (order in the file, for messages and ties). */
  index: number;
  imageId: number;
  categoryId: number;
  crowd: boolean;
  /** The `area` field when present (pycocotools' RLE area of the mask). */
  area: number | null;
  segmentation: CocoSegmentation;
}

/** A value for a message: short, one line. */
export function shown(value: unknown): string {
  if (value === undefined) return 'missing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, path: string): Record<string, unknown> {
  if (!isObject(value)) throw new CocoFieldError(path, `expected an object, found ${shown(value)}`);
  return value;
}

/** An id: a whole number (COCO ids are positive, but 0 and negatives are read as given). */
function idAt(entry: Record<string, unknown>, field: string, path: string): number {
  const value = entry[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new CocoFieldError(`${path}.${field}`, `expected a whole-number id, found ${shown(value)}`);
  return value;
}

function sizeAt(entry: Record<string, unknown>, field: string, path: string): number {
  const value = entry[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > 1_000_000) {
    throw new CocoFieldError(`${path}.${field}`, `expected a whole number of pixels in 1..1000000, found ${shown(value)}`);
  }
  return value;
}

/** An `images` entry. */
export function readImage(value: unknown, index: number): CocoImage {
  const path = `images[${index}]`;
  const entry = objectAt(value, path);
  const id = idAt(entry, 'id', path);
  const fileName = entry.file_name;
  if (typeof fileName !== 'string' || fileName.trim() === '') throw new CocoFieldError(`${path}.file_name`, `expected a file name, found ${shown(fileName)}`);
  // A file name is a path under the images folder: never absolute, never out of it, never a NUL.
  const normal = normalize(fileName);
  if (fileName.includes('\0') || isAbsolute(fileName) || normal === '..' || normal.startsWith(`..${sep}`)) {
    throw new CocoFieldError(`${path}.file_name`, `${shown(fileName)} is not a path inside the images folder`);
  }
  return { index, id, fileName, width: sizeAt(entry, 'width', path), height: sizeAt(entry, 'height', path) };
}

/** A `categories` entry. */
export function readCategory(value: unknown, index: number): CocoCategory {
  const path = `categories[${index}]`;
  const entry = objectAt(value, path);
  const id = idAt(entry, 'id', path);
  const name = entry.name;
  if (typeof name !== 'string' || name.trim() === '') throw new CocoFieldError(`${path}.name`, `expected the category's name, found ${shown(name)}`);
  return { id, name };
}

/** The image an annotation belongs to (read first, so its other problems are that image's). */
export function annotationImageId(value: unknown, index: number): number {
  const path = `annotations[${index}]`;
  return idAt(objectAt(value, path), 'image_id', path);
}

function readCrowd(entry: Record<string, unknown>, path: string): boolean {
  const value = entry.iscrowd;
  if (value === undefined || value === 0 || value === false) return false;
  if (value === 1 || value === true) return true;
  throw new CocoFieldError(`${path}.iscrowd`, `expected 0 or 1, found ${shown(value)}`);
}

function readPolygons(list: unknown[], path: string): number[][] {
  if (list.length === 0) throw new CocoFieldError(path, 'an empty list of polygons: the object has no outline (a box-only annotation?)');
  const polygons = list.map((polygon, p) => {
    const at = `${path}[${p}]`;
    if (!Array.isArray(polygon)) throw new CocoFieldError(at, `expected a polygon [x0, y0, x1, y1, ...], found ${shown(polygon)}`);
    if (polygon.length % 2 !== 0) throw new CocoFieldError(at, `a polygon has an even count of numbers (x, y pairs), this one has ${polygon.length}`);
    for (let i = 0; i < polygon.length; i++) {
      const v = polygon[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new CocoFieldError(`${at}[${i}]`, `expected a coordinate in pixels, found ${shown(v)}`);
    }
    return polygon as number[];
  });
  // pycocotools' frPyObjects reads a list whose first entry has 4 numbers as boxes [x, y, w, h]
  // (frBbox: each box becomes the polygon xs,ys, xs,ye, xe,ye, xe,ys); a loader built on it does so.
  if (polygons[0].length !== 4) return polygons;
  return polygons.map((box, p) => {
    if (box.length !== 4) throw new CocoFieldError(`${path}[${p}]`, `the first outline has 4 numbers, which pycocotools reads as a box [x, y, width, height], so every outline must; this one has ${box.length}`);
    const [x, y, w, h] = box;
    return [x, y, x, y + h, x + w, y + h, x + w, y];
  });
}

function readRle(entry: Record<string, unknown>, path: string): CocoSegmentation {
  const size = entry.size;
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 && v <= 1_000_000)) {
    throw new CocoFieldError(`${path}.size`, `expected the mask's [height, width], found ${shown(size)}`);
  }
  const [height, width] = size as number[];
  const counts = entry.counts;
  if (typeof counts === 'string') return { kind: 'compressed', counts, height, width };
  if (Array.isArray(counts)) {
    const bad = counts.findIndex((c) => typeof c !== 'number' || !Number.isSafeInteger(c) || c < 0);
    if (bad >= 0) throw new CocoFieldError(`${path}.counts[${bad}]`, `expected a run length (a whole number >= 0), found ${shown(counts[bad])}`);
    return { kind: 'uncompressed', counts: counts as number[], height, width };
  }
  throw new CocoFieldError(`${path}.counts`, `expected RLE counts (a compressed string or a list of run lengths), found ${shown(counts)}`);
}

/** An `annotations` entry, every field segloss reads checked. */
export function readAnnotation(value: unknown, index: number): CocoAnnotation {
  const path = `annotations[${index}]`;
  const entry = objectAt(value, path);
  const imageId = idAt(entry, 'image_id', path);
  const categoryId = idAt(entry, 'category_id', path);
  const crowd = readCrowd(entry, path);
  const areaValue = entry.area;
  if (areaValue !== undefined && (typeof areaValue !== 'number' || !Number.isFinite(areaValue) || areaValue < 0)) {
    throw new CocoFieldError(`${path}.area`, `expected an area in pixels (>= 0), found ${shown(areaValue)}`);
  }
  const segmentation = entry.segmentation;
  const at = `${path}.segmentation`;
  let parsed: CocoSegmentation;
  if (segmentation === undefined || segmentation === null) {
    throw new CocoFieldError(at, 'missing: the object has no outline (a box-only annotation?), so its pixels cannot be labelled');
  } else if (Array.isArray(segmentation)) parsed = { kind: 'polygons', polygons: readPolygons(segmentation, at) };
  else if (isObject(segmentation)) parsed = readRle(segmentation, at);
  else throw new CocoFieldError(at, `expected polygons [[x, y, ...], ...] or RLE {"counts", "size"}, found ${shown(segmentation)}`);
  return { index, imageId, categoryId, crowd, area: typeof areaValue === 'number' ? areaValue : null, segmentation: parsed };
}
