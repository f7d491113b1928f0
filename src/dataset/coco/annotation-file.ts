/**
 * One COCO annotation file (annotations/instances_<split>.json) read once per process: its images,
 * its categories mapped to contiguous class ids, and, per image, where its annotations lie in the
 * file (byte offset and length), not the annotations themselves.
 *
 * Why offsets: COCO train2017's 860k annotations hold ~60M polygon coordinates; kept as objects
 * they take gigabytes, in every profiler worker. The file is streamed once (json-stream.ts), every
 * annotation is parsed and checked as it passes, and only 4 numbers per annotation stay; decoding
 * an image reads its few annotations back from the file (readAnnotationsAt). A pair carries its
 * image's numbers (CocoPairImage), so worker threads read annotations without scanning the file.
 *
 * Limits: the file may be up to 4 GiB (COCO train2017 is 448 MB, LVIS v1 train 1.1 GB), one entry
 * up to 64 MiB. Memory: about 100 bytes per image and 40 per annotation, plus one 4 MiB chunk.
 */
import { stat, type FileHandle } from 'node:fs/promises';
import { UserError } from '../../common/errors.js';
import { formatBytes, openRegularFile, RegularFileError, describeProblem } from '../../common/regular-file.js';
import { CocoFieldError, annotationImageId, readAnnotation, readCategory, readImage, shown, type CocoAnnotation, type CocoCategory, type CocoImage } from './entries.js';
import { JsonStreamError, streamJsonObject } from './json-stream.js';

export const MAX_ANNOTATION_FILE_BYTES = 4 * 1024 ** 3;
export const MAX_ENTRY_BYTES = 64 * 1024 ** 2;

/** A problem that leaves one image (or a set of annotations) out, with the fix. */
export interface CocoProblem {
  problem: string;
  fix: string;
}

export interface CocoFile {
  path: string;
  /** size, mtime and inode when read: a changed file is read again. */
  identity: string;
  /** Images with a valid entry, in file order. */
  images: CocoImage[];
  imagesById: Map<number, CocoImage>;
  /** Categories sorted by id; class id = position + 1 (0 is background). */
  categories: CocoCategory[];
  classOf: Map<number, number>;
  /** Per image id: [offset, length, annotation index, category id] per annotation, flat. */
  annotationPlaces: Map<number, number[]>;
  /** The first problem of each image that cannot be labelled (by image id). */
  imageProblems: Map<number, CocoProblem>;
  /** Problems not tied to a readable image (bad image entries, annotations of unknown images). */
  fileProblems: CocoProblem[];
  counts: { annotations: number; crowd: number; polygons: number; compressedRle: number; uncompressedRle: number };
  /** Bytes read and seconds the scan took (reported by the bench and the docs). */
  bytes: number;
  seconds: number;
}

const FIX_ENTRY = 'fix the entry in the annotation file (or remove it), or re-export the annotations';

function identityOf(stats: { size: number; mtimeMs: number; ino: number }): string {
  return `${stats.size}:${stats.mtimeMs}:${stats.ino}`;
}

/** 1-based line of a byte offset, for messages (read again only when there is an error). */
async function lineOf(handle: FileHandle, offset: number): Promise<number> {
  const chunk = Buffer.allocUnsafe(1024 * 1024);
  let line = 1;
  for (let position = 0; position < offset; ) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, offset - position), position);
    if (bytesRead === 0) break;
    for (let i = 0; i < bytesRead; i++) if (chunk[i] === 0x0a) line++;
    position += bytesRead;
  }
  return line;
}

function openProblem(path: string, error: RegularFileError): UserError {
  if (error.problem.kind === 'too-large') {
    return new UserError(`${path}: the annotation file is ${formatBytes(error.problem.bytes)}, over segloss's limit of ${formatBytes(MAX_ANNOTATION_FILE_BYTES)} for one COCO file`, {
      fix: 'split the annotations into several files (one per split or per subset of images)',
    });
  }
  return new UserError(`${path}: the annotation file ${describeProblem(error.problem)}`, { fix: 'point segloss at a readable annotations/instances_<split>.json' });
}

/** Streams and checks the file (see the module comment). Throws UserError when it cannot be used. */
async function scanCocoFile(path: string): Promise<CocoFile> {
  const started = performance.now();
  let opened;
  try {
    opened = await openRegularFile(path, MAX_ANNOTATION_FILE_BYTES);
  } catch (error) {
    if (error instanceof RegularFileError) throw openProblem(path, error);
    throw error;
  }
  const { handle, stats } = opened;
  try {
    if (stats.size === 0) throw new UserError(`${path}: the annotation file is empty (0 bytes)`, { fix: 'restore the file, or re-export the annotations' });
    const images: CocoImage[] = [];
    const categories: CocoCategory[] = [];
    const annotationPlaces = new Map<number, number[]>();
    const imageProblems = new Map<number, CocoProblem>();
    const fileProblems: CocoProblem[] = [];
    const counts = { annotations: 0, crowd: 0, polygons: 0, compressedRle: 0, uncompressedRle: 0 };
    const badImageIds = new Set<number>();
    let seen = new Set<string>();
    const noteImage = (id: number, problem: CocoProblem): void => {
      if (!imageProblems.has(id)) imageProblems.set(id, problem);
    };
    try {
      seen = await streamJsonObject(handle, stats.size, {
        arrays: new Set(['images', 'annotations', 'categories']),
        maxValueBytes: MAX_ENTRY_BYTES,
        onValue(key, value) {
          if (key === 'images' || key === 'annotations' || key === 'categories') throw new CocoFieldError(key, `expected a list, found ${shown(value)}`);
        },
        onElement(key, index, value, offset, length) {
          if (key === 'categories') categories.push(readCategory(value, index));
          else if (key === 'images') {
            try {
              images.push(readImage(value, index));
            } catch (error) {
              if (!(error instanceof CocoFieldError)) throw error;
              fileProblems.push({ problem: error.message, fix: FIX_ENTRY });
              const id = (value as { id?: unknown } | null)?.id;
              if (typeof id === 'number') badImageIds.add(id);
            }
          } else {
            counts.annotations++;
            let imageId: number;
            try {
              imageId = annotationImageId(value, index);
            } catch (error) {
              if (!(error instanceof CocoFieldError)) throw error;
              fileProblems.push({ problem: `${error.message} (the annotation belongs to no image and is left out)`, fix: FIX_ENTRY });
              return;
            }
            let annotation: CocoAnnotation;
            try {
              annotation = readAnnotation(value, index);
            } catch (error) {
              if (!(error instanceof CocoFieldError)) throw error;
              noteImage(imageId, { problem: error.message, fix: FIX_ENTRY });
              return;
            }
            if (annotation.crowd) counts.crowd++;
            if (annotation.segmentation.kind === 'polygons') counts.polygons++;
            else if (annotation.segmentation.kind === 'compressed') counts.compressedRle++;
            else counts.uncompressedRle++;
            let places = annotationPlaces.get(imageId);
            if (!places) annotationPlaces.set(imageId, (places = []));
            places.push(offset, length, index, annotation.categoryId);
          }
        },
      });
    } catch (error) {
      if (error instanceof JsonStreamError) {
        throw new UserError(`${path}: ${error.message} (byte ${error.offset}, line ${await lineOf(handle, error.offset)})`, { fix: 'repair the JSON, or re-export the annotations' });
      }
      if (error instanceof CocoFieldError) throw new UserError(`${path}: ${error.message}`, { fix: FIX_ENTRY });
      throw error;
    }
    for (const key of ['images', 'annotations', 'categories']) {
      if (!seen.has(key)) {
        throw new UserError(`${path}: the file has no "${key}" entries, so it is not a COCO instances file with labelled objects`, {
          fix: key === 'annotations' ? 'point segloss at annotations/instances_<split>.json (image_info_*.json files list images without labels)' : `add the "${key}" list, or re-export the annotations`,
        });
      }
    }
    const { classOf, sorted } = classIds(path, categories);
    const imagesById = indexImages(images, imageProblems, fileProblems);
    for (const id of badImageIds) imagesById.delete(id);
    checkReferences(annotationPlaces, imagesById, badImageIds, classOf, imageProblems, fileProblems);
    return {
      path,
      identity: identityOf(stats),
      images: images.filter((image) => imagesById.get(image.id) === image),
      imagesById,
      categories: sorted,
      classOf,
      annotationPlaces,
      imageProblems,
      fileProblems,
      counts,
      bytes: stats.size,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await handle.close();
  }
}

/** Category id -> class id 1..K in ascending id order (detectron2's convention); 0 is background. */
function classIds(path: string, categories: CocoCategory[]): { classOf: Map<number, number>; sorted: CocoCategory[] } {
  if (categories.length === 0) throw new UserError(`${path}: "categories" is empty, so no annotation has a class`, { fix: 'list the categories ({"id": 1, "name": "person"}, ...)' });
  const sorted = [...categories].sort((a, b) => a.id - b.id);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].id === sorted[i - 1].id) {
      throw new UserError(`${path}: two categories have the id ${sorted[i].id} ("${sorted[i - 1].name}" and "${sorted[i].name}")`, { fix: 'give every category its own id' });
    }
  }
  return { classOf: new Map(sorted.map((c, i) => [c.id, i + 1])), sorted };
}

/** Images by id; two entries with one id are both left out (their annotations are ambiguous). */
function indexImages(images: CocoImage[], imageProblems: Map<number, CocoProblem>, fileProblems: CocoProblem[]): Map<number, CocoImage> {
  const byId = new Map<number, CocoImage>();
  const duplicated = new Set<number>();
  for (const image of images) {
    const first = byId.get(image.id);
    if (first) {
      duplicated.add(image.id);
      fileProblems.push({ problem: `images[${image.index}].id ${image.id} is also the id of images[${first.index}] (${shown(first.fileName)}): their annotations cannot be told apart`, fix: 'give every image its own id' });
    } else byId.set(image.id, image);
  }
  for (const id of duplicated) {
    imageProblems.set(id, { problem: `another image has the same id ${id}: its annotations cannot be told apart`, fix: 'give every image its own id' });
  }
  return byId;
}

/** Annotations of unknown images (listed once), and of unknown categories (their image is left out). */
function checkReferences(
  places: Map<number, number[]>,
  imagesById: Map<number, CocoImage>,
  badImageIds: Set<number>,
  classOf: Map<number, number>,
  imageProblems: Map<number, CocoProblem>,
  fileProblems: CocoProblem[],
): void {
  const orphans: string[] = [];
  let orphanCount = 0;
  for (const [imageId, list] of places) {
    if (!imagesById.has(imageId)) {
      if (badImageIds.has(imageId)) continue;
      orphanCount += list.length / 4;
      if (orphans.length < 3) orphans.push(`annotations[${list[2]}].image_id ${imageId}`);
      continue;
    }
    for (let i = 0; i < list.length; i += 4) {
      if (!classOf.has(list[i + 3]) && !imageProblems.has(imageId)) {
        imageProblems.set(imageId, { problem: `annotations[${list[i + 2]}].category_id ${list[i + 3]} is not in "categories"`, fix: 'add the category, or fix the annotation' });
      }
    }
  }
  if (orphanCount > 0) {
    const more = orphanCount > orphans.length ? ` and ${orphanCount - orphans.length} more` : '';
    fileProblems.push({ problem: `${orphanCount} annotation${orphanCount > 1 ? 's refer' : ' refers'} to an image id not in "images" (${orphans.join(', ')}${more}); left out`, fix: 'add the images, or remove the annotations' });
  }
}

const cache = new Map<string, Promise<CocoFile>>();

/**
 * The file read once per process (the reader's scan serves the main thread's decoding too; a
 * worker thread scans only for a pair that does not carry its image); read again when its size,
 * mtime or inode changed.
 */
export async function loadCocoFile(path: string): Promise<CocoFile> {
  const cached = cache.get(path);
  if (cached) {
    const now = await stat(path).catch(() => null);
    const file = await cached.catch(() => null);
    if (file && now && identityOf(now) === file.identity) return file;
  }
  const loading = scanCocoFile(path);
  cache.set(path, loading);
  loading.catch(() => cache.delete(path));
  return loading;
}

/** Leaves the cache empty (tests, and a long-lived process that is done with a dataset). */
export function forgetCocoFiles(): void {
  cache.clear();
}

/**
 * One image's entry and where its annotations lie, carried by its pair (DatasetPair.source.image)
 * so a profiler worker thread reads the image's annotations without scanning the whole file.
 * Plain data: it crosses to worker threads with the pair.
 */
export interface CocoPairImage {
  /** The annotation file's identity when it was read: a changed file is read again. */
  identity: string;
  image: CocoImage;
  /** [offset, length, annotation index, category id] per annotation, as in CocoFile.annotationPlaces. */
  places: number[];
  /** Category id -> class id for the categories this image's annotations use. */
  classes: Array<[number, number]>;
  /** K, the number of categories (classes 1..K). */
  classCount: number;
}

/** The entry a pair carries for one image of the file (see CocoPairImage). */
export function pairImageOf(file: CocoFile, image: CocoImage): CocoPairImage {
  const places = file.annotationPlaces.get(image.id) ?? [];
  const used = new Set<number>();
  for (let i = 3; i < places.length; i += 4) used.add(places[i]);
  const classes = [...used].flatMap((id): Array<[number, number]> => (file.classOf.has(id) ? [[id, file.classOf.get(id)!]] : []));
  return { identity: file.identity, image, places, classes, classCount: file.categories.length };
}

/** True when this process holds the file's scan (tests: a pair that carries its image needs none). */
export function isCocoFileLoaded(path: string): boolean {
  return cache.has(path);
}

/**
 * The annotations at `places` in the file, read back and checked again, in file order. Throws
 * CocoFieldError when the file is no longer the one the places were taken from.
 */
export async function readAnnotationsAt(path: string, identity: string, places: number[]): Promise<CocoAnnotation[]> {
  if (places.length === 0) return [];
  const { handle, stats } = await openRegularFile(path, MAX_ANNOTATION_FILE_BYTES);
  try {
    if (identityOf(stats) !== identity) throw new CocoFieldError('annotations', 'the annotation file changed while the dataset was read');
    const out: CocoAnnotation[] = [];
    for (let i = 0; i < places.length; i += 4) {
      const [offset, length, index] = [places[i], places[i + 1], places[i + 2]];
      const bytes = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(bytes, 0, length, offset);
      let value: unknown;
      try {
        if (bytesRead !== length) throw new Error('short read');
        value = JSON.parse(bytes.toString('utf8'));
      } catch {
        throw new CocoFieldError(`annotations[${index}]`, 'the annotation file changed while the dataset was read');
      }
      out.push(readAnnotation(value, index));
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** The annotations of one image of a loaded file (see readAnnotationsAt). */
export function readImageAnnotations(file: CocoFile, imageId: number): Promise<CocoAnnotation[]> {
  return readAnnotationsAt(file.path, file.identity, file.annotationPlaces.get(imageId) ?? []);
}

/** The identity of the file now (to tell whether a pair's carried places still hold). */
export async function currentIdentity(path: string): Promise<string | null> {
  const now = await stat(path).catch(() => null);
  return now ? identityOf(now) : null;
}
