/**
 * The COCO reader: ROOT/annotations/instances_<split>.json and the images it lists, as pairs whose
 * labels are rasterised from the annotations at decode time (DatasetPair.source = {kind: 'coco'}).
 *
 * One pair per image entry, annotated or not: an image without annotations is all background,
 * which is real data (COCO train2017 has ~1,000 such images). The images folder is found by
 * trying the published conventions in order (images/<split>/, <split>/ as in COCO 2017's own
 * train2017/, images/, the root) against the first file names; with none found the profile is of
 * the annotations alone (no images needed to count classes), and verify says it needs images.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import type { SkippedItem } from '../../../contracts/profile.js';
import { UserError } from '../../../common/errors.js';
import { loadCocoFile, pairImageOf, type CocoFile } from '../../coco/annotation-file.js';
import { shownImage } from '../../coco/rasterise.js';
import type { DatasetPair } from '../../types.js';
import type { LocatedDataset, ReaderRequest } from '../readers.js';

/** Where annotation files and images are looked for, unless the format file's options say otherwise. */
export const COCO_DEFAULTS = { annotations: 'annotations', images: ['images/{split}', '{split}', 'images', '.'] };

const INSTANCES = /^instances_(.+)\.json$/;
const naturalOrder = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' }).compare;

interface CocoReaderOptions {
  annotations: string;
  images: string[];
}

function readerOptions(options: Record<string, unknown>): CocoReaderOptions {
  const annotations = options.annotations ?? COCO_DEFAULTS.annotations;
  const images = options.images ?? COCO_DEFAULTS.images;
  if (typeof annotations !== 'string' || annotations === '') throw new UserError('the coco format\'s option "annotations" must be a folder name', { fix: 'e.g. "annotations": "annotations"' });
  if (!Array.isArray(images) || images.length === 0 || !images.every((v) => typeof v === 'string' && v !== '')) {
    throw new UserError('the coco format\'s option "images" must be a list of folders ({split} stands for the split)', { fix: 'e.g. "images": ["images/{split}", "{split}"]' });
  }
  return { annotations, images: images as string[] };
}

/** The splits that have an instances file, naturally sorted. */
export async function cocoSplits(annotationsDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(annotationsDir);
  } catch {
    return [];
  }
  return names.flatMap((name) => INSTANCES.exec(name)?.[1] ?? []).sort(naturalOrder);
}

/**
 * The split to read: the one asked for (exactly, or the newest whose name starts with it: "train"
 * reads train2017 when train2014 is there too), else the newest train* split, else the only one.
 */
export function chooseSplit(splits: string[], asked: string | null, where: string): { split: string; note: string | null } {
  const list = splits.join(', ');
  if (asked !== null) {
    if (splits.includes(asked)) return { split: asked, note: null };
    const starting = splits.filter((s) => s.startsWith(asked));
    if (starting.length > 0) {
      const split = starting[starting.length - 1];
      return { split, note: starting.length > 1 ? `split "${asked}" read as ${split} (also: ${starting.slice(0, -1).join(', ')}; --split NAME chooses)` : null };
    }
    throw new UserError(`no split "${asked}" in ${where}: the annotation files there are for ${list}`, { fix: `pass --split with one of: ${list}` });
  }
  const training = splits.filter((s) => s.startsWith('train'));
  if (training.length > 0) {
    const split = training[training.length - 1];
    return { split, note: splits.length > 1 ? `split ${split} (the training split; also ${splits.filter((s) => s !== split).join(', ')}: --split NAME)` : null };
  }
  if (splits.length === 1) return { split: splits[0], note: null };
  throw new UserError(`${where} has annotation files for ${list} and none is a training split`, { fix: `pass --split with one of: ${list}` });
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}

/** The first images folder (in the given order) holding the most of the first 20 listed files. */
async function findImagesDir(root: string, candidates: string[], split: string, file: CocoFile): Promise<string | null> {
  const sample = file.images.slice(0, 20);
  let best: { dir: string; hits: number } | null = null;
  for (const candidate of candidates) {
    const dir = join(root, candidate.replaceAll('{split}', split));
    if (!(await isDirectory(dir))) continue;
    let hits = 0;
    for (const image of sample) if (await isFile(join(dir, image.fileName))) hits++;
    if (hits > 0 && (!best || hits > best.hits)) best = { dir, hits };
  }
  return best?.dir ?? null;
}

/** File names present in a folder, to check 100k images with one listing instead of 100k stats. */
async function presentFiles(dir: string): Promise<Set<string>> {
  try {
    return new Set(await readdir(dir));
  } catch {
    return new Set();
  }
}

/** Pair ids: the file name's stem, made unique with the image id where two stems collide. */
function pairIds(file: CocoFile): Map<number, string> {
  const stems = new Map<string, number>();
  const stemOf = (name: string): string => basename(name, extname(name));
  for (const image of file.images) stems.set(stemOf(image.fileName), (stems.get(stemOf(image.fileName)) ?? 0) + 1);
  return new Map(file.images.map((image) => [image.id, stems.get(stemOf(image.fileName))! > 1 ? `${stemOf(image.fileName)}_${image.id}` : stemOf(image.fileName)]));
}

/**
 * 'background', then the category names in class order; a name given twice (or "background")
 * gets its category id, so every class can be told apart in the profile: "car (category 9)".
 */
export function classNames(file: CocoFile): string[] {
  const names = file.categories.map((c) => c.name);
  const uses = new Map<string, number>([['background', 1]]);
  for (const name of names) uses.set(name, (uses.get(name) ?? 0) + 1);
  return ['background', ...file.categories.map((c) => ((uses.get(c.name) ?? 0) > 1 ? `${c.name} (category ${c.id})` : c.name))];
}

/** The COCO reader (READERS.coco); also called directly by tests. */
export async function readCocoDataset(request: ReaderRequest): Promise<LocatedDataset> {
  const options = readerOptions(request.options);
  const annotationsDir = join(request.root, options.annotations);
  const splits = await cocoSplits(annotationsDir);
  if (splits.length === 0) {
    throw new UserError(`no COCO instance annotations in ${annotationsDir} (looked for instances_<split>.json)`, {
      fix: 'put the annotation files in ROOT/annotations/ as COCO publishes them (instances_train2017.json, ...)',
    });
  }
  const { split, note: splitNote } = chooseSplit(splits, request.split, annotationsDir);
  const path = join(annotationsDir, `instances_${split}.json`);
  const file = await loadCocoFile(path);
  if (file.images.length === 0 && file.fileProblems.length === 0) {
    throw new UserError(`${path} lists no images, so there is nothing to profile`, { fix: 'point segloss at the annotations of a split with images (--split NAME), or add the images to the file' });
  }
  const imagesDir = await findImagesDir(request.root, options.images, split, file);
  const present = imagesDir ? await presentFiles(imagesDir) : new Set<string>();
  const ids = pairIds(file);
  const pairs: DatasetPair[] = [];
  const skipped: SkippedItem[] = file.fileProblems.map((p) => ({ file: path, problem: p.problem, fix: p.fix }));
  let unannotated = 0;
  for (const image of file.images) {
    const problem = file.imageProblems.get(image.id);
    if (problem) {
      skipped.push({ file: path, problem: `${shownImage(image)}: ${problem.problem}`, fix: problem.fix });
      continue;
    }
    let imagePath: string | null = null;
    if (imagesDir) {
      imagePath = join(imagesDir, image.fileName);
      const listed = image.fileName.includes('/') || image.fileName.includes('\\') ? await isFile(imagePath) : present.has(image.fileName);
      if (!listed) {
        skipped.push({ file: imagePath, problem: `listed in ${basename(path)} as images[${image.index}] (id ${image.id}) but not in ${imagesDir}`, fix: 'restore the image, or remove its entry from the annotation file' });
        continue;
      }
    }
    if (!file.annotationPlaces.has(image.id)) unannotated++;
    pairs.push({ id: ids.get(image.id)!, maskPath: path, imagePath, source: { kind: 'coco', imageId: image.id, image: pairImageOf(file, image) } });
  }
  pairs.sort((a, b) => naturalOrder(a.id, b.id));
  const k = file.categories.length;
  const where = imagesDir ? relative(request.root, imagesDir) || '.' : null;
  const notes = [
    `${basename(path)}: ${file.images.length} images${where ? ` in ${where}/` : ''}, ${file.counts.annotations} annotations (${file.counts.crowd} crowd), ` +
      `${k} categories -> classes 1..${k} in id order, 0 = background`,
    'overlaps: smaller instances drawn over larger; crowd regions (iscrowd) are the ignore index where no instance covers them',
  ];
  if (unannotated > 0) notes.push(`${unannotated} image${unannotated > 1 ? 's have' : ' has'} no annotations: read as all background`);
  if (!imagesDir) notes.push(`no image files found (looked in ${options.images.map((c) => c.replaceAll('{split}', split)).join(', ')} under the root): labels only`);
  if (splitNote) notes.push(splitNote);
  return {
    pairs,
    skipped,
    classNames: classNames(file),
    hasImages: imagesDir !== null,
    imagesDir,
    masksDir: path,
    labels: { background: 0 },
    notes,
  };
}
