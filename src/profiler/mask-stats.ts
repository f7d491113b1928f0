/**
 * Per-mask statistics: small, mergeable, JSON-able. Pure apart from opencv-wasm's scratch memory.
 */
import { AreaAccumulator, type AreaSketch } from './area-sketch.js';
import { DEFAULT_BOUNDARY_OPTIONS, measureBoundary, measurementPlanes, type BoundaryOptions, type ClassBoundaryCounts } from './boundary.js';
import type { LabelArray } from './components.js';
import { labelRuns } from './runs.js';
import type { VolumeStats } from './measure-volume.js';

/** What measureMask needs from a decoded pair (dataset's DecodedPair fits). */
export interface MaskInput {
  id: string;
  width: number;
  height: number;
  labels: LabelArray;
  image: { channels: number; data: Uint8Array; rgb?: boolean } | null;
}

export interface MeasureOptions {
  /** Label value excluded from every count (default 255); null = none. */
  ignoreIndex: number | null;
  /** Number of classes when known; arrays are at least this long. */
  numClasses: number | null;
  /** The background class (no objects counted for it); null = every class is foreground. Default 0. */
  background?: number | null;
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
  /** Object areas per class id (8-connected components); empty for class 0, the background. */
  objects: AreaSketch[];
  /** The image's band count as measured (after --bands); absent when the pair has no image. */
  imageBands?: number;
  /** Null when the pair has no image. */
  boundary: { noiseSigma: number; perClass: ClassBoundaryCounts[] } | null;
  /** 3D facts, for a volume (then the fields above are summed over its slices). */
  volume?: VolumeStats;
}

export function measureMask(pair: MaskInput, options: MeasureOptions): MaskStats {
  const { width, height, labels } = pair;
  const pixels = width * height;
  if (labels.length !== pixels) throw new Error(`${pair.id}: ${labels.length} labels for a ${width}x${height} mask`);
  const labelValues = labels instanceof Uint8Array ? 256 : 65536;
  const ignore = options.ignoreIndex;
  const isValid = new Uint8Array(labelValues).fill(1);
  if (ignore !== null && ignore < labelValues) isValid[ignore] = 0;

  const objectIds = pair.image ? new Int32Array(pixels) : null;
  const runs = labelRuns(labels, width, height, isValid, objectIds);

  let classCount = options.numClasses ?? 0;
  for (let v = classCount; v < labelValues; v++) if (runs.counts[v] > 0 && isValid[v]) classCount = v + 1;
  const pixelCounts = new Array<number>(classCount).fill(0);
  let validPixels = 0;
  for (let v = 0; v < classCount; v++) {
    if (!isValid[v]) continue;
    pixelCounts[v] = runs.counts[v];
    validPixels += runs.counts[v];
  }

  const objects = Array.from({ length: classCount }, () => new AreaAccumulator());
  // Objects are foreground things (buildings, panels, ...): class 0, the background, is labelled
  // (its regions are needed for boundary edges) but not counted as objects.
  for (let o = 1; o <= runs.objectCount; o++) if (runs.objectClass[o] !== 0) objects[runs.objectClass[o]].add(runs.objectArea[o]);

  let boundary: MaskStats['boundary'] = null;
  if (pair.image && objectIds) {
    const planes = measurementPlanes(pair.image, pixels);
    boundary = measureBoundary(labels, width, height, planes, objectIds, runs.objectCount, isValid, classCount, options.boundary ?? DEFAULT_BOUNDARY_OPTIONS);
  }

  return {
    id: pair.id,
    width,
    height,
    validPixels,
    ignoredPixels: pixels - validPixels,
    pixelCounts,
    objects: objects.map((a) => a.toSketch()),
    ...(pair.image ? { imageBands: pair.image.channels } : {}),
    boundary,
  };
}
