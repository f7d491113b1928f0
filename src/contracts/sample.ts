/**
 * truth.json of a generated sample dataset (`segloss sample`): the exact values the profiler
 * must recover, known by construction.
 */
export interface SampleTruth {
  schemaVersion: 1;
  kind: 'SampleTruth';
  seed: number;
  images: number;
  width: number;
  height: number;
  classNames: string[];
  /** Pixel count and share per class id over all masks. */
  pixelCounts: number[];
  classShares: number[];
  /** Masks containing each class. */
  imagesWithClass: number[];
  /** 8-connected components per class over all masks. */
  objectCounts: number[];
  /** Areas in pixels of every object, per class. */
  objectAreas: number[][];
  /** Label-boundary pixels (4-neighbour of another class) over all masks. */
  boundaryPixels: number;
  /** Share of those on edges rendered low-contrast (blurred, shadowed). */
  ambiguousBoundaryShare: number;
  /** The generator options, for the record. */
  options: Record<string, number | boolean | string>;
}
