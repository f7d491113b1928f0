import { createRng } from './random.js';

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n - 1); 0 for fewer than two values. */
export function std(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}

/**
 * Training stability: coefficient of variation (population std / mean) of the per-step training
 * loss over the last third of the steps. Scale-free, so losses of different magnitude compare;
 * lower is steadier. Null with fewer than 3 steps in that window or a non-positive mean.
 */
export function lossStability(losses: readonly number[]): number | null {
  const tail = losses.slice(losses.length - Math.floor(losses.length / 3));
  if (tail.length < 3) return null;
  const m = mean(tail);
  if (!(m > 0)) return null;
  const variance = tail.reduce((s, v) => s + (v - m) ** 2, 0) / tail.length;
  return Math.sqrt(variance) / m;
}

/** Downsamples a curve to at most `maxPoints` by averaging equal-width buckets. */
export function downsample(values: readonly number[], maxPoints = 200): number[] {
  if (values.length <= maxPoints) return values.slice();
  const out: number[] = [];
  for (let i = 0; i < maxPoints; i++) {
    const start = Math.floor((i * values.length) / maxPoints);
    const end = Math.floor(((i + 1) * values.length) / maxPoints);
    out.push(mean(values.slice(start, end)));
  }
  return out;
}

/** Linear-interpolated quantile (numpy's default "linear" method) of sorted values. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export const BOOTSTRAP_RESAMPLES = 1000;
/** Fewer val images than this and no CI is given (and the verdict is inconclusive). */
export const MIN_IMAGES_FOR_CI = 5;

/**
 * Percentile bootstrap 95% CI of a statistic over items (val images): `resamples` times, draw
 * n indices with replacement (seeded) and evaluate `statistic(indices)`; NaN results (statistic
 * undefined on that resample) are dropped. Returns [2.5th, 97.5th] percentile, or null when fewer
 * than MIN_IMAGES_FOR_CI items or no resample gave a number.
 */
export function bootstrapCI(
  itemCount: number,
  statistic: (indices: Int32Array) => number,
  options: { seed: number; resamples?: number },
): [number, number] | null {
  if (itemCount < MIN_IMAGES_FOR_CI) return null;
  const rng = createRng(options.seed);
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const values: number[] = [];
  const indices = new Int32Array(itemCount);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < itemCount; i++) indices[i] = rng.int(itemCount);
    const v = statistic(indices);
    if (Number.isFinite(v)) values.push(v);
  }
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  return [quantileSorted(values, 0.025), quantileSorted(values, 0.975)];
}

/**
 * Holm's step-down (Holm 1979) at family-wise level `alpha`: the j-th smallest p-value (0-based)
 * of the m tests is rejected at alpha / (m - j), stopping at the first that fails. Returns each
 * rejected test's id with the level it was rejected at. The verdict (alternatives vs the
 * recommended recipe) and racing (all pairs of candidates) both use it.
 */
export function holmStepDown(tests: ReadonlyArray<{ id: string; p: number }>, alpha: number): Map<string, number> {
  const sorted = tests.slice().sort((a, b) => a.p - b.p);
  const rejected = new Map<string, number>();
  for (let j = 0; j < sorted.length; j++) {
    const level = alpha / (sorted.length - j);
    if (!(sorted[j].p <= level)) break;
    rejected.set(sorted[j].id, level);
  }
  return rejected;
}
