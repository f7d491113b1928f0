/**
 * Validation scores of one candidate, from per-image confusion counts and Boundary IoU.
 *
 * Definitions (documented in the README; the ratios and Boundary IoU come from src/metrics):
 *  - per-class Dice, recall, precision, IoU: pooled over all val images (counts summed, then the
 *    ratio), ignore-index pixels excluded; null when the ratio is 0/0 (class absent from both
 *    truth and prediction, or from truth for recall).
 *  - mean Dice: mean of per-class Dice over all classes, background included (the article's
 *    "mean over classes"), classes with null Dice skipped. A class absent from the val truth but
 *    predicted scores 0.
 *  - rarest-class recall and rarest-class Dice: pooled recall and Dice of the rarest class (see
 *    run.ts for how it is chosen). On rare-class data the differences between losses come almost
 *    entirely from that class (DESIGN.md), so its Dice is a headline beside mean Dice and recall:
 *    recall alone rewards over-predicting it.
 *  - Boundary IoU: mean over every (val image, class) pair of Cheng et al.'s Boundary IoU, pairs
 *    where both boundaries are empty (null) skipped. Per class: mean over images.
 *  - object metrics (src/metrics/objects.ts): per-image object counts, pooled over images like
 *    the confusion counts (detection rates = objects detected / objects, spurious per image =
 *    spurious components / images), foreground classes only.
 * CIs: percentile bootstrap over val images, 1000 resamples, seeded.
 */
import { OBJECT_AREA_BIN_LABELS } from '../contracts/profile.js';
import type { CandidateMetrics, MetricWithCI, ObjectMetrics } from '../contracts/verification.js';
import {
  boundaryIoUPerClass,
  confusionCounts,
  countObjects,
  meanOfDefined,
  objectComparisonSentences,
  objectRates,
  objectTotals,
  objectSummary,
  OBJECT_SUMMARY_LENGTH,
  summaryStatistic,
  perClassScores,
  sumConfusions,
  sumObjectCounts,
  type ConfusionMatrix,
  type ObjectCounts,
  type ObjectStatistic,
} from '../metrics/index.js';
import { bootstrapCI } from './stats.js';

export interface ImageScore {
  confusion: ConfusionMatrix;
  /** Boundary IoU per class, null where both boundaries are empty. */
  boundaryIoU: Array<number | null>;
  /** Ground-truth objects found and spurious predicted objects (src/metrics/objects.ts). */
  objects: ObjectCounts;
}

/** Scores one val image: its confusion counts, per-class Boundary IoU and object counts (src/metrics). */
/** `background`: the background class id (no objects counted for it), -1 = none. */
export function scoreImage(labels: ArrayLike<number>, prediction: Uint8Array, width: number, height: number, numClasses: number, ignoreIndex: number | null, background = 0): ImageScore {
  return {
    confusion: confusionCounts(labels, prediction, numClasses, ignoreIndex),
    boundaryIoU: boundaryIoUPerClass(labels, prediction, width, height, numClasses, ignoreIndex),
    objects: countObjects(labels, prediction, width, height, numClasses, ignoreIndex, background),
  };
}

/** Confusion counts summed over `indices` (with repetition, for the bootstrap). */
function pooled(scores: readonly ImageScore[], indices: ArrayLike<number>, numClasses: number): ConfusionMatrix {
  return sumConfusions(Array.from(indices, (i) => scores[i].confusion), numClasses);
}

export type HeadlineMetric = 'meanDice' | 'rarestClassDice' | 'rarestClassRecall' | 'boundaryIoU';
export const HEADLINE_METRICS: HeadlineMetric[] = ['meanDice', 'rarestClassDice', 'rarestClassRecall', 'boundaryIoU'];
export const METRIC_LABELS: Record<HeadlineMetric, string> = {
  meanDice: 'mean Dice',
  rarestClassDice: 'rarest-class Dice',
  rarestClassRecall: 'rarest-class recall',
  boundaryIoU: 'Boundary IoU',
};

/** The headline metrics of any (re)sample of a fixed list of images; NaN where undefined. */
export type HeadlineOf = (indices: ArrayLike<number>) => Record<HeadlineMetric, number>;

/**
 * Compiles one candidate's val scores for fast repeated headline(): per image and class the TP,
 * FP and FN counts (pooling those equals pooling the confusion matrices, since Dice and recall
 * need nothing else) and per image the Boundary IoU sum and count. A bootstrap evaluates thousands
 * of resamples; this makes each O(images x classes) instead of O(images x classes^2).
 */
export function compileHeadline(scores: readonly ImageScore[], numClasses: number, rarestClassId: number): HeadlineOf {
  const C = numClasses;
  const stride = 3 * C + 2;
  const table = new Float64Array(scores.length * stride);
  scores.forEach((score, i) => {
    const counts = score.confusion.counts;
    const row = i * stride;
    for (let c = 0; c < C; c++) {
      let rowSum = 0;
      let colSum = 0;
      for (let k = 0; k < C; k++) {
        rowSum += counts[c * C + k];
        colSum += counts[k * C + c];
      }
      const tp = counts[c * C + c];
      table[row + 3 * c] = tp;
      table[row + 3 * c + 1] = colSum - tp;
      table[row + 3 * c + 2] = rowSum - tp;
    }
    for (const v of score.boundaryIoU) {
      if (v !== null) {
        table[row + 3 * C] += v;
        table[row + 3 * C + 1]++;
      }
    }
  });
  const sums = new Float64Array(stride);
  return (indices) => {
    sums.fill(0);
    for (let k = 0; k < indices.length; k++) {
      const row = indices[k] * stride;
      for (let j = 0; j < stride; j++) sums[j] += table[row + j];
    }
    let diceSum = 0;
    let diceCount = 0;
    for (let c = 0; c < C; c++) {
      const den = 2 * sums[3 * c] + sums[3 * c + 1] + sums[3 * c + 2];
      if (den > 0) {
        diceSum += (2 * sums[3 * c]) / den;
        diceCount++;
      }
    }
    const r = rarestClassId >= 0 && rarestClassId < C ? 3 * rarestClassId : -1;
    const rareDiceDen = r < 0 ? 0 : 2 * sums[r] + sums[r + 1] + sums[r + 2];
    const rareRecallDen = r < 0 ? 0 : sums[r] + sums[r + 2];
    return {
      meanDice: diceCount ? diceSum / diceCount : Number.NaN,
      rarestClassDice: rareDiceDen > 0 ? (2 * sums[r]) / rareDiceDen : Number.NaN,
      rarestClassRecall: rareRecallDen > 0 ? sums[r] / rareRecallDen : Number.NaN,
      boundaryIoU: sums[3 * C + 1] ? sums[3 * C] / sums[3 * C + 1] : Number.NaN,
    };
  };
}

/** The headline metrics over a (re)sample of images; NaN where undefined (see compileHeadline). */
export function headline(scores: readonly ImageScore[], indices: ArrayLike<number>, numClasses: number, rarestClassId: number): Record<HeadlineMetric, number> {
  return compileHeadline(scores, numClasses, rarestClassId)(indices);
}

function allIndices(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** CandidateMetrics (without stability) for one candidate's val scores. */
export function candidateMetrics(
  scores: readonly ImageScore[],
  options: { numClasses: number; classNames: string[]; rarestClassId: number; seed: number; stability: number | null },
): CandidateMetrics {
  const { numClasses, rarestClassId } = options;
  const headlineOf = compileHeadline(scores, numClasses, rarestClassId);
  const point = headlineOf(allIndices(scores.length));
  const withCI = (metric: HeadlineMetric) => ({
    // A metric undefined on the whole val set (e.g. no rarest-class pixels) is reported as 0 with no CI.
    value: Number.isFinite(point[metric]) ? point[metric] : 0,
    ci95: Number.isFinite(point[metric]) ? bootstrapCI(scores.length, (idx) => headlineOf(idx)[metric], { seed: options.seed }) : null,
  });
  const perClass = perClassScores(pooled(scores, allIndices(scores.length), numClasses)).map((k) => ({
    id: k.classId,
    name: options.classNames[k.classId] ?? String(k.classId),
    dice: k.dice,
    recall: k.recall,
    precision: k.precision,
    iou: k.iou,
    boundaryIoU: meanOfDefined(scores.map((s) => s.boundaryIoU[k.classId])),
  }));
  return {
    meanDice: withCI('meanDice'),
    rarestClassDice: withCI('rarestClassDice'),
    rarestClassRecall: withCI('rarestClassRecall'),
    boundaryIoU: withCI('boundaryIoU'),
    perClass,
    stability: options.stability,
    objects: objectMetrics(scores, options),
  };
}

/** Each image's object totals, computed once per ImageScore (the bootstrap asks thousands of times). */
const summaries = new WeakMap<ObjectCounts, Float64Array>();
function summaryOf(score: ImageScore): Float64Array {
  let summary = summaries.get(score.objects);
  if (!summary) summaries.set(score.objects, (summary = objectSummary(score.objects)));
  return summary;
}

/** One object statistic over a (re)sample of images; NaN where undefined. `detectionRate:B` is area bin B's rate. */
export function objectStatistic(scores: readonly ImageScore[], indices: ArrayLike<number>, statistic: ObjectStatistic): number {
  const sum = new Float64Array(OBJECT_SUMMARY_LENGTH);
  for (let k = 0; k < indices.length; k++) {
    const summary = summaryOf(scores[indices[k]]);
    for (let j = 0; j < OBJECT_SUMMARY_LENGTH; j++) sum[j] += summary[j];
  }
  return summaryStatistic(sum, statistic);
}

/** Object-level metrics of one candidate's val scores, with bootstrap CIs over images. */
export function objectMetrics(scores: readonly ImageScore[], options: { numClasses: number; classNames: string[]; seed: number }): ObjectMetrics {
  const all = allIndices(scores.length);
  const pooledCounts = sumObjectCounts(scores.map((s) => s.objects), options.numClasses);
  const totals = objectTotals(pooledCounts);
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  const withCI = (statistic: ObjectStatistic): MetricWithCI | null => {
    const value = scores.length ? objectStatistic(scores, all, statistic) : Number.NaN;
    if (!Number.isFinite(value)) return null;
    return { value, ci95: bootstrapCI(scores.length, (idx) => objectStatistic(scores, idx, statistic), { seed: options.seed }) };
  };
  const rates = objectRates(pooledCounts);
  const perClass = Array.from({ length: Math.max(0, options.numClasses - 1) }, (_, k) => k + 1).map((id) => {
    const t = objectTotals(pooledCounts, id);
    const r = objectRates(pooledCounts, id);
    return {
      id,
      name: options.classNames[id] ?? String(id),
      objects: t.truth,
      objectsByArea: t.truthByArea,
      detectionRate: finite(r.detectionRate),
      detectionRateByArea: r.detectionRateByArea.map(finite),
      anyOverlapRate: finite(r.anyOverlapRate),
      predicted: t.predicted,
      spurious: t.spurious,
      spuriousPerImage: finite(r.spuriousPerImage),
      spuriousPer1000Px: finite(r.spuriousPer1000Px),
    };
  });
  return {
    counts: { objects: totals.truth, detected: totals.detected, overlapped: totals.overlapped, predicted: totals.predicted, spurious: totals.spurious, foregroundPixels: totals.truthPixels, images: totals.predictions },
    detectionRate: withCI('detectionRate'),
    anyOverlapRate: withCI('anyOverlapRate'),
    byArea: OBJECT_AREA_BIN_LABELS.map((bin, b) => ({
      bin,
      objects: totals.truthByArea[b],
      detected: totals.detectedByArea[b],
      overlapped: totals.overlappedByArea[b],
      detectionRate: withCI(`detectionRate:${b}`),
      anyOverlapRate: finite(rates.anyOverlapRateByArea[b]),
    })),
    spuriousPerImage: withCI('spuriousPerImage') ?? { value: 0, ci95: null },
    spuriousPer1000Px: withCI('spuriousPer1000Px'),
    perClass,
  };
}

/** Paired bootstrap CI of (a - b) on an object statistic: both candidates scored on the same resampled images. */
export function pairedObjectDifferenceCI(a: readonly ImageScore[], b: readonly ImageScore[], statistic: ObjectStatistic, options: { seed: number }): [number, number] | null {
  return bootstrapCI(a.length, (idx) => objectStatistic(a, idx, statistic) - objectStatistic(b, idx, statistic), { seed: options.seed });
}

/** Paired bootstrap CI of (a - b) on a metric: both candidates scored on the same resampled images. */
export function pairedDifferenceCI(
  a: readonly ImageScore[],
  b: readonly ImageScore[],
  metric: HeadlineMetric,
  options: { numClasses: number; rarestClassId: number; seed: number },
): [number, number] | null {
  const ha = compileHeadline(a, options.numClasses, options.rarestClassId);
  const hb = compileHeadline(b, options.numClasses, options.rarestClassId);
  return bootstrapCI(a.length, (idx) => ha(idx)[metric] - hb(idx)[metric], { seed: options.seed });
}

/**
 * Sentences comparing candidate `a` with `b` on the object metrics, each with the paired bootstrap
 * CI of the difference (src/metrics/object-comparison.ts), for a verdict detail: e.g. "Dice +
 * boundary finds 67% of small objects (<100 px) vs 48% for CE (IoU > 0.5, 120 objects; difference
 * +19 points, 95% CI +8 to +30 points)". Works on seed-pooled scores (poolSeeds) as well.
 */
export function objectComparison(
  a: { label: string; scores: readonly ImageScore[] },
  b: { label: string; scores: readonly ImageScore[] },
  options: { numClasses: number; classNames: string[]; seed: number },
): string[] {
  return objectComparisonSentences(
    { label: a.label, objects: objectMetrics(a.scores, options) },
    { label: b.label, objects: objectMetrics(b.scores, options) },
    (statistic) => pairedObjectDifferenceCI(a.scores, b.scores, statistic, { seed: options.seed }),
  );
}

/** Per-image scores summed over seeds (counts added, Boundary IoU averaged), for seed-pooled comparisons. */
export function poolSeeds(runs: ReadonlyArray<readonly ImageScore[]>): ImageScore[] {
  return runs[0].map((_, i) => {
    const parts = runs.map((r) => r[i]);
    return {
      confusion: sumConfusions(parts.map((p) => p.confusion), parts[0].confusion.numClasses),
      boundaryIoU: parts[0].boundaryIoU.map((_, c) => meanOfDefined(parts.map((p) => p.boundaryIoU[c]))),
      // `predictions` adds up too, so "spurious per image" stays per prediction, not K times it.
      objects: sumObjectCounts(parts.map((p) => p.objects), parts[0].objects.numClasses),
    };
  });
}

