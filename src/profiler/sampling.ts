/**
 * Seeded subsets and 95% confidence intervals for shares estimated from a sample of images.
 *
 * Pixel shares are ratio estimators under cluster sampling (each image is a cluster of pixels):
 * R = sum(y_i) / sum(x_i), with the linearisation (Taylor) variance
 *   V(R) = (1 - n/N) / (n * xbar^2) * sum((y_i - R x_i)^2) / (n - 1)
 * including the finite-population correction; CI = R +- t sqrt(V), clipped to [0, 1], with t the
 * 97.5% Student-t quantile on n - 1 degrees of freedom (1.96 for large n; wider for small samples,
 * where the normal quantile under-covers).
 * Image shares (a proportion of images) use the Wilson score interval with the finite-population
 * correction applied to n (n_eff = n / (1 - n/N)).
 * The running sums below keep memory flat however many images are sampled.
 */
import { mulberry32 } from '../common/random.js';
import type { Interval } from '../contracts/profile.js';

const Z95 = 1.959963984540054;

/** 97.5% quantile of Student's t with `df` degrees of freedom (Cornish-Fisher series; < 0.5% off for df >= 3). */
export function tQuantile975(df: number): number {
  const exact = [Infinity, 12.706, 4.303, 3.182, 2.776, 2.571];
  if (df < exact.length) return exact[Math.max(1, df)];
  const z = Z95;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}

/** Same seed, same subset on every machine. */
export const seededRandom = mulberry32;

/** `size` distinct indices of 0..population-1, without replacement, in ascending order. */
export function sampleIndices(population: number, size: number, seed: number): number[] {
  const take = Math.min(size, population);
  const random = seededRandom(seed);
  // Partial Fisher-Yates on a sparse permutation: O(take) memory even for a huge population.
  const swapped = new Map<number, number>();
  const chosen: number[] = [];
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(random() * (population - i));
    const atJ = swapped.get(j) ?? j;
    const atI = swapped.get(i) ?? i;
    chosen.push(atJ);
    swapped.set(j, atI);
  }
  return chosen.sort((a, b) => a - b);
}

/** Running sums of (y_i, x_i) over images for one ratio R = sum(y) / sum(x). */
export class RatioSums {
  n = 0;
  sumY = 0;
  sumX = 0;
  sumYY = 0;
  sumXX = 0;
  sumXY = 0;

  add(y: number, x: number): void {
    this.n++;
    this.sumY += y;
    this.sumX += x;
    this.sumYY += y * y;
    this.sumXX += x * x;
    this.sumXY += x * y;
  }

  get ratio(): number {
    return this.sumX > 0 ? this.sumY / this.sumX : 0;
  }

  interval(population: number): Interval | null {
    return ratioInterval(this, population);
  }
}

/** 95% CI of sumY / sumX by linearisation with the finite-population correction; null below 2 images. */
export function ratioInterval(
  s: { n: number; sumY: number; sumX: number; sumYY: number; sumXX: number; sumXY: number },
  population: number,
): Interval | null {
  const n = s.n;
  if (n < 2 || s.sumX <= 0) return null;
  const r = s.sumY / s.sumX;
  const residual = Math.max(0, s.sumYY - 2 * r * s.sumXY + r * r * s.sumXX) / (n - 1);
  const xbar = s.sumX / n;
  const fpc = Math.max(0, 1 - n / population);
  const half = tQuantile975(n - 1) * Math.sqrt((fpc * residual) / (n * xbar * xbar));
  return [clamp01(r - half), clamp01(r + half)];
}

/** Wilson score interval for `hits` of `n` sampled images out of `population`. */
export function proportionInterval(hits: number, n: number, population: number): Interval | null {
  if (n < 1) return null;
  const fpc = Math.max(0, 1 - n / population);
  if (fpc === 0) return [hits / n, hits / n];
  const nEff = n / fpc;
  const p = hits / n;
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * nEff)) / (1 + z2 / nEff);
  const half = (Z95 * Math.sqrt((p * (1 - p)) / nEff + z2 / (4 * nEff * nEff))) / (1 + z2 / nEff);
  return [clamp01(centre - half), clamp01(centre + half)];
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}
