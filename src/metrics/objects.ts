/**
 * Object-level metrics: does a prediction find each ground-truth object, and does it add objects
 * that are not there? Mean Dice hides both (one large object outweighs many small ones), and the
 * article judges losses on them ("small-object detection rate 0.48 -> 0.67", "Combo cuts abnormal
 * predictions by 30%").
 *
 * Definitions, per foreground class c (the background class, 0 unless the dataset says otherwise,
 * has no objects; a dataset without a background class has objects in every class):
 *  - objects: 8-connected components of (label == c) in the ground truth, and of
 *    (prediction == c) in the prediction; found with the profiler's run-length union-find
 *    (src/profiler/runs.ts). Pixels whose label is the ignore index belong to no ground-truth
 *    object, and predictions on them are dropped before the predicted components are found (a
 *    prediction inside an unlabelled region is neither a hit nor a false alarm).
 *  - detected: a ground-truth object with a predicted component of its class whose IoU with it is
 *    > 0.5 (the usual instance-matching rule). With IoU > 0.5 the matching is one-to-one by
 *    construction: components of one class are disjoint, so no object can be > 0.5 IoU with two
 *    predicted components, nor a predicted component with two objects.
 *  - overlapped: a ground-truth object touched by at least one pixel of a predicted component of
 *    its class (the looser "any overlap" rate).
 *  - area bins: the article's <100, 100-1k, 1k-10k, >=10k px, by the ground-truth object's area.
 *  - spurious: a predicted component that overlaps no ground-truth object of its class.
 * Counts are kept per image so the rates can be pooled (counts summed, then the ratio) and
 * bootstrapped over images like the pixel metrics (src/verify/scores.ts).
 */
import { OBJECT_AREA_BIN_EDGES } from '../contracts/profile.js';
import { articleBinOf } from '../profiler/area-sketch.js';
import type { LabelArray } from '../profiler/components.js';
import { labelRuns } from '../profiler/runs.js';

/** The article's area bins: <100, 100-1k, 1k-10k, >=10k px. */
export const AREA_BIN_COUNT = OBJECT_AREA_BIN_EDGES.length + 1;
/** A predicted component matches a ground-truth object when their IoU is above this. */
export const MATCH_IOU = 0.5;

/** Object counts of one image (or of several, summed). Arrays indexed [class * AREA_BIN_COUNT + bin] or [class]. */
export interface ObjectCounts {
  numClasses: number;
  /** Predictions counted (1 per image; more after summing images or seeds): the denominator of "per image". */
  predictions: number;
  /** Ground-truth objects per class and area bin. */
  truth: Float64Array;
  /** Of those, matched by a predicted component of their class with IoU > 0.5. */
  detected: Float64Array;
  /** Of those, touched by any predicted component of their class. */
  overlapped: Float64Array;
  /** Predicted components per class. */
  predicted: Float64Array;
  /** Predicted components per class that overlap no ground-truth object of their class. */
  spurious: Float64Array;
  /** Ground-truth pixels per class (the "foreground" of the per-1000-px rate). */
  truthPixels: Float64Array;
}

export function emptyObjectCounts(numClasses: number): ObjectCounts {
  return {
    numClasses,
    predictions: 0,
    truth: new Float64Array(numClasses * AREA_BIN_COUNT),
    detected: new Float64Array(numClasses * AREA_BIN_COUNT),
    overlapped: new Float64Array(numClasses * AREA_BIN_COUNT),
    predicted: new Float64Array(numClasses),
    spurious: new Float64Array(numClasses),
    truthPixels: new Float64Array(numClasses),
  };
}

/** Adds `parts` into one ObjectCounts (e.g. a bootstrap resample of images, or seeds). */
export function sumObjectCounts(parts: readonly ObjectCounts[], numClasses: number): ObjectCounts {
  const total = emptyObjectCounts(numClasses);
  for (const part of parts) {
    total.predictions += part.predictions;
    for (const key of ['truth', 'detected', 'overlapped', 'predicted', 'spurious', 'truthPixels'] as const) {
      const into = total[key];
      const from = part[key];
      for (let i = 0; i < into.length; i++) into[i] += from[i];
    }
  }
  return total;
}

/** A label array the run-length labelling takes (a copy only when `values` is another type). */
function asLabelArray(values: ArrayLike<number>): LabelArray {
  if (values instanceof Uint8Array || values instanceof Uint16Array) return values;
  return Uint16Array.from(values as ArrayLike<number>);
}

/** Which label values are foreground classes: 0..numClasses-1 but the background and the ignore index. */
function foregroundValues(labelValues: number, numClasses: number, ignoreIndex: number | null, background: number): Uint8Array {
  const valid = new Uint8Array(labelValues);
  for (let c = 0; c < Math.min(numClasses, labelValues); c++) if (c !== ignoreIndex && c !== background) valid[c] = 1;
  return valid;
}

/** Counts ground-truth objects found and predicted objects not in the truth, for one image. */
export function countObjects(
  labels: ArrayLike<number>,
  prediction: ArrayLike<number>,
  width: number,
  height: number,
  numClasses: number,
  ignoreIndex: number | null,
  /** The background class id (no objects); -1 when every class is foreground. */
  background = 0,
): ObjectCounts {
  const size = width * height;
  if (labels.length !== size || prediction.length !== size) {
    throw new RangeError(`labels and prediction must have ${size} pixels, got ${labels.length} and ${prediction.length}`);
  }
  const truthLabels = asLabelArray(labels);
  // Predictions on ignored pixels become `numClasses`, a value that is no class (so never labelled).
  const predLabels = numClasses < 256 ? new Uint8Array(size) : new Uint16Array(size);
  for (let i = 0; i < size; i++) predLabels[i] = ignoreIndex !== null && labels[i] === ignoreIndex ? numClasses : prediction[i];

  const truthIds = new Int32Array(size);
  const predIds = new Int32Array(size);
  const truthRuns = labelRuns(truthLabels, width, height, foregroundValues(truthLabels instanceof Uint8Array ? 256 : 65536, numClasses, ignoreIndex, background), truthIds);
  const predRuns = labelRuns(predLabels, width, height, foregroundValues(predLabels instanceof Uint8Array ? 256 : 65536, numClasses, ignoreIndex, background), predIds);

  // Overlap area of every (truth object, predicted object) pair of the same class. Pixels come in
  // runs of one pair, so consecutive pixels are counted locally before touching the map.
  const stride = predRuns.objectCount + 1;
  if ((truthRuns.objectCount + 1) * stride > Number.MAX_SAFE_INTEGER) throw new RangeError('too many objects to pair');
  const overlap = new Map<number, number>();
  let runKey = -1;
  let runCount = 0;
  const flush = () => {
    if (runKey >= 0) overlap.set(runKey, (overlap.get(runKey) ?? 0) + runCount);
  };
  for (let i = 0; i < size; i++) {
    const t = truthIds[i];
    const p = predIds[i];
    if (t === 0 || p === 0 || truthLabels[i] !== predLabels[i]) continue;
    const key = t * stride + p;
    if (key === runKey) runCount++;
    else {
      flush();
      runKey = key;
      runCount = 1;
    }
  }
  flush();

  const truthMatched = new Uint8Array(truthRuns.objectCount + 1);
  const truthTouched = new Uint8Array(truthRuns.objectCount + 1);
  const predTouched = new Uint8Array(predRuns.objectCount + 1);
  for (const [key, intersection] of overlap) {
    const t = Math.floor(key / stride);
    const p = key - t * stride;
    const union = truthRuns.objectArea[t] + predRuns.objectArea[p] - intersection;
    truthTouched[t] = 1;
    predTouched[p] = 1;
    if (intersection / union > MATCH_IOU) truthMatched[t] = 1;
  }

  const counts = emptyObjectCounts(numClasses);
  counts.predictions = 1;
  for (let t = 1; t <= truthRuns.objectCount; t++) {
    const at = truthRuns.objectClass[t] * AREA_BIN_COUNT + articleBinOf(truthRuns.objectArea[t]);
    counts.truth[at]++;
    counts.detected[at] += truthMatched[t];
    counts.overlapped[at] += truthTouched[t];
  }
  for (let p = 1; p <= predRuns.objectCount; p++) {
    const c = predRuns.objectClass[p];
    counts.predicted[c]++;
    if (!predTouched[p]) counts.spurious[c]++;
  }
  for (let c = 0; c < numClasses; c++) if (c !== ignoreIndex && c !== background) counts.truthPixels[c] = truthRuns.counts[c] ?? 0;
  return counts;
}

/** The object statistics a CI or a paired comparison can be asked for; `detectionRate:B` is area bin B's. */
export type ObjectStatistic = 'detectionRate' | 'anyOverlapRate' | `detectionRate:${number}` | 'spuriousPerImage' | 'spuriousPer1000Px';

/** Rates from (pooled) counts; NaN where a denominator is 0. */
export interface ObjectRates {
  detectionRate: number;
  anyOverlapRate: number;
  detectionRateByArea: number[];
  anyOverlapRateByArea: number[];
  spuriousPerImage: number;
  spuriousPer1000Px: number;
}

/** The totals of `counts` over all foreground classes, or over one class when `classId` is given. */
export function objectTotals(counts: ObjectCounts, classId?: number) {
  const classes = classId === undefined ? Array.from({ length: counts.numClasses - 1 }, (_, k) => k + 1) : [classId];
  const byArea = (array: Float64Array) => Array.from({ length: AREA_BIN_COUNT }, (_, bin) => classes.reduce((s, c) => s + array[c * AREA_BIN_COUNT + bin], 0));
  const sum = (array: Float64Array) => classes.reduce((s, c) => s + array[c], 0);
  const truth = byArea(counts.truth);
  const detected = byArea(counts.detected);
  const overlapped = byArea(counts.overlapped);
  return {
    truthByArea: truth,
    detectedByArea: detected,
    overlappedByArea: overlapped,
    truth: truth.reduce((a, b) => a + b, 0),
    detected: detected.reduce((a, b) => a + b, 0),
    overlapped: overlapped.reduce((a, b) => a + b, 0),
    predicted: sum(counts.predicted),
    spurious: sum(counts.spurious),
    truthPixels: sum(counts.truthPixels),
    predictions: counts.predictions,
  };
}

const rate = (num: number, den: number) => (den > 0 ? num / den : Number.NaN);

export function objectRates(counts: ObjectCounts, classId?: number): ObjectRates {
  const t = objectTotals(counts, classId);
  return {
    detectionRate: rate(t.detected, t.truth),
    anyOverlapRate: rate(t.overlapped, t.truth),
    detectionRateByArea: t.detectedByArea.map((d, bin) => rate(d, t.truthByArea[bin])),
    anyOverlapRateByArea: t.overlappedByArea.map((o, bin) => rate(o, t.truthByArea[bin])),
    spuriousPerImage: rate(t.spurious, t.predictions),
    spuriousPer1000Px: rate(1000 * t.spurious, t.truthPixels),
  };
}

/** One statistic of `objectRates`; NaN where undefined. */
export function pickObjectStatistic(rates: ObjectRates, statistic: ObjectStatistic): number {
  if (statistic.startsWith('detectionRate:')) return rates.detectionRateByArea[Number(statistic.slice('detectionRate:'.length))] ?? Number.NaN;
  return rates[statistic as Exclude<ObjectStatistic, `detectionRate:${number}`>];
}

/**
 * The foreground totals of one image's counts as a short vector (truth, detected and overlapped per
 * area bin, spurious, truth pixels, predictions), so that a bootstrap resample sums 15 numbers per
 * image instead of every class's arrays. summaryStatistic on a sum of summaries equals
 * pickObjectStatistic(objectRates(sumObjectCounts(...))) (a test checks it).
 */
export const OBJECT_SUMMARY_LENGTH = 3 * AREA_BIN_COUNT + 3;
const SUMMARY = { truth: 0, detected: AREA_BIN_COUNT, overlapped: 2 * AREA_BIN_COUNT, spurious: 3 * AREA_BIN_COUNT, truthPixels: 3 * AREA_BIN_COUNT + 1, predictions: 3 * AREA_BIN_COUNT + 2 } as const;

export function objectSummary(counts: ObjectCounts): Float64Array {
  const t = objectTotals(counts);
  const out = new Float64Array(OBJECT_SUMMARY_LENGTH);
  out.set(t.truthByArea, SUMMARY.truth);
  out.set(t.detectedByArea, SUMMARY.detected);
  out.set(t.overlappedByArea, SUMMARY.overlapped);
  out[SUMMARY.spurious] = t.spurious;
  out[SUMMARY.truthPixels] = t.truthPixels;
  out[SUMMARY.predictions] = t.predictions;
  return out;
}

/** One statistic from a sum of objectSummary vectors; NaN where undefined. */
export function summaryStatistic(sum: Float64Array, statistic: ObjectStatistic): number {
  const total = (from: number) => sum.subarray(from, from + AREA_BIN_COUNT).reduce((a, b) => a + b, 0);
  if (statistic.startsWith('detectionRate:')) {
    const bin = Number(statistic.slice('detectionRate:'.length));
    return bin >= 0 && bin < AREA_BIN_COUNT ? rate(sum[SUMMARY.detected + bin], sum[SUMMARY.truth + bin]) : Number.NaN;
  }
  switch (statistic) {
    case 'detectionRate':
      return rate(total(SUMMARY.detected), total(SUMMARY.truth));
    case 'anyOverlapRate':
      return rate(total(SUMMARY.overlapped), total(SUMMARY.truth));
    case 'spuriousPerImage':
      return rate(sum[SUMMARY.spurious], sum[SUMMARY.predictions]);
    case 'spuriousPer1000Px':
      return rate(1000 * sum[SUMMARY.spurious], sum[SUMMARY.truthPixels]);
    default:
      return Number.NaN;
  }
}
