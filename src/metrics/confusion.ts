/**
 * Confusion-based segmentation metrics on plain typed arrays (no tfjs), for verify's validation.
 *
 * counts[t * C + p] = number of valid pixels with true class t predicted as p; pixels whose label
 * is the ignore index count nowhere. Per class c, with TP, FP (predicted c, label not c) and FN:
 *   Dice = 2TP / (2TP + FP + FN)   IoU = TP / (TP + FP + FN)
 *   recall = TP / (TP + FN)        precision = TP / (TP + FP)
 * A ratio whose denominator is 0 is null ("undefined"), never 0 or 1: Dice and IoU are null when
 * the class is absent from both the labels and the predictions, recall when it is absent from the
 * labels, precision when it is never predicted. Averages should skip nulls.
 */
import { UserError } from '../common/errors.js';

export interface ConfusionMatrix {
  numClasses: number;
  /** Row-major C x C: counts[truth * C + prediction]. */
  counts: Float64Array;
}

export interface ClassScores {
  classId: number;
  truePositive: number;
  falsePositive: number;
  falseNegative: number;
  dice: number | null;
  iou: number | null;
  recall: number | null;
  precision: number | null;
}

export function emptyConfusion(numClasses: number): ConfusionMatrix {
  return { numClasses, counts: new Float64Array(numClasses * numClasses) };
}

/** Adds one image (or batch) of labels and predictions to `into` and returns it. */
export function accumulateConfusion(
  into: ConfusionMatrix,
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  ignoreIndex: number | null,
): ConfusionMatrix {
  const { numClasses: classes, counts } = into;
  if (labels.length !== predictions.length) {
    throw new UserError(`labels (${labels.length} pixels) and predictions (${predictions.length}) differ in size`, { exitCode: 1 });
  }
  for (let i = 0; i < labels.length; i++) {
    const truth = labels[i];
    if (truth === ignoreIndex) continue;
    const predicted = predictions[i];
    if (!(truth >= 0 && truth < classes) || !Number.isInteger(truth)) {
      throw new UserError(`label ${truth} is outside 0..${classes - 1} and is not the ignore index (${ignoreIndex})`);
    }
    if (!(predicted >= 0 && predicted < classes) || !Number.isInteger(predicted)) {
      throw new UserError(`prediction ${predicted} is outside 0..${classes - 1}`, { exitCode: 1 });
    }
    counts[truth * classes + predicted]++;
  }
  return into;
}

export function confusionCounts(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  numClasses: number,
  ignoreIndex: number | null,
): ConfusionMatrix {
  return accumulateConfusion(emptyConfusion(numClasses), labels, predictions, ignoreIndex);
}

/** Sum of several confusion matrices (e.g. per-image ones for a bootstrap resample). */
export function sumConfusions(matrices: ConfusionMatrix[], numClasses: number): ConfusionMatrix {
  const total = emptyConfusion(numClasses);
  for (const m of matrices) for (let i = 0; i < total.counts.length; i++) total.counts[i] += m.counts[i];
  return total;
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);

export function perClassScores(matrix: ConfusionMatrix): ClassScores[] {
  const { numClasses: classes, counts } = matrix;
  const scores: ClassScores[] = [];
  for (let c = 0; c < classes; c++) {
    let rowSum = 0;
    let colSum = 0;
    for (let k = 0; k < classes; k++) {
      rowSum += counts[c * classes + k];
      colSum += counts[k * classes + c];
    }
    const tp = counts[c * classes + c];
    const fp = colSum - tp;
    const fn = rowSum - tp;
    scores.push({
      classId: c,
      truePositive: tp,
      falsePositive: fp,
      falseNegative: fn,
      dice: ratio(2 * tp, 2 * tp + fp + fn),
      iou: ratio(tp, tp + fp + fn),
      recall: ratio(tp, tp + fn),
      precision: ratio(tp, tp + fp),
    });
  }
  return scores;
}

/** Mean of the non-null values, or null when all are null. */
export function meanOfDefined(values: Array<number | null>): number | null {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (v !== null) {
      sum += v;
      n++;
    }
  }
  return n ? sum / n : null;
}

/**
 * Per-pixel argmax over the last axis of NHWC (or HWC) scores: the class with the largest value,
 * the lowest id on ties (numpy argmax).
 */
export function argmaxClasses(scores: ArrayLike<number>, numClasses: number): Uint8Array | Uint16Array {
  const pixels = scores.length / numClasses;
  if (!Number.isInteger(pixels)) throw new RangeError(`scores length ${scores.length} is not a multiple of ${numClasses} classes`);
  const out = numClasses <= 256 ? new Uint8Array(pixels) : new Uint16Array(pixels);
  for (let i = 0, base = 0; i < pixels; i++, base += numClasses) {
    let best = 0;
    let bestValue = scores[base];
    for (let c = 1; c < numClasses; c++) {
      const v = scores[base + c];
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}
