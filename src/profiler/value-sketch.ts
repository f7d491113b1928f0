/**
 * A bounded, mergeable summary of positive real values (object volumes in mm³), for percentiles.
 *
 * Why not AreaAccumulator: its exact bins are whole pixel counts; volumes in mm³ are fractional and
 * span from 0.001 mm³ voxels to litres. Here every value falls in a log-spaced bin growing by 1%,
 * so a percentile is within 0.5% of the true value; min and max are exact; bins are sparse and
 * bounded (about 230 per decade in use), so memory does not grow with the number of objects.
 * While there are at most EXACT_VALUES distinct values (a dataset of few spacings and small or few
 * objects), they are also kept exactly and percentiles are exact.
 */
const EXACT_VALUES = 4096;
const LOG_GROWTH = Math.log(1.01);

export interface ValueSketch {
  count: number;
  min: number | null;
  max: number | null;
  /** Sparse `[binIndex, count]`, sorted by bin index. */
  bins: [number, number][];
  /** `[value, count]` sorted by value, while there are at most EXACT_VALUES distinct values; else null. */
  exact: [number, number][] | null;
}

export class ValueAccumulator {
  count = 0;
  min = Infinity;
  max = -Infinity;
  private readonly bins = new Map<number, number>();
  private exact: Map<number, number> | null = new Map();

  private addExact(value: number, times: number): void {
    if (!this.exact) return;
    if (!this.exact.has(value) && this.exact.size >= EXACT_VALUES) this.exact = null;
    else this.exact.set(value, (this.exact.get(value) ?? 0) + times);
  }

  add(value: number, times = 1): void {
    if (!(value > 0)) return;
    this.addExact(value, times);
    this.count += times;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    const bin = Math.floor(Math.log(value) / LOG_GROWTH);
    this.bins.set(bin, (this.bins.get(bin) ?? 0) + times);
  }

  merge(sketch: ValueSketch): void {
    if (sketch.count === 0) return;
    if (sketch.exact) for (const [value, n] of sketch.exact) this.addExact(value, n);
    else this.exact = null;
    this.count += sketch.count;
    if (sketch.min !== null && sketch.min < this.min) this.min = sketch.min;
    if (sketch.max !== null && sketch.max > this.max) this.max = sketch.max;
    for (const [bin, n] of sketch.bins) this.bins.set(bin, (this.bins.get(bin) ?? 0) + n);
  }

  toSketch(): ValueSketch {
    return { count: this.count, min: this.count ? this.min : null, max: this.count ? this.max : null, bins: [...this.bins.entries()].sort((a, b) => a[0] - b[0]), exact: this.exact ? [...this.exact.entries()].sort((a, b) => a[0] - b[0]) : null };
  }

  /** Nearest-rank percentile: the bin's geometric centre, clamped to the exact min and max. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    if (this.exact) {
      for (const [value, n] of [...this.exact.entries()].sort((a, b) => a[0] - b[0])) {
        seen += n;
        if (seen >= rank) return value;
      }
      return this.max;
    }
    for (const [bin, n] of [...this.bins.entries()].sort((a, b) => a[0] - b[0])) {
      seen += n;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, Math.exp((bin + 0.5) * LOG_GROWTH)));
    }
    return this.max;
  }
}
