/**
 * Focal Tversky loss (Abraham & Khan 2019).
 *
 *   TI as in the Tversky loss (per image and class, or per class over the batch)
 *   f = (1 - TI)^gamma,   loss = mean of f over classes, then over images with valid pixels
 * Abraham & Khan write the exponent as 1/gamma with gamma = 4/3; here `gamma` is the exponent
 * itself (default 0.75). (1 - TI) is floored at 1e-12 so a perfect prediction with gamma < 1 keeps
 * a finite (zero) gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { perImageClassLosses, reduceClassLosses, segmentationTargets } from './targets.js';
import { tverskyIndex, type TverskyOptions } from './tversky.js';

export interface FocalTverskyOptions extends TverskyOptions {
  gamma: number;
}

function focalTverskyClassLosses(logits: tf.Tensor4D, labels: tf.Tensor3D, options: FocalTverskyOptions) {
  const targets = segmentationTargets(labels, logits.shape[3], options.ignoreIndex);
  const distance = tf.maximum(tf.sub(1, tverskyIndex(logits, targets, options)), 1e-12);
  return { perClass: tf.pow(distance, options.gamma), valid: targets.valid };
}

export function focalTverskyLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, options: FocalTverskyOptions): tf.Scalar {
  return tf.tidy(() => {
    const { perClass, valid } = focalTverskyClassLosses(logits, labels, options);
    return reduceClassLosses(perClass, valid, options.batch);
  });
}

export function focalTverskyPerImage(logits: tf.Tensor4D, labels: tf.Tensor3D, options: FocalTverskyOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const { perClass, valid } = focalTverskyClassLosses(logits, labels, { ...options, batch: false });
    return perImageClassLosses(perClass, valid);
  });
}
