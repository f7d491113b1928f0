/**
 * Generalized Dice loss (Sudre et al. 2017; MONAI GeneralizedDiceLoss with softmax=True).
 *
 * Per image (or over the whole batch when `batch`), sums over valid pixels per class c:
 *   I_c = sum p*t,  P_c = sum p,  T_c = sum t,  w_c = 1/T_c^2 (square) | 1/T_c (simple) | 1 (uniform)
 *   f = 1 - (2 * sum_c w_c I_c + smoothNr) / (sum_c w_c (P_c + T_c) + smoothDr)
 * A class absent from the image (T_c = 0, infinite weight) takes that image's largest finite
 * weight (MONAI's rule); the weights depend on the labels only. Loss = mean of f over images with
 * at least one valid pixel. Class 0 is dropped before weighting unless includeBackground.
 */
import * as tf from '@tensorflow/tfjs';
import { divideSafely, meanOverValidImages, overlapStatistics, segmentationTargets, selectClasses, validImages, type Targets } from './targets.js';

export type GeneralizedDiceWeightType = 'square' | 'simple' | 'uniform';

export interface GeneralizedDiceOptions {
  weightType: GeneralizedDiceWeightType;
  includeBackground: boolean;
  batch: boolean;
  smoothNr: number;
  smoothDr: number;
  ignoreIndex: number | null;
}

/** w_c from the target sums (last axis = classes), absent classes replaced by the largest finite weight. */
function classWeightsFromTargets(targetSum: tf.Tensor, weightType: GeneralizedDiceWeightType): tf.Tensor {
  if (weightType === 'uniform') return tf.onesLike(targetSum);
  const present = tf.greater(targetSum, 0);
  const safeSum = tf.where(present, targetSum, tf.onesLike(targetSum));
  const finite = tf.where(present, tf.div(1, weightType === 'square' ? tf.square(safeSum) : safeSum), tf.zerosLike(targetSum));
  const largest = tf.max(finite, -1, true);
  return tf.where(present, finite, tf.mul(tf.onesLike(finite), largest));
}

/** f per image [N], or a scalar with batch statistics. */
function generalizedDiceValues(logits: tf.Tensor4D, targets: Targets, options: GeneralizedDiceOptions): tf.Tensor {
  const stats = overlapStatistics(logits, targets, { batch: options.batch });
  const intersection = selectClasses(stats.intersection, options.includeBackground);
  const targetSum = selectClasses(stats.targetSum, options.includeBackground);
  const denominator = selectClasses(tf.add(stats.predSum, stats.targetSum), options.includeBackground);
  const weights = classWeightsFromTargets(targetSum, options.weightType);
  const numerator = tf.add(tf.mul(tf.sum(tf.mul(intersection, weights), -1), 2), options.smoothNr);
  return tf.sub(1, divideSafely(numerator, tf.add(tf.sum(tf.mul(denominator, weights), -1), options.smoothDr)));
}

export function generalizedDiceLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, options: GeneralizedDiceOptions): tf.Scalar {
  return tf.tidy(() => {
    const targets = segmentationTargets(labels, logits.shape[3], options.ignoreIndex);
    const values = generalizedDiceValues(logits, targets, options);
    if (options.batch) return tf.mul(values, tf.cast(tf.greater(tf.sum(targets.valid), 0), 'float32')) as tf.Scalar;
    return meanOverValidImages(values as tf.Tensor1D, targets.valid);
  });
}

export function generalizedDicePerImage(logits: tf.Tensor4D, labels: tf.Tensor3D, options: GeneralizedDiceOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const targets = segmentationTargets(labels, logits.shape[3], options.ignoreIndex);
    return tf.mul(generalizedDiceValues(logits, targets, { ...options, batch: false }), validImages(targets.valid)) as tf.Tensor1D;
  });
}
