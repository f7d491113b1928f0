/**
 * The labels of one COCO pair (DatasetPair.source.kind === 'coco'): the annotation file named by
 * `maskPath`, read once per process (annotation-file.ts), and the image's annotations rasterised
 * as pycocotools does (rasterise.ts). decode.ts calls this in place of decoding a mask image.
 */
import { UserError } from '../../common/errors.js';
import { checkPixelLimit, DEFAULT_MAX_PIXELS } from '../limits.js';
import { PairProblem, type DatasetPair } from '../types.js';
import { loadCocoFile, readImageAnnotations } from './annotation-file.js';
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

export async function decodeCocoMask(pair: DatasetPair, context: CocoDecodeContext): Promise<CocoMask> {
  const path = pair.maskPath;
  if (pair.source?.kind !== 'coco') throw new Error(`${path}: not a COCO pair`);
  const imageId = pair.source.imageId;
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
  checkPixelLimit(path, 'mask', image.width, image.height, context.maxPixels ?? DEFAULT_MAX_PIXELS);
  const ignore = context.ignoreIndex;
  if (ignore !== null && ignore >= 1 && ignore <= file.categories.length) {
    throw new PairProblem(path, `the ignore index ${ignore} is also a class id: the ${file.categories.length} categories are classes 1..${file.categories.length}`, `pass --ignore-index ${file.categories.length < 255 ? 255 : 65535}`);
  }
  try {
    const annotations = await readImageAnnotations(file, imageId);
    const { labels, maxLabel } = rasteriseImage(image, annotations, file.classOf, ignore);
    return { width: image.width, height: image.height, labels, maxLabel };
  } catch (error) {
    if (error instanceof RasteriseError) throw rasteriseProblem(path, image, error);
    if (error instanceof CocoFieldError) throw new PairProblem(path, `${shownImage(image)}: ${error.message}`, FIX);
    throw error;
  }
}
