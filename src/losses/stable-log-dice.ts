/**
 * The article's stable log Dice (its StableDiceLoss, made multi-class with softmax).
 *
 * Per image and class, sums over valid pixels:
 *   d = (2 * sum p*t + smooth) / (sum p + sum t + smooth)
 *   loss = mean over classes and images of -log(max(d, clampMin))
 * The log tames the gradient when Dice is small; the clamp bounds the loss at -log(clampMin) and
 * zeroes the gradient below it (torch clamp_min). A clampMin of 0 is floored at 1e-12 so the loss
 * stays finite. `includeBackground` and `batch` (used when Combo picks this form) behave as in
 * Dice; the article's form counts every class per image. Images with no valid pixel are left out.
 */
import * as tf from '@tensorflow/tfjs';
import { divideSafely, overlapStatistics, perImageClassLosses, reduceClassLosses, segmentationTargets, selectClasses, type Targets } from './targets.js';

export interface StableLogDiceOptions {
  smooth: number;
  clampMin: number;
  includeBackground: boolean;
  batch: boolean;
  ignoreIndex: number | null;
}

export function stableLogDiceClassLosses(logits: tf.Tensor4D, targets: Targets, options: StableLogDiceOptions): tf.Tensor {
  const { intersection, predSum, targetSum } = overlapStatistics(logits, targets, { batch: options.batch });
  const inter = selectClasses(intersection, options.includeBackground);
  const union = selectClasses(tf.add(predSum, targetSum), options.includeBackground);
  const dice = divideSafely(tf.add(tf.mul(inter, 2), options.smooth), tf.add(union, options.smooth));
  return tf.neg(tf.log(tf.maximum(dice, Math.max(options.clampMin, 1e-12))));
}

export function stableLogDiceLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, options: StableLogDiceOptions): tf.Scalar {
  return tf.tidy(() => {
    const targets = segmentationTargets(labels, logits.shape[3], options.ignoreIndex);
    return reduceClassLosses(stableLogDiceClassLosses(logits, targets, options), targets.valid, options.batch);
  });
}

export function stableLogDicePerImage(logits: tf.Tensor4D, labels: tf.Tensor3D, options: StableLogDiceOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const targets = segmentationTargets(labels, logits.shape[3], options.ignoreIndex);
    return perImageClassLosses(stableLogDiceClassLosses(logits, targets, { ...options, batch: false }), targets.valid);
  });
}
