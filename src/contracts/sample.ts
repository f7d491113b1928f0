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
  /**
   * Share of those on edges rendered low-contrast (blurred, shadowed). Rule: each pair of
   * 4-neighbours of different classes lies on the edge between their two objects (the ground is one
   * object); the edge is low-contrast when the object on top was rendered so (the building on a
   * building-ground edge, the solar panel on a panel-roof edge). A boundary pixel is ambiguous when
   * at least one of its different-class 4-neighbours is across a low-contrast edge.
   */
  ambiguousBoundaryShare: number;
  /** Ambiguous boundary pixels (numerator of ambiguousBoundaryShare). */
  ambiguousBoundaryPixels?: number;
  /** Boundary and ambiguous boundary pixels per class id (the pixel's own class). */
  boundaryPixelsPerClass?: number[];
  ambiguousBoundaryPixelsPerClass?: number[];
  /** The ambiguity rule above, in words. */
  ambiguityRule?: string;
  /** The generator options, for the record. */
  options: Record<string, number | boolean | string>;
}
