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
 * as a second component, each with its own t quantile (Banerjee 1960's interval for a sum of
 * variance components with different degrees of freedom):
 *   estimate  = mean_s d_s
 *   seed part = s_d^2 / S, df S - 1              (seed-to-seed variance of the paired differences)
 *   image part= image component, df n - 1        (validation-image sampling of a fixed candidate x
 *                                                  image difference, from a bootstrap of the images
 *                                                  (the SAME resample for every seed and both
 *                                                  candidates: paired over images too) minus what
 *                                                  s_d^2 already holds; see imageComponent)
 *   CI        = estimate +- sqrt( t_{S-1}^2 seed part + t_{n-1}^2 image part )
 * Banerjee's interval is conservative (never below its nominal coverage for normal components).
 * Why not one t with Welch-Satterthwaite df: with a 2-df seed part the estimated df rise exactly
 * when the seed variance is underestimated; in A/A simulations (3 seeds, 30 images, seed and image
 * effects both present) it excluded 0 in 8.3% of runs at 95%. Hsu's smallest-df rule (t_{S-1} on
 * the whole SE) held 5% but was 1.7x wider where images dominate. Banerjee's stayed at 3.4-4.2%
 * in every regime tried (seed-, image-, interaction-dominated, 2-5 seeds; bench numbers in the
 * report, a fast version in test/verify/seed-stats.test.ts).
 * Why not the two-stage (hierarchical) percentile bootstrap (resample seeds, then images; Saravanan
 * et al. 2020, "Application of the hierarchical bootstrap to multi-level data in neuroscience")?
 * Because verify has 2-5 seeds, and a percentile bootstrap over 3 seeds is far too narrow: the mean
 * of 3 resampled seeds equals the smallest seed's value with probability 1/27 = 3.7% > 2.5%, so its
 * 95% interval is about [min_s d_s, max_s d_s], which excludes 0 whenever all three seeds agree in
 * sign: 2 x 1/8 = 25% of A/A comparisons when the seed noise dominates (measured with
 * `aaFalsePositiveRate` in the test: see test/verify/seed-stats.test.ts). The t quantile with S-1
 * degrees of freedom (4.30 at S = 3) is what pays for estimating the seed variance from 3 values.
 *
 * Why not pool the seed variance across candidates (the randomized-block residual of the candidate
 * x seed table, (k-1)(S-1) df: with 6 candidates and 3 seeds t_10 = 2.63 instead of t_2 = 6.21 at
 * 97.5%, intervals less than half as wide)? Because that assumes every candidate has the same
 * seed-to-seed variance, and on real runs they do not: `npm run bench:seed-variance` (6 default
 * candidates x 10 seeds on the rare-class sample) measured per-candidate seed sds from 0.009 to 0.035
 * mean Dice at 640 steps (equal pair variances rejected, p = 0.002); at those sds a pooled 97.5%
 * interval calls the noisiest candidate different in 10% of A/A comparisons. Moderated t (Smyth
 * 2004, limma), which shrinks each pair toward the pooled variance by an estimated prior, cannot
 * learn the spread from 2-df variances of 5-15 pairs and behaves like full pooling (simulated). The
 * test "pooling the seed variance across candidates" in test/verify/seed-stats.test.ts keeps the
 * measurement. More seeds (--seeds) are the honest lever; the verdict says how many.
 *
 * With one seed there is no seed variance to estimate: the interval is the image-only one (df n-1)
 * and is flagged `seedVariance: false`; callers must not call a winner from it.
 */
import { compileHeadline, type HeadlineMetric, type HeadlineOf, type ImageScore } from './scores.js';
import { createRng } from './random.js';
import { BOOTSTRAP_RESAMPLES, mean as average, MIN_IMAGES_FOR_CI, std } from './stats.js';
import { tQuantile } from './t-distribution.js';
import { foldPairedDifference } from './fold-stats.js';

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
  /**
   * Cross-validation folds (default 1: one split). With K >= 2 a score table's runs are fold-major
   * (fold 0's seeds, then fold 1's, ...; each fold scores its own validation images) and the
   * comparator is the fold-paired one (fold-stats.ts).
   */
  folds?: number;
}

export const DEFAULT_CONFIDENCE = 0.95;
/** Power at which the minimum detectable difference and the seeds needed are computed. */
export const DEFAULT_POWER = 0.8;

/** Variance components of an estimate, each with its degrees of freedom. */
export type VarianceParts = ReadonlyArray<{ variance: number; df: number }>;

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
  /** The variance components of `se` with their degrees of freedom (the seed part is absent with one seed). */
  parts: VarianceParts;
  /** Two-sided p-value of "no difference". */
  pValue: number;
  images: number;
  /**
   * The replicate the interval is over: 'seed' (one split, seed-paired, this module) or 'fold'
   * (cross-validation, fold-paired: fold-stats.ts). Absent = 'seed'. With 'fold', `seeds`,
   * `perSeed` and `seedSd` are over folds (the fold means), and `imageSe` is 0: the folds'
   * disjoint validation sets put the image sampling into the fold-to-fold spread.
   */
  unit?: 'seed' | 'fold';
  /** 'fold': seeds per fold, and the within-fold seed-to-seed variance of the difference (null with one seed per fold). */
  seedsPerFold?: number;
  withinFoldSeedVariance?: number | null;
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

  // Image bootstrap, the same resampled images for every seed: the variance W of the seed-mean
  // difference, and per seed the variance V_s of that seed's difference (see imageComponent).
  const rng = createRng(ctx.seed);
  const resamples = ctx.resamples ?? BOOTSTRAP_RESAMPLES;
  const indices = new Int32Array(images);
  const draws: number[] = [];
  const perSeedDraws: number[][] = pairs.map(() => []);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < images; i++) indices[i] = rng.int(images);
    let sum = 0;
    let n = 0;
    pairs.forEach(([ha, hb], s) => {
      const d = ha(indices)[metric] - hb(indices)[metric];
      if (Number.isFinite(d)) {
        sum += d;
        n++;
        perSeedDraws[s].push(d);
      }
    });
    if (n) draws.push(sum / n);
  }
  // x n/(n-1): the bootstrap variance of a mean is the plug-in one, (n-1)/n of the unbiased s^2/n.
  const unbias = images / (images - 1);
  const seedMeanVar = draws.length >= 2 ? variance(draws) * unbias : 0;
  const withinSeedVar = average(perSeedDraws.map((v) => (v.length >= 2 ? variance(v) : 0))) * unbias;
  const imageVar = imageComponent(seedMeanVar, withinSeedVar, seeds);
  const seedVar = seeds >= 2 ? variance(perSeed) : 0;
  const confidence = ctx.confidence ?? DEFAULT_CONFIDENCE;
  const parts = seeds >= 2 ? [{ variance: seedVar / seeds, df: seeds - 1 }, { variance: imageVar, df: images - 1 }] : [{ variance: imageVar, df: images - 1 }];
  const se = Math.sqrt(seedVar / seeds + imageVar);
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
    parts,
    pValue: pValueOf(mean, parts),
    images,
  };
  result.ci = intervalAt(result, confidence);
  return result;
}

/** Banerjee half-width: sqrt(sum_k (q(df_k) x sd_k)^2) for a per-df multiplier q. */
function halfWidth(parts: VarianceParts, multiplier: (df: number) => number): number {
  return Math.sqrt(parts.reduce((sum, p) => sum + (p.variance > 0 ? multiplier(p.df) ** 2 * p.variance : 0), 0));
}

const twoSided = (confidence: number) => (df: number) => tQuantile(1 - (1 - confidence) / 2, df);

/** The two-sided interval of a paired difference at another confidence (e.g. a Holm-adjusted one). */
export function intervalAt(d: Pick<PairedDifference, 'mean' | 'parts'>, confidence: number): [number, number] {
  const half = halfWidth(d.parts, twoSided(confidence));
  return [d.mean - half, d.mean + half];
}

/**
 * Two-sided p-value consistent with the interval: the alpha at which the (1 - alpha) interval
 * just touches 0 (bisection on log alpha; the half-width falls as alpha grows). 1 for a zero
 * difference, 0 for a nonzero one with no variance.
 */
export function pValueOf(mean: number, parts: VarianceParts): number {
  if (mean === 0) return 1;
  if (!parts.some((p) => p.variance > 0)) return 0;
  const target = Math.abs(mean);
  const half = (alpha: number) => halfWidth(parts, twoSided(1 - alpha));
  if (half(1 - 1e-12) >= target) return 1;
  let lo = Math.log(1e-300);
  let hi = 0;
  if (half(1e-300) <= target) return 0;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (half(Math.exp(mid)) > target) lo = mid;
    else hi = mid;
  }
  return Math.exp(hi);
}

/**
 * The smallest |difference| this comparison would call significant (two-sided, at `confidence`)
 * with probability `power`: per variance component (t_{1-alpha/2} + t_{power}) x its sd, combined
 * as in the interval; the usual power-analysis form for a t test (e.g. Cohen 1988, ch. 2).
 */
export function minimumDetectableDifference(d: Pick<PairedDifference, 'parts'>, options: { confidence?: number; power?: number } = {}): number {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const power = options.power ?? DEFAULT_POWER;
  return halfWidth(d.parts, (df) => tQuantile(1 - (1 - confidence) / 2, df) + tQuantile(power, df));
}

export interface SeedsNeeded {
  /** Seeds (per fold, with folds; for the same steps) that would resolve the comparison; null when more seeds cannot (see valImagesMultiplier) or the seed variance is unknown. */
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
 * Roughly how many seeds would resolve a comparison, projecting its variance components; always
 * MORE than the run had (the design the run already had did not decide, so it is never the advice).
 * `confidence` must be the level the decision needs (the verdict passes its multiplicity-adjusted
 * one: advice at the unadjusted level asked a 3-seed run for "about 3 seeds", issue 22).
 * Seed design: seed part s_d^2 / S' with S' - 1 df, image part unchanged. Fold design (d.unit
 * 'fold', K folds of S seeds): the fold-mean variance splits into a within-fold seed part
 * sigma_w^2 / S (estimated when S >= 2; with S = 1 all of it is taken as seed noise, an optimistic
 * guess the text says) and a between-fold part sigma_b^2 that seeds do not shrink (which images
 * each fold validates: every image is already validated once); S' seeds per fold give
 * (sigma_b^2 + sigma_w^2 / S') / K on K - 1 df.
 * If |mean| >= tieMargin the goal is the direction (the minimum detectable difference falls to
 * |mean|: if the observed difference is real, S' seeds detect it with `power`); otherwise
 * equivalence (the CI, with the same power allowance, fits inside +-tieMargin). A rough guide, not
 * a promise: the variances are estimated from few replicates, and more steps may move the
 * difference (learning curves cross, DESIGN.md).
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
  const mdd = (parts: VarianceParts) => minimumDetectableDifference({ parts }, { confidence, power });
  const q = (df: number) => tQuantile(1 - (1 - confidence) / 2, df) + tQuantile(power, df);
  if (d.unit === 'fold') {
    const k = d.seeds;
    const s = d.seedsPerFold ?? 1;
    const foldVar = d.seedSd ** 2;
    const within = d.withinFoldSeedVariance ?? foldVar * s;
    const between = Math.max(0, foldVar - within / s);
    const at = (seeds: number) => [{ variance: (between + within / seeds) / k, df: k - 1 }];
    for (let m = s + 1; m <= maxSeeds; m++) if (mdd(at(m)) <= target) return { seeds: m, budgetMultiplier: m / s, valImagesMultiplier: null, goal, target };
    // Seeds alone do not get there: the between-fold part (which images each fold validates) is the limit.
    const room = (target / q(k - 1)) ** 2 * k - within / maxSeeds;
    return { ...none, valImagesMultiplier: between > 0 && room > 0 ? Math.max(1, between / room) : null };
  }
  const seedVar = d.seedSd ** 2;
  const imageVar = d.imageSe ** 2;
  for (let s = Math.max(2, d.seeds + 1); s <= maxSeeds; s++) {
    if (mdd([{ variance: seedVar / s, df: s - 1 }, { variance: imageVar, df: d.images - 1 }]) <= target) return { seeds: s, budgetMultiplier: s / d.seeds, valImagesMultiplier: null, goal, target };
  }
  // Seeds alone do not get there: the image term (which more seeds do not shrink) may be the limit.
  const roomForImages = (target ** 2 - q(maxSeeds - 1) ** 2 * (seedVar / maxSeeds)) / q(Math.max(1, d.images - 1)) ** 2;
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
      const pairCtx = { ...ctx, seed: pairSeed(ctx.seed, aId, bId, metric) };
      const paired = (ctx.folds ?? 1) > 1 ? foldPairedDifference : seedPairedDifference;
      cache.set(key, a && b && a.length > 0 ? paired(a, b, metric, pairCtx) : null);
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

/**
 * The validation-image variance component of the seed-mean difference, without the part that the
 * seed-level spread already holds. Model: d_s(i) = mu + alpha_i + beta_s + eps_si (alpha: how the
 * two candidates differ on image i, the same on every seed; beta: seed; eps: seed x image). The
 * bootstrap of the seed mean has W = (s2_alpha + s2_eps / S) / n, one seed's has
 * V = (s2_alpha + s2_eps) / n, and the spread of the seed-level differences already holds
 * s2_eps / n. So the part to add is s2_alpha / n = W - (V - W) / (S - 1) (method of moments,
 * floored at 0). Adding all of W instead double-counts s2_eps (a wider interval than needed).
 */
function imageComponent(seedMeanVar: number, withinSeedVar: number, seeds: number): number {
  if (seeds < 2) return seedMeanVar;
  return Math.max(0, seedMeanVar - (withinSeedVar - seedMeanVar) / (seeds - 1));
}

/** Sample variance (n - 1). */
function variance(values: readonly number[]): number {
  return std(values) ** 2;
}
