/**
 * Fold-paired comparison of two candidates under K-fold cross-validation (issue 22): the CI of a
 * difference whose replicate is the fold.
 *
 * The data: for each candidate, runs in fold-major order (fold 0's S seeds, fold 1's, ...); fold f's
 * runs are scored on fold f's validation images (disjoint from every other fold's, and together
 * every image once). Candidates are paired by fold and seed: the same split, initial weights and
 * crop plan. For fold f and seed s let d_fs = metric(a_fs) - metric(b_fs) on fold f's validation
 * images (the pooled metric, scores.ts), and D_f = mean_s d_fs.
 *
 * Method: a paired t over the K fold means (a cluster-level analysis: the fold is the cluster,
 * seeds within a fold are sub-samples):
 *   estimate = mean_f D_f,  SE^2 = s_D^2 / K,  df = K - 1,  CI = estimate +- t_{K-1} SE.
 * Why it is valid: each D_f varies by the training noise of its runs (seeds), by which images its
 * validation set holds (disjoint sets: independent image samples) and by its training part; the
 * spread of the K fold means holds all three, so no separate image component is added (the seed
 * design's bootstrap term, seed-stats.ts, exists because its seeds share one validation set).
 * Seeds within a fold share that fold's images, so they are not independent replicates: a t over
 * all K x S runs would count them as such and be too narrow; averaging them first (D_f) and using
 * K - 1 df is the standard remedy for sub-samples (e.g. Lazic 2010, "The problem of
 * pseudoreplication in neuroscientific studies"), and with S = 1 it is the plain paired t over folds.
 * What it assumes: the fold means are exchangeable and about normal (a t on 4 df is robust to
 * moderate skew; it is what the seed design does with seeds), and about independent. They are not
 * exactly: the folds' training parts overlap ((K - 2)/(K - 1) of each in common), which correlates
 * the D_f a little; Bengio & Grandvalet (2004, "No unbiased estimator of the variance of K-fold
 * cross-validation") show that the naive variance is then too small for the question "which recipe
 * is better on a NEW training set from the population". verify asks the narrower question "which
 * recipe is better on THIS dataset at this budget" (its answer is a recipe for this data), where
 * the training data is fixed and the replicate noise is the seeds' and the validation images';
 * the overlap then only shares training images, not noise. The A/A part of the validity bench
 * measures the rate this design gives (bench/verify-validity.ts, docs/verify.md).
 * Why not the hierarchical bootstrap (resample folds, then images): with 5 folds a percentile
 * bootstrap over folds has the 3-seed problem of seed-stats.ts (an interval about [min_f, max_f],
 * far below its nominal coverage); the t quantile on K - 1 df pays for estimating the variance.
 */
import { compileHeadline, type HeadlineMetric, type ImageScore } from './scores.js';
import { MIN_IMAGES_FOR_CI, mean as average, std } from './stats.js';
import { DEFAULT_CONFIDENCE, intervalAt, pValueOf, type PairedDifference, type StatsContext } from './seed-stats.js';

/**
 * The fold-paired difference a - b on `metric` (see the module comment); `ctx.folds` = K, and each
 * candidate's runs are fold-major with the same number of seeds per fold. Null when fewer than two
 * folds give a finite difference or fewer than MIN_IMAGES_FOR_CI images are validated in all.
 */
export function foldPairedDifference(
  a: ReadonlyArray<readonly ImageScore[]>,
  b: ReadonlyArray<readonly ImageScore[]>,
  metric: HeadlineMetric,
  ctx: StatsContext,
): PairedDifference | null {
  const folds = ctx.folds ?? 1;
  if (a.length !== b.length) throw new Error(`foldPairedDifference: ${a.length} runs vs ${b.length}: candidates must be paired by fold and seed`);
  if (a.length % folds !== 0) throw new Error(`foldPairedDifference: ${a.length} runs are not ${folds} folds of equal seeds`);
  const seedsPerFold = a.length / folds;
  const foldMeans: number[] = [];
  const withinVariances: number[] = [];
  let images = 0;
  for (let f = 0; f < folds; f++) {
    const runs = Array.from({ length: seedsPerFold }, (_, s) => f * seedsPerFold + s);
    const size = a[runs[0]].length;
    if (runs.some((r) => a[r].length !== size || b[r].length !== size)) throw new Error(`foldPairedDifference: fold ${f}'s runs score different validation images`);
    images += size;
    const all = Int32Array.from({ length: size }, (_, i) => i);
    const d = runs.map((r) => compileHeadline(a[r], ctx.numClasses, ctx.rarestClassId)(all)[metric] - compileHeadline(b[r], ctx.numClasses, ctx.rarestClassId)(all)[metric]).filter(Number.isFinite);
    if (d.length === 0) continue;
    foldMeans.push(average(d));
    if (d.length >= 2) withinVariances.push(std(d) ** 2);
  }
  const k = foldMeans.length;
  if (k < 2 || images < MIN_IMAGES_FOR_CI) return null;
  const mean = average(foldMeans);
  const sd = std(foldMeans);
  const parts = [{ variance: sd ** 2 / k, df: k - 1 }];
  const confidence = ctx.confidence ?? DEFAULT_CONFIDENCE;
  const result: PairedDifference = {
    metric,
    mean,
    ci: [mean, mean],
    confidence,
    perSeed: foldMeans,
    seeds: k,
    seedVariance: true,
    seedSd: sd,
    imageSe: 0,
    se: sd / Math.sqrt(k),
    parts,
    pValue: pValueOf(mean, parts),
    images,
    unit: 'fold',
    seedsPerFold,
    withinFoldSeedVariance: withinVariances.length ? average(withinVariances) : null,
  };
  result.ci = intervalAt(result, confidence);
  return result;
}
