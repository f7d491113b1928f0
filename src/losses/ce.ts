/**
 * Cross-entropy over softmax probabilities, with optional class weights and label smoothing
 * (torch.nn.functional.cross_entropy conventions).
 *
 *   per valid pixel i with true class y_i:  nll_i = -log p_{i,y_i},  smooth_i = -sum_c w_c log p_{i,c}
 *   CE = [ (1-e) * sum_i w_{y_i} nll_i + (e/C) * sum_i smooth_i ] / sum_i w_{y_i}
 *
 * With no class weights (w = 1) this is the mean over valid pixels of -sum_c q_c log p_c with the
 * smoothed target q = (1-e)*onehot + e/C. With weights it is torch's weighted mean: weighted sum
 * divided by the sum of the true-class weights. Ignored pixels count in no sum; with no valid pixel
 * (or only zero-weight classes) the loss is 0.
 * Per image: the same ratio with both sums taken over that image only.
 */
import * as tf from '@tensorflow/tfjs';
import { divideByCount, segmentationTargets, sumPixels, type Targets } from './targets.js';

export interface CrossEntropyOptions {
  /** e in [0,1]: target = (1-e)*onehot + e/C. */
  labelSmoothing: number;
  /** Per-class weights w_c (length C) or null for none. */
  classWeights: number[] | null;
  ignoreIndex: number | null;
}

export interface CrossEntropyTerms {
  /** Per-pixel weighted loss [N,H,W]: (1-e) w_y nll + (e/C) smooth; 0 at ignored pixels. */
  weightedLoss: tf.Tensor3D;
  /** Per-pixel weight of the true class [N,H,W]; 0 at ignored pixels (1 at valid ones without weights). */
  trueClassWeight: tf.Tensor3D;
}

/** Per-pixel terms; `targets` may be passed in when a compound loss already built them. */
export function crossEntropyTerms(logits: tf.Tensor4D, labels: tf.Tensor3D, options: CrossEntropyOptions, targets?: Targets): CrossEntropyTerms {
  const numClasses = logits.shape[3];
  const { oneHot, valid } = targets ?? segmentationTargets(labels, numClasses, options.ignoreIndex);
  const logProbs = tf.logSoftmax(logits);
  const weights = options.classWeights ? tf.tensor1d(options.classWeights, 'float32') : null;
  const weightedOneHot = weights ? tf.mul(oneHot, weights) : oneHot;
  const trueClassWeight = tf.sum(weightedOneHot, 3) as tf.Tensor3D;
  const nll = tf.neg(tf.sum(tf.mul(weightedOneHot, logProbs), 3)) as tf.Tensor3D;
  const e = options.labelSmoothing;
  if (e === 0) return { weightedLoss: nll, trueClassWeight };
  const weightedLogProbs = weights ? tf.mul(logProbs, weights) : logProbs;
  const smooth = tf.mul(tf.neg(tf.sum(weightedLogProbs, 3)), tf.squeeze(valid, [3]));
  const weightedLoss = tf.add(tf.mul(nll, 1 - e), tf.mul(smooth, e / numClasses)) as tf.Tensor3D;
  return { weightedLoss, trueClassWeight };
}

export function crossEntropyLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, options: CrossEntropyOptions): tf.Scalar {
  return tf.tidy(() => {
    const { weightedLoss, trueClassWeight } = crossEntropyTerms(logits, labels, options);
    return divideByCount(sumPixels(weightedLoss), sumPixels(trueClassWeight)) as tf.Scalar;
  });
}

export function crossEntropyPerImage(logits: tf.Tensor4D, labels: tf.Tensor3D, options: CrossEntropyOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const { weightedLoss, trueClassWeight } = crossEntropyTerms(logits, labels, options);
    return divideByCount(sumPixels(weightedLoss, [1, 2]), sumPixels(trueClassWeight, [1, 2])) as tf.Tensor1D;
  });
}
