/**
 * Tversky loss (Salehi et al. 2017; MONAI TverskyLoss with softmax=True).
 *
 * Per image and class (or per class over the batch when `batch`), sums over valid pixels:
 *   TP = sum p*t,  FP = sum p*(1-t),  FN = sum (1-p)*t
 *   TI = (TP + smoothNr) / (TP + alpha*FP + beta*FN + smoothDr),   f = 1 - TI
 * Loss = mean of f over classes (class 0 dropped unless includeBackground), then over images with
 * at least one valid pixel. alpha = beta = 0.5 is the Dice loss.
 */
import * as tf from '@tensorflow/tfjs';
import { divideSafely, overlapStatistics, perImageClassLosses, reduceClassLosses, segmentationTargets, selectClasses, type Targets } from './targets.js';

export interface TverskyOptions {
  alpha: number;
  beta: number;
  includeBackground: boolean;
  batch: boolean;
  smoothNr: number;
  smoothDr: number;
  ignoreIndex: number | null;
}

/** The Tversky index TI per class: [N,C'] per image or [C'] over the batch. */
export function tverskyIndex(logits: tf.Tensor4D, targets: Targets, options: TverskyOptions): tf.Tensor {
  const { intersection, predSum, targetSum } = overlapStatistics(logits, targets, { batch: options.batch });
  const tp = selectClasses(intersection, options.includeBackground);
  const fp = tf.sub(selectClasses(predSum, options.includeBackground), tp);
  const fn = tf.sub(selectClasses(targetSum, options.includeBackground), tp);
  const denominator = tf.add(tf.add(tf.add(tp, tf.mul(fp, options.alpha)), tf.mul(fn, options.beta)), options.smoothDr);
  return divideSafely(tf.add(tp, options.smoothNr), denominator);
}

export function tverskyLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, options: TverskyOptions): tf.Scalar {
  return tf.tidy(() => {
    const targets = segmentationTargets(labels, logits.shape[3], options.ignoreIndex);
    return reduceClassLosses(tf.sub(1, tverskyIndex(logits, targets, options)), targets.valid, options.batch);
  });
}

export function tverskyPerImage(logits: tf.Tensor4D, labels: tf.Tensor3D, options: TverskyOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const targets = segmentationTargets(labels, logits.shape[3], options.ignoreIndex);
    return perImageClassLosses(tf.sub(1, tverskyIndex(logits, targets, { ...options, batch: false })), targets.valid);
  });
}
