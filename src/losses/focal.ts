/**
 * Focal loss, softmax form (MONAI FocalLoss with use_softmax=True, reduction "mean").
 *
 *   term_{i,c} = -a_c * w_c * (1 - p_{i,c})^gamma * log p_{i,c} * q_{i,c}
 *   Focal = sum over valid pixels i and classes c of term_{i,c} / (valid pixels * C)
 *
 * q is the target: the one-hot t without label smoothing; with label smoothing e,
 * q = (1-e)*t + e/C (torch's label_smoothing target, as ce.ts uses). Every class of a pixel then
 * contributes its own focal term with its own modulation (1 - p_c)^gamma and its own a_c * w_c:
 * the convention of Keras's CategoricalFocalCrossentropy(label_smoothing=e), which smooths y_true
 * the same way and sums alpha * (1 - p_c)^gamma * (-q_c log p_c) over the classes. (MONAI,
 * kornia, smp and mmdet focal losses have no label smoothing; the other variant seen in the wild,
 * (1 - p_true)^gamma times smoothed CE, is no library's.) With e = 0 this is exactly the loss
 * without smoothing (the one-hot path is used unchanged); with gamma = 0 and no alpha it is the
 * smoothed CE of ce.ts divided by C.
 *
 * a_c (alpha, optional) is 1-alpha for class 0 and alpha for every other class, as MONAI's
 * softmax_focal_loss does; w_c are the optional class weights, applied per class as MONAI's
 * `weight` (no renormalisation). gamma = 0 and no alpha is CE divided by C. (1-p) is computed as
 * -expm1(log p) for accuracy near p = 1 and floored at 1e-12 so gamma < 1 keeps a finite gradient.
 * Per image: the same with the sums and the count taken over that image.
 */
import * as tf from '@tensorflow/tfjs';
import { divideByCount, segmentationTargets, sumPixels } from './targets.js';

export interface FocalOptions {
  gamma: number;
  /** null: no alpha weighting. */
  alpha: number | null;
  /** e in [0,1]: target q = (1-e)*onehot + e/C at valid pixels; 0 = plain one-hot targets. */
  labelSmoothing: number;
  classWeights: number[] | null;
  ignoreIndex: number | null;
}

function focalTerms(logits: tf.Tensor4D, labels: tf.Tensor3D, options: FocalOptions): { terms: tf.Tensor4D; valid: tf.Tensor4D } {
  const numClasses = logits.shape[3];
  const { oneHot, valid } = segmentationTargets(labels, numClasses, options.ignoreIndex);
  const logProbs = tf.logSoftmax(logits);
  const oneMinusP = tf.maximum(tf.neg(tf.expm1(logProbs)), 1e-12);
  const modulation = options.gamma === 0 ? tf.onesLike(oneMinusP) : tf.pow(oneMinusP, options.gamma);
  const e = options.labelSmoothing;
  // q = (1-e)*onehot + (e/C)*valid: ignored pixels keep a zero target, so they add nothing.
  const target = e === 0 ? oneHot : tf.add(tf.mul(oneHot, 1 - e), tf.mul(valid, e / numClasses));
  let terms = tf.neg(tf.mul(tf.mul(modulation, logProbs), target)) as tf.Tensor4D;
  const classFactors = focalClassFactors(numClasses, options);
  if (classFactors) terms = tf.mul(terms, tf.tensor1d(classFactors, 'float32'));
  return { terms, valid };
}

/** a_c * w_c per class, or null when both are absent. */
function focalClassFactors(numClasses: number, options: FocalOptions): number[] | null {
  if (options.alpha === null && !options.classWeights) return null;
  return Array.from({ length: numClasses }, (_, c) => {
    const alphaFactor = options.alpha === null ? 1 : c === 0 ? 1 - options.alpha : options.alpha;
    return alphaFactor * (options.classWeights ? options.classWeights[c] : 1);
  });
}

export function focalLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, options: FocalOptions): tf.Scalar {
  return tf.tidy(() => {
    const { terms, valid } = focalTerms(logits, labels, options);
    return divideByCount(sumPixels(terms), tf.mul(tf.sum(valid), logits.shape[3])) as tf.Scalar;
  });
}

export function focalPerImage(logits: tf.Tensor4D, labels: tf.Tensor3D, options: FocalOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const { terms, valid } = focalTerms(logits, labels, options);
    return divideByCount(sumPixels(terms, [1, 2, 3]), tf.mul(tf.sum(valid, [1, 2, 3]), logits.shape[3])) as tf.Tensor1D;
  });
}
