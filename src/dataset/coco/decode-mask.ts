/**
 * The labels of one COCO pair (DatasetPair.source.kind === 'coco'): the image's annotations read
 * back from the annotation file named by `maskPath` and rasterised as pycocotools does
 * (rasterise.ts). decode.ts calls this in place of decoding a mask image.
 *
 * A pair from the reader carries its image's entry and annotation places (CocoPairImage), so a
 * profiler worker thread reads only those annotations; without them (a pair built elsewhere, or
 * a file changed since it was indexed) the file is scanned once per process (annotation-file.ts).
 */
import { UserError } from '../../common/errors.js';
import { checkPixelLimit, DEFAULT_MAX_PIXELS } from '../limits.js';
import { PairProblem, type DatasetPair } from '../types.js';
import { currentIdentity, loadCocoFile, pairImageOf, readAnnotationsAt, type CocoPairImage } from './annotation-file.js';
import { CocoFieldError } from './entries.js';
import { RasteriseError, rasteriseImage, rasteriseProblem, shownImage } from './rasterise.js';

export interface CocoDecodeContext {
  ignoreIndex: number | null;
  maxPixels?: number;
}

export interface CocoMask {
  width: number;
  height: number;
  labels: Uint8Array | Uint16Array;
  maxLabel: number;
}

const FIX = 'fix the annotation in the annotation file (or remove it), or re-export the annotations';

/** The image's entry from the file itself (scanned once per process), with its known problem. */
async function entryFromFile(path: string, imageId: number): Promise<CocoPairImage> {
  let file;
  try {
    file = await loadCocoFile(path);
  } catch (error) {
    if (error instanceof UserError) throw new PairProblem(path, error.message.startsWith(path) ? error.message.slice(path.length + 2) : error.message, error.fix ?? FIX);
    throw error;
  }
  const image = file.imagesById.get(imageId);
  if (!image) throw new PairProblem(path, `image id ${imageId} is not in "images"`, 'index the dataset again (the annotation file changed)');
  const known = file.imageProblems.get(imageId);
  if (known) throw new PairProblem(path, `${shownImage(image)}: ${known.problem}`, known.fix);
  return pairImageOf(file, image);
}

export async function decodeCocoMask(pair: DatasetPair, context: CocoDecodeContext): Promise<CocoMask> {
  const path = pair.maskPath;
  if (pair.source?.kind !== 'coco') throw new Error(`${path}: not a COCO pair`);
  const carried = pair.source.image;
  const entry = carried && carried.identity === (await currentIdentity(path)) ? carried : await entryFromFile(path, pair.source.imageId);
  const { image, classCount } = entry;
  checkPixelLimit(path, 'mask', image.width, image.height, context.maxPixels ?? DEFAULT_MAX_PIXELS);
  const ignore = context.ignoreIndex;
  if (ignore !== null && ignore >= 1 && ignore <= classCount) {
    throw new PairProblem(path, `the ignore index ${ignore} is also a class id: the ${classCount} categories are classes 1..${classCount}`, `pass --ignore-index ${classCount < 255 ? 255 : 65535}`);
  }
  try {
    const annotations = await readAnnotationsAt(path, entry.identity, entry.places);
    const { labels, maxLabel } = rasteriseImage(image, annotations, new Map(entry.classes), ignore);
    return { width: image.width, height: image.height, labels, maxLabel };
  } catch (error) {
    if (error instanceof RasteriseError) throw rasteriseProblem(path, image, error);
    if (error instanceof CocoFieldError) throw new PairProblem(path, `${shownImage(image)}: ${error.message}`, FIX);
    throw error;
  }
}
