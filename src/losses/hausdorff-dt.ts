/**
 * Hausdorff distance-transform loss (Karimi & Salcudean 2019) with MONAI's HausdorffDTLoss
 * conventions (softmax=True, to_onehot_y=True, defaults alpha 2, include_background False, batch
 * False, reduction mean), per image b and included class k:
 *   dp = distance field of the predicted mask p_k > 0.5, dt = distance field of the target mask
 *        (distance-maps.ts unsignedDistanceField: each pixel's distance to the other side; 0 for
 *        an empty or full mask), both outside the gradient (MONAI: torch.no_grad, .detach())
 *   f  = mean over the image's valid pixels of (p_k - t_k)^2 * (dp^alpha + dt^alpha)
 * loss = mean of f over classes and images (batch=true: f pools the valid pixels of the whole
 * batch per class; the fields are still per image, as in MONAI).
 * Ignore index: ignored pixels are out of every mean and in no target mask (as for the boundary
 * loss); the predicted mask is the prediction at every pixel, ignored or not, as MONAI sees it.
 * An image without valid pixels is left out of the image mean (0 when none is valid).
 * Per image: the class mean of f for each image (batch=false only).
 */
import * as tf from '@tensorflow/tfjs';
import { classMask, unsignedDistanceField } from './distance-maps.js';
import { divideByCount, meanOverValidImages, segmentationTargets, selectClasses, sumPixels, validImages } from './targets.js';

export interface HausdorffDTOptions {
  alpha: number;
  includeBackground: boolean;
  batch: boolean;
  ignoreIndex: number | null;
}

/** dp^alpha + dt^alpha per pixel and class [N,H,W,C] (0 at ignored pixels), from the labels and the detached probabilities. */
function distanceWeights(probs: Float32Array | Int32Array | Uint8Array, labels: ArrayLike<number>, shape: [number, number, number, number], options: HausdorffDTOptions): Float32Array {
  const [n, h, w, c] = shape;
  const size = h * w;
  const weights = new Float32Array(n * size * c);
  const predicted = new Uint8Array(size);
  for (let image = 0; image < n; image++) {
    for (let k = 0; k < c; k++) {
      for (let i = 0; i < size; i++) predicted[i] = probs[(image * size + i) * c + k] > 0.5 ? 1 : 0;
      const dp = unsignedDistanceField(predicted, h, w);
      const dt = k === options.ignoreIndex ? null : unsignedDistanceField(classMask(labels, image * size, size, k), h, w);
      for (let i = 0; i < size; i++) {
        if (labels[image * size + i] === options.ignoreIndex) continue;
        weights[(image * size + i) * c + k] = (dp ? Math.pow(dp[i], options.alpha) : 0) + (dt ? Math.pow(dt[i], options.alpha) : 0);
      }
    }
  }
  return weights;
}

/** f per class: [N,C'] per image or [C'] pooled over the batch; also the valid mask. */
function hausdorffClassLosses(logits: tf.Tensor4D, labels: tf.Tensor3D, options: HausdorffDTOptions, batch: boolean) {
  const [n, h, w, c] = logits.shape;
  const targets = segmentationTargets(labels, c, options.ignoreIndex);
  const probs = tf.softmax(logits);
  const weights = tf.tensor4d(distanceWeights(probs.dataSync() as Float32Array, labels.dataSync(), [n, h, w, c], options), [n, h, w, c], 'float32');
  const terms = selectClasses(tf.mul(tf.square(tf.sub(probs, targets.oneHot)), weights), options.includeBackground);
  const axes = batch ? [0, 1, 2] : [1, 2];
  const counts = sumPixels(targets.valid, axes);
  return { perClass: divideByCount(sumPixels(terms, axes), counts), valid: targets.valid };
}

export function hausdorffDTLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, options: HausdorffDTOptions): tf.Scalar {
  return tf.tidy(() => {
    const { perClass, valid } = hausdorffClassLosses(logits, labels, options, options.batch);
    if (options.batch) return tf.mean(perClass) as tf.Scalar;
    return meanOverValidImages(tf.mean(perClass, 1) as tf.Tensor1D, valid);
  });
}

export function hausdorffDTPerImage(logits: tf.Tensor4D, labels: tf.Tensor3D, options: HausdorffDTOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const { perClass, valid } = hausdorffClassLosses(logits, labels, options, false);
    return tf.mul(tf.mean(perClass, 1), validImages(valid)) as tf.Tensor1D;
  });
}
