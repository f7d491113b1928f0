/**
 * A bounded, mergeable summary of object areas (pixels) for one class.
 *
 * Areas up to EXACT_LIMIT px are counted exactly, one bin per area; larger areas go into
 * log-spaced bins growing by BIN_GROWTH (1%), so a percentile read from the sketch is exact for
 * small objects and within 0.5% for large ones. The number of bins is fixed (about 2,000 for areas
 * up to 2^32 px), so memory does not grow with the dataset. Counts, min, max and the article's
 * bins (<100, 100-1k, 1k-10k, >=10k) are kept exactly.
 */
import { OBJECT_AREA_BIN_EDGES } from '../contracts/profile.js';

const EXACT_LIMIT = 256;
const BIN_GROWTH = 1.01;
const LOG_GROWTH = Math.log(BIN_GROWTH);

/** Sparse, JSON-able form sent from workers: `[binIndex, count]` pairs plus the exact extras. */
export interface AreaSketch {
  count: number;
  min: number | null;
  max: number | null;
  /** Counts per article bin: <100, 100-1k, 1k-10k, >=10k px. */
  articleBins: [number, number, number, number];
  /** Sparse fine-bin counts, `[binIndex, count]`, sorted by bin index. */
  bins: [number, number][];
}

export function binOf(area: number): number {
  if (area <= EXACT_LIMIT) return area;
  return EXACT_LIMIT + Math.floor(Math.log(area / EXACT_LIMIT) / LOG_GROWTH) + 1;
}

/** The value a bin stands for: the area itself below EXACT_LIMIT, else the bin's geometric centre. */
export function binValue(bin: number): number {
  if (bin <= EXACT_LIMIT) return bin;
  const k = bin - EXACT_LIMIT - 1;
  const low = EXACT_LIMIT * BIN_GROWTH ** k;
  return low * Math.sqrt(BIN_GROWTH);
}

export function articleBinOf(area: number): 0 | 1 | 2 | 3 {
  if (area < OBJECT_AREA_BIN_EDGES[0]) return 0;
  if (area < OBJECT_AREA_BIN_EDGES[1]) return 1;
  if (area < OBJECT_AREA_BIN_EDGES[2]) return 2;
  return 3;
}

/** Accumulates areas; dense internally (a Map of bins), exported sparse. */
export class AreaAccumulator {
  count = 0;
  min = Infinity;
  max = -Infinity;
  readonly articleBins: [number, number, number, number] = [0, 0, 0, 0];
  private readonly bins = new Map<number, number>();

  add(area: number, times = 1): void {
    this.count += times;
    if (area < this.min) this.min = area;
    if (area > this.max) this.max = area;
    this.articleBins[articleBinOf(area)] += times;
    const bin = binOf(area);
    this.bins.set(bin, (this.bins.get(bin) ?? 0) + times);
  }

  merge(sketch: AreaSketch): void {
    if (sketch.count === 0) return;
    this.count += sketch.count;
    if (sketch.min !== null && sketch.min < this.min) this.min = sketch.min;
    if (sketch.max !== null && sketch.max > this.max) this.max = sketch.max;
    for (let i = 0; i < 4; i++) this.articleBins[i] += sketch.articleBins[i];
    for (const [bin, n] of sketch.bins) this.bins.set(bin, (this.bins.get(bin) ?? 0) + n);
  }

  toSketch(): AreaSketch {
    return {
      count: this.count,
      min: this.count ? this.min : null,
      max: this.count ? this.max : null,
      articleBins: [...this.articleBins],
      bins: [...this.bins.entries()].sort((a, b) => a[0] - b[0]),
    };
  }

  /**
   * Nearest-rank percentile (the smallest area with at least q of all objects at or below it),
   * clamped to the exact min and max. Null when there are no objects.
   */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    const sorted = [...this.bins.entries()].sort((a, b) => a[0] - b[0]);
    let seen = 0;
    for (const [bin, n] of sorted) {
      seen += n;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, binValue(bin)));
    }
    return this.max;
  }
}

export function emptySketch(): AreaSketch {
  return { count: 0, min: null, max: null, articleBins: [0, 0, 0, 0], bins: [] };
}
