/**
 * Seed-paired comparison of two candidates: the CI of a difference that includes seed-to-seed
 * variance, the smallest difference a run could detect, and how many seeds would resolve it.
 *
 * Why: DESIGN.md measured a "beaten, +0.045 (CI +0.028..+0.068)" verdict whose CI resampled the
 * validation images of ONE training run, while one candidate's mean Dice moved +/-0.05..0.19 from
 * seed to seed. The training seed is the unit of replication (Bouthillier et al. 2021, "Accounting
 * for variance in machine learning benchmarks", MLSys: the variance from weight init and data order
 * is of the same order as the data-sampling variance and must be in the interval; Dror et al. 2019,
 * "Deep dominance", ACL: compare score distributions over seeds, not single runs).
 *
 * The data: for each candidate, for each training seed (the same seeds in the same order for every
 * candidate: same initial weights and crop order, so candidates are paired by seed), per-image
 * scores on the same validation images. For seed s let d_s = metric(a_s) - metric(b_s) on all
 * validation images (pooled metric, src/verify/scores.ts).
 *
 * Method: a paired t-interval over the seed-level differences with the image-level variance added
 * (a two-component variance, Welch-Satterthwaite degrees of freedom):
 *   estimate  = mean_s d_s
 *   SE^2      = s_d^2 / S                        (seed-to-seed variance of the paired differences)
 *             + Var_boot[ mean_s d_s(I) ]         (validation-image sampling: I = one bootstrap resample
 *                                                  of the images, the SAME for every seed and both
 *                                                  candidates: paired over images too)
 *   df        = SE^4 / ( (s_d^2/S)^2/(S-1) + (image var)^2/(n-1) )
 *   CI        = estimate +- t_{df, 1-alpha/2} * SE
 * The image term also holds the seed x image interaction / S that s_d^2 already holds, so the
 * interval is slightly conservative, never too narrow.
 *
 * Why not the two-stage (hierarchical) percentile bootstrap (resample seeds, then images; Saravanan
 * et al. 2020, "Application of the hierarchical bootstrap to multi-level data in neuroscience")?
 * Because verify has 2-5 seeds, and a percentile bootstrap over 3 seeds is far too narrow: the mean
 * of 3 resampled seeds equals the smallest seed's value with probability 1/27 = 3.7% > 2.5%, so its
 * 95% interval is about [min_s d_s, max_s d_s], which excludes 0 whenever all three seeds agree in
 * sign: 2 x 1/8 = 25% of A/A comparisons when the seed noise dominates (measured with
 * `aaFalsePositiveRate` in the test: see test/verify/seed-stats.test.ts). The t quantile with S-1
 * degrees of freedom (4.30 at S = 3) is what pays for estimating the seed variance from 3 values.
 *
 * With one seed there is no seed variance to estimate: the interval is the image-only one (df n-1)
 * and is flagged `seedVariance: false`; callers must not call a winner from it.
 */
import { compileHeadline, type HeadlineMetric, type HeadlineOf, type ImageScore } from './scores.js';
import { createRng } from './random.js';
import { BOOTSTRAP_RESAMPLES, mean as average, MIN_IMAGES_FOR_CI, std } from './stats.js';
import { tQuantile, tTwoSidedP } from './t-distribution.js';

/** Candidate id -> per seed (same seeds, same order for every candidate) -> per val image scores. */
export type ScoreTable = ReadonlyMap<string, ReadonlyArray<readonly ImageScore[]>>;

export interface StatsContext {
  numClasses: number;
  rarestClassId: number;
  /** Seed of the image bootstrap (results are reproducible from it). */
  seed: number;
  /** Image bootstrap resamples (default BOOTSTRAP_RESAMPLES = 1000). */
  resamples?: number;
  /** Two-sided confidence of `ci` (default 0.95). */
  confidence?: number;
}

export const DEFAULT_CONFIDENCE = 0.95;
/** Power at which the minimum detectable difference and the seeds needed are computed. */
export const DEFAULT_POWER = 0.8;

export interface PairedDifference {
  metric: HeadlineMetric;
  /** Mean over seeds of (a - b), each on all validation images. */
  mean: number;
  /** Two-sided interval at `confidence`. */
  ci: [number, number];
  confidence: number;
  /** (a - b) per seed, in seed order (seeds where the metric is undefined for either are left out). */
  perSeed: number[];
  /** Seeds behind the estimate (perSeed.length). */
  seeds: number;
  /** False with one seed: the interval covers validation-image sampling only. */
  seedVariance: boolean;
  /** Standard deviation of perSeed (0 with one seed). */
  seedSd: number;
  /** Bootstrap standard error of the seed-mean difference over validation images. */
  imageSe: number;
  /** Standard error of `mean` (both components). */
  se: number;
  /** Welch-Satterthwaite degrees of freedom of `se`. */
  df: number;
  /** Two-sided p-value of "no difference". */
  pValue: number;
  images: number;
}

/**
 * The seed-paired difference a - b on `metric` (see the module comment). `a` and `b` are one
 * candidate's scores per seed, paired by position. Null when there are fewer than MIN_IMAGES_FOR_CI
 * validation images or the metric is undefined on every seed.
 */
export function seedPairedDifference(
  a: ReadonlyArray<readonly ImageScore[]>,
  b: ReadonlyArray<readonly ImageScore[]>,
  metric: HeadlineMetric,
  ctx: StatsContext,
): PairedDifference | null {
  if (a.length !== b.length) throw new Error(`seedPairedDifference: ${a.length} seeds vs ${b.length}: candidates must be paired by seed`);
  const images = a[0]?.length ?? 0;
  if ([...a, ...b].some((s) => s.length !== images)) throw new Error('seedPairedDifference: every seed of both candidates must score the same validation images');
  if (images < MIN_IMAGES_FOR_CI) return null;
  const all = Int32Array.from({ length: images }, (_, i) => i);
  const pairs: Array<[HeadlineOf, HeadlineOf]> = [];
  const perSeed: number[] = [];
  for (let s = 0; s < a.length; s++) {
    const ha = compileHeadline(a[s], ctx.numClasses, ctx.rarestClassId);
    const hb = compileHeadline(b[s], ctx.numClasses, ctx.rarestClassId);
    const d = ha(all)[metric] - hb(all)[metric];
    if (!Number.isFinite(d)) continue;
    pairs.push([ha, hb]);
    perSeed.push(d);
  }
  const seeds = perSeed.length;
  if (seeds === 0) return null;
  const mean = average(perSeed);

  // Image bootstrap of the seed-mean difference, the same resampled images for every seed.
  const rng = createRng(ctx.seed);
  const resamples = ctx.resamples ?? BOOTSTRAP_RESAMPLES;
  const indices = new Int32Array(images);
  const draws: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < images; i++) indices[i] = rng.int(images);
    let sum = 0;
    let n = 0;
    for (const [ha, hb] of pairs) {
      const d = ha(indices)[metric] - hb(indices)[metric];
      if (Number.isFinite(d)) {
        sum += d;
        n++;
      }
    }
    if (n) draws.push(sum / n);
  }
  const imageVar = draws.length >= 2 ? variance(draws) : 0;
  const seedVar = seeds >= 2 ? variance(perSeed) : 0;
  const confidence = ctx.confidence ?? DEFAULT_CONFIDENCE;
  const parts = seeds >= 2 ? [{ v: seedVar / seeds, df: seeds - 1 }, { v: imageVar, df: images - 1 }] : [{ v: imageVar, df: images - 1 }];
  const se = Math.sqrt(parts.reduce((s, p) => s + p.v, 0));
  const df = satterthwaite(parts);
  const result: PairedDifference = {
    metric,
    mean,
    ci: [mean, mean],
    confidence,
    perSeed,
    seeds,
    seedVariance: seeds >= 2,
    seedSd: Math.sqrt(seedVar),
    imageSe: Math.sqrt(imageVar),
    se,
    df,
    pValue: se > 0 ? tTwoSidedP(mean / se, df) : mean === 0 ? 1 : 0,
    images,
  };
  result.ci = intervalAt(result, confidence);
  return result;
}

/** The two-sided interval of a paired difference at another confidence (e.g. a Holm-adjusted one). */
export function intervalAt(d: Pick<PairedDifference, 'mean' | 'se' | 'df'>, confidence: number): [number, number] {
  if (!(d.se > 0)) return [d.mean, d.mean];
  const half = tQuantile(1 - (1 - confidence) / 2, d.df) * d.se;
  return [d.mean - half, d.mean + half];
}

/**
 * The smallest |difference| this comparison would call significant (two-sided, at `confidence`)
 * with probability `power`: (t_{1-alpha/2} + t_{power}) x SE, the usual power-analysis form for a
 * t test (e.g. Cohen 1988, ch. 2). Infinity when the SE is unknown.
 */
export function minimumDetectableDifference(d: Pick<PairedDifference, 'se' | 'df'>, options: { confidence?: number; power?: number } = {}): number {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const power = options.power ?? DEFAULT_POWER;
  if (!Number.isFinite(d.se)) return Number.POSITIVE_INFINITY;
  return (tQuantile(1 - (1 - confidence) / 2, d.df) + tQuantile(power, d.df)) * d.se;
}

export interface SeedsNeeded {
  /** Seeds (for the same steps) that would resolve the comparison; null when more seeds cannot (see valImagesMultiplier) or the seed variance is unknown. */
  seeds: number | null;
  /** seeds / seeds this run had: the training budget multiplier for these two candidates. */
  budgetMultiplier: number | null;
  /** When the validation-image term alone is too wide: how many times more validation images would be needed. */
  valImagesMultiplier: number | null;
  /** What "resolve" aims at: a sign for the observed difference, or equivalence within the margin. */
  goal: 'direction' | 'equivalence';
  /** The difference (direction) or the room to the margin (equivalence) the CI must resolve. */
  target: number;
}

/**
 * Roughly how many seeds would resolve a comparison, projecting its variance components:
 * SE(S') = sqrt(s_d^2 / S' + imageVar). If |mean| >= tieMargin the goal is the direction (the
 * minimum detectable difference falls to |mean|: if the observed difference is real, S' seeds
 * detect it with `power`); otherwise equivalence (the CI, with the same power allowance, fits inside
 * +-tieMargin). A rough guide, not a promise: the seed variance itself is estimated from S seeds,
 * and more steps may move the difference (learning curves cross, DESIGN.md).
 */
export function seedsNeeded(d: PairedDifference, options: { tieMargin: number; confidence?: number; power?: number; maxSeeds?: number }): SeedsNeeded {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const power = options.power ?? DEFAULT_POWER;
  const maxSeeds = options.maxSeeds ?? 64;
  const direction = Math.abs(d.mean) >= options.tieMargin;
  const goal = direction ? 'direction' : 'equivalence';
  const target = direction ? Math.abs(d.mean) : options.tieMargin - Math.abs(d.mean);
  const none = { seeds: null, budgetMultiplier: null, valImagesMultiplier: null, goal, target } as const;
  if (!d.seedVariance || !(target > 0)) return none;
  const seedVar = d.seedSd ** 2;
  const imageVar = d.imageSe ** 2;
  const multiplier = (df: number) => tQuantile(1 - (1 - confidence) / 2, df) + tQuantile(power, df);
  for (let s = Math.max(2, d.seeds); s <= maxSeeds; s++) {
    const parts = [{ v: seedVar / s, df: s - 1 }, { v: imageVar, df: d.images - 1 }];
    const se = Math.sqrt(parts[0].v + parts[1].v);
    if (multiplier(satterthwaite(parts)) * se <= target) return { seeds: s, budgetMultiplier: s / d.seeds, valImagesMultiplier: null, goal, target };
  }
  // Seeds alone do not get there: the image term (which more seeds do not shrink) may be the limit.
  const k = multiplier(Math.max(1, d.images - 1));
  const roomForImages = (target / k) ** 2 - seedVar / maxSeeds;
  const valImagesMultiplier = imageVar > 0 && roomForImages > 0 ? Math.max(1, imageVar / roomForImages) : null;
  return { ...none, valImagesMultiplier };
}

/** One-sided check used by equivalence: is the interval inside [-margin, +margin]? (TOST, Schuirmann 1987, at the CI's level.) */
export function withinMargin(ci: readonly [number, number], margin: number): boolean {
  return ci[0] >= -margin && ci[1] <= margin;
}

/**
 * A memoised comparator over one score table: compare(aId, bId, metric) = seedPairedDifference of
 * a - b (null when either id is missing or the difference is not computable). Each pair and metric
 * gets its own bootstrap seed derived from the ids so results do not depend on the call order.
 */
export type Comparator = (aId: string, bId: string, metric: HeadlineMetric) => PairedDifference | null;

export function tableComparator(table: ScoreTable, ctx: StatsContext): Comparator {
  const cache = new Map<string, PairedDifference | null>();
  return (aId, bId, metric) => {
    const key = `${aId}\u0000${bId}\u0000${metric}`;
    if (!cache.has(key)) {
      const a = table.get(aId);
      const b = table.get(bId);
      cache.set(key, a && b && a.length > 0 ? seedPairedDifference(a, b, metric, { ...ctx, seed: pairSeed(ctx.seed, aId, bId, metric) }) : null);
    }
    return cache.get(key)!;
  };
}

/** A bootstrap seed for one (unordered) pair and metric: a - b and b - a use the same resamples. */
function pairSeed(seed: number, aId: string, bId: string, metric: string): number {
  const [x, y] = aId < bId ? [aId, bId] : [bId, aId];
  let h = (Math.floor(seed) ^ 0x811c9dc5) >>> 0;
  for (const ch of `${x}\u0000${y}\u0000${metric}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Mean over seeds of one candidate's metric on all validation images (seeds where it is undefined skipped; NaN if all are). */
export function seedMean(perSeed: ReadonlyArray<readonly ImageScore[]>, metric: HeadlineMetric, ctx: Pick<StatsContext, 'numClasses' | 'rarestClassId'>): number {
  const values = perSeed
    .map((scores) => compileHeadline(scores, ctx.numClasses, ctx.rarestClassId)(Int32Array.from({ length: scores.length }, (_, i) => i))[metric])
    .filter(Number.isFinite);
  return values.length ? average(values) : Number.NaN;
}

/** Sample variance (n - 1). */
function variance(values: readonly number[]): number {
  return std(values) ** 2;
}

/** Welch-Satterthwaite degrees of freedom of a sum of independent variance estimates. */
function satterthwaite(parts: ReadonlyArray<{ v: number; df: number }>): number {
  const total = parts.reduce((s, p) => s + p.v, 0);
  const den = parts.reduce((s, p) => s + (p.df > 0 ? p.v ** 2 / p.df : 0), 0);
  if (!(total > 0) || !(den > 0)) return Math.max(1, ...parts.map((p) => p.df));
  return total ** 2 / den;
}
