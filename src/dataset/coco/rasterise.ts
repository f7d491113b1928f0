/**
 * One COCO image's annotations to a label map: each annotation to a mask as pycocotools' annToRLE
 * does (polygons through rleFrPoly and merged; RLE decoded as given), then painted in this order:
 *
 * 1. crowd regions (iscrowd 1) as the ignore index: a crowd ("a group of people") marks pixels
 *    of the class that were never outlined one by one, so neither "person" nor "background" is
 *    right there, which is what the ignore index means;
 * 2. every other instance over them, largest first, so smaller instances are drawn over larger
 *    ones (ties: later in the file over earlier). An instance outline is a fact about that
 *    object; a crowd box drawn around people who were also outlined must not erase them.
 *
 * Why smaller over larger: in COCO the overlaps are mostly a small object in front of a large one
 * (a cup on a dining table, a person on a couch) whose outline was drawn through the occluder.
 * File order would make the label depend on annotation order; torchvision's reference loader sets
 * overlaps to ignore (and drops crowds), which loses exactly the small objects a loss recipe is
 * chosen for. With --ignore-index none there is no ignore value: crowd pixels take their category.
 */
import { PairProblem } from '../types.js';
import type { CocoAnnotation, CocoImage } from './entries.js';
import { polygonToRle, polygonWalkLength } from './polygon.js';
import { decodeCountsString, forEachObjectRun, rleArea, RleError, rleFromCountsList, unionRle, type Rle } from './rle.js';

/**
 * The fine-grid steps pycocotools' polygon walk may take per image: 8 per pixel plus 10 million
 * (a 640x480 image: 12.5 million, about 50 ms; COCO's own images need well under 1 million).
 * A genuine outline is a few times the image's perimeter; a vertex far outside the image (a
 * corrupt coordinate such as 1e9) would make the walk, and the time, unbounded.
 */
export function walkBudget(image: CocoImage): number {
  return 8 * image.width * image.height + 10_000_000;
}

export interface Rasterised {
  labels: Uint8Array | Uint16Array;
  /** Largest label other than the ignore index; -1 when every pixel is ignored. */
  maxLabel: number;
  /** Pixels of each annotation's own mask (pycocotools' area), by annotation index, for checks. */
  areas: Map<number, number>;
}

/** Thrown as the pair's problem by the caller: the JSON path and what is wrong. */
export class RasteriseError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/** The mask of one annotation (pycocotools' annToRLE), checked against the image's size. */
export function annotationMask(annotation: CocoAnnotation, image: CocoImage, budget: { left: number }): Rle {
  const { height, width } = image;
  const at = `annotations[${annotation.index}].segmentation`;
  const segmentation = annotation.segmentation;
  if (segmentation.kind === 'polygons') {
    const parts = segmentation.polygons.map((polygon, p) => {
      const steps = polygonWalkLength(polygon);
      budget.left -= steps;
      if (budget.left < 0) {
        throw new RasteriseError(
          `${at}[${p}]`,
          `the polygons of this image trace more than ${walkBudget(image)} steps on pycocotools' 5x grid (this one ${steps}) for a ${width}x${height} image: a coordinate far outside the image?`,
        );
      }
      return polygonToRle(polygon, height, width);
    });
    return unionRle(parts, height, width);
  }
  if (segmentation.height !== height || segmentation.width !== width) {
    throw new RasteriseError(`${at}.size`, `the RLE is ${segmentation.height}x${segmentation.width} (height x width) but its image is ${height}x${width} (images[${image.index}])`);
  }
  try {
    return segmentation.kind === 'compressed' ? decodeCountsString(segmentation.counts, height, width) : rleFromCountsList(segmentation.counts, height, width);
  } catch (error) {
    if (error instanceof RleError) throw new RasteriseError(`${at}.counts`, error.message);
    throw error;
  }
}

/**
 * The label map of one image (row-major): 0 background, classOf(category) for instances, the
 * ignore index for crowd regions (see the module comment for the order).
 */
export function rasteriseImage(image: CocoImage, annotations: CocoAnnotation[], classOf: Map<number, number>, ignoreIndex: number | null): Rasterised {
  const budget = { left: walkBudget(image) };
  const masks = annotations.map((annotation) => {
    const rle = annotationMask(annotation, image, budget);
    const cls = classOf.get(annotation.categoryId);
    if (cls === undefined) throw new RasteriseError(`annotations[${annotation.index}].category_id`, `${annotation.categoryId} is not in "categories"`);
    return { annotation, rle, cls, area: rleArea(rle) };
  });
  const ignored = ignoreIndex ?? -1;
  const largest = Math.max(classOf.size, ignored);
  const pixels = image.width * image.height;
  const labels = largest > 255 ? new Uint16Array(pixels) : new Uint8Array(pixels);
  const order = [...masks.filter((m) => m.annotation.crowd), ...masks.filter((m) => !m.annotation.crowd).sort((a, b) => b.area - a.area || a.annotation.index - b.annotation.index)];
  const width = image.width;
  for (const m of order) {
    const value = m.annotation.crowd && ignoreIndex !== null ? ignoreIndex : m.cls;
    forEachObjectRun(m.rle, (x, y0, y1) => {
      for (let y = y0; y < y1; y++) labels[y * width + x] = value;
    });
  }
  let maxLabel = -1;
  for (let i = 0; i < pixels; i++) {
    const v = labels[i];
    if (v > maxLabel && v !== ignored) maxLabel = v;
  }
  return { labels, maxLabel, areas: new Map(masks.map((m) => [m.annotation.index, m.area])) };
}

/** PairProblem for a rasterising problem of one image. */
export function rasteriseProblem(file: string, image: CocoImage, error: RasteriseError): PairProblem {
  return new PairProblem(file, `${shownImage(image)}: ${error.message}`, 'fix the annotation in the annotation file (or remove it), or re-export the annotations');
}

export function shownImage(image: CocoImage): string {
  return `image ${image.id} (${image.fileName}, images[${image.index}])`;
}
