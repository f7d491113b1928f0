/**
 * Per-mask statistics: small, mergeable, JSON-able. Pure apart from opencv-wasm's scratch memory.
 */
import { AreaAccumulator, type AreaSketch } from './area-sketch.js';
import { DEFAULT_BOUNDARY_OPTIONS, measureBoundary, toGrey, type BoundaryOptions, type ClassBoundaryCounts } from './boundary.js';
import { countAndBound, labelComponents, type LabelArray } from './components.js';

/** What measureMask needs from a decoded pair (dataset's DecodedPair fits). */
export interface MaskInput {
  id: string;
  width: number;
  height: number;
  labels: LabelArray;
  image: { channels: 1 | 3; data: Uint8Array } | null;
}

export interface MeasureOptions {
  /** Label value excluded from every count (default 255); null = none. */
  ignoreIndex: number | null;
  /** Number of classes when known; arrays are at least this long. */
  numClasses: number | null;
  /** Boundary-ambiguity parameters (see boundary.ts). */
  boundary?: BoundaryOptions;
}

export interface MaskStats {
  id: string;
  width: number;
  height: number;
  validPixels: number;
  ignoredPixels: number;
  /** Valid pixel count per class id. */
  pixelCounts: number[];
  /** Object areas per class id (8-connected components). */
  objects: AreaSketch[];
  /** Null when the pair has no image. */
  boundary: { noiseSigma: number; perClass: ClassBoundaryCounts[] } | null;
}

export function measureMask(pair: MaskInput, options: MeasureOptions): MaskStats {
  const { width, height, labels } = pair;
  const pixels = width * height;
  if (labels.length !== pixels) throw new Error(`${pair.id}: ${labels.length} labels for a ${width}x${height} mask`);
  const labelValues = labels instanceof Uint8Array ? 256 : 65536;
  const boxes = countAndBound(labels, width, height, labelValues);
  const ignore = options.ignoreIndex;

  let classCount = options.numClasses ?? 0;
  for (let v = 0; v < labelValues; v++) if (boxes.counts[v] > 0 && v !== ignore && v + 1 > classCount) classCount = v + 1;

  const isValid = new Uint8Array(labelValues);
  for (let v = 0; v < classCount; v++) if (v !== ignore) isValid[v] = 1;
  const pixelCounts = new Array<number>(classCount).fill(0);
  let validPixels = 0;
  const present: number[] = [];
  for (let v = 0; v < classCount; v++) {
    if (!isValid[v]) continue;
    pixelCounts[v] = boxes.counts[v];
    validPixels += boxes.counts[v];
    if (boxes.counts[v] > 0) present.push(v);
  }

  const objectIds = pair.image ? new Int32Array(pixels) : null;
  const components = labelComponents(labels, width, boxes, present, objectIds);
  const objects = Array.from({ length: classCount }, () => new AreaAccumulator());
  let objectCount = 0;
  for (const { classId, areas } of components) {
    for (const area of areas) objects[classId].add(area);
    objectCount += areas.length;
  }

  let boundary: MaskStats['boundary'] = null;
  if (pair.image && objectIds) {
    const grey = toGrey(pair.image, pixels);
    boundary = measureBoundary(labels, width, height, grey, objectIds, objectCount, isValid, classCount, options.boundary ?? DEFAULT_BOUNDARY_OPTIONS);
  }

  return {
    id: pair.id,
    width,
    height,
    validPixels,
    ignoredPixels: pixels - validPixels,
    pixelCounts,
    objects: objects.map((a) => a.toSketch()),
    boundary,
  };
}
