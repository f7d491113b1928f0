/**
 * Soft Dice loss (MONAI DiceLoss with softmax=True, to_onehot_y=True; its defaults).
 *
 * Per image and class (or per class over the whole batch when `batch`), sums over valid pixels:
 *   I = sum p*t,  P = sum p (sum p^2 if squaredPred),  T = sum t
 *   den = P + T   (jaccard: 2*(P + T - I))
 *   f = 1 - (2*I + smoothNr) / (den + smoothDr)
 * Dice = mean of f over classes (class 0 dropped unless includeBackground) and then over images.
 * An image whose pixels are all ignored is left out of the image mean (0 when none is valid).
 * Class weights do not apply to Dice (they weight CE terms only).
 * Per image: the class mean of f for each image (batch=false only).
 */
import * as tf from '@tensorflow/tfjs';
import { divideSafely, overlapStatistics, perImageClassLosses, reduceClassLosses, segmentationTargets, selectClasses, type Targets } from './targets.js';

export interface DiceOptions {
  includeBackground: boolean;
  squaredPred: boolean;
  jaccard: boolean;
  batch: boolean;
  smoothNr: number;
  smoothDr: number;
  ignoreIndex: number | null;
}

/** f per class: [N,C'] per image or [C'] with batch statistics. */
export function diceClassLosses(logits: tf.Tensor4D, targets: Targets, options: DiceOptions): tf.Tensor {
  const { intersection, predSum, targetSum } = overlapStatistics(logits, targets, options);
  const inter = selectClasses(intersection, options.includeBackground);
  const both = selectClasses(tf.add(predSum, targetSum), options.includeBackground);
  const denominator = options.jaccard ? tf.mul(tf.sub(both, inter), 2) : both;
  const ratio = divideSafely(tf.add(tf.mul(inter, 2), options.smoothNr), tf.add(denominator, options.smoothDr));
  return tf.sub(1, ratio);
}

export function diceLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, options: DiceOptions): tf.Scalar {
  return tf.tidy(() => {
    const targets = segmentationTargets(labels, logits.shape[3], options.ignoreIndex);
    return reduceClassLosses(diceClassLosses(logits, targets, options), targets.valid, options.batch);
  });
}

export function dicePerImage(logits: tf.Tensor4D, labels: tf.Tensor3D, options: DiceOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const targets = segmentationTargets(labels, logits.shape[3], options.ignoreIndex);
    return perImageClassLosses(diceClassLosses(logits, targets, { ...options, batch: false }), targets.valid);
  });
}
