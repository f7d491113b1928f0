/**
 * Shared building blocks of every loss: one-hot targets with the ignore index masked out,
 * softmax statistics per image and class, and divisions that cannot produce NaN.
 *
 * Layout conventions: logits are NHWC float32 [N,H,W,C]; labels are int32 [N,H,W]. A pixel is
 * *valid* when its label differs from the ignore index; ignored pixels count in no term.
 */
import * as tf from '@tensorflow/tfjs';

export interface Targets {
  /** One-hot labels [N,H,W,C] (float32), all zero at ignored pixels. */
  oneHot: tf.Tensor4D;
  /** 1 at valid pixels and 0 at ignored ones, [N,H,W,1]. */
  valid: tf.Tensor4D;
}

/** tf.oneHot with a float32 dtype writes int bits on the wasm backend (4.22): make int32, then cast. */
function oneHotFloat(classIds: tf.Tensor3D, numClasses: number): tf.Tensor4D {
  return tf.cast(tf.oneHot(classIds, numClasses), 'float32') as tf.Tensor4D;
}

export function segmentationTargets(labels: tf.Tensor3D, numClasses: number, ignoreIndex: number | null): Targets {
  if (ignoreIndex === null) {
    return {
      oneHot: oneHotFloat(labels, numClasses),
      valid: tf.onesLike(labels).toFloat().expandDims(3) as tf.Tensor4D,
    };
  }
  const isValid = tf.notEqual(labels, tf.scalar(ignoreIndex, 'int32'));
  const classIds = tf.where(isValid, labels, tf.zerosLike(labels));
  const valid = isValid.toFloat().expandDims(3) as tf.Tensor4D;
  const oneHot = tf.mul(oneHotFloat(classIds, numClasses), valid) as tf.Tensor4D;
  return { oneHot, valid };
}

/**
 * Sum over `axes` (default: all), one axis at a time from the last. The wasm backend accumulates a
 * reduction in float32 in one pass; summing rows first keeps each pass short and the total accurate
 * (a 480-value sum was off by 6e-6 in one pass, 1e-7 this way).
 */
export function sumPixels<T extends tf.Tensor>(x: tf.Tensor, axes?: number[]): T {
  const order = [...(axes ?? x.shape.map((_, axis) => axis))].sort((a, b) => b - a);
  let result: tf.Tensor = x;
  for (const axis of order) result = tf.sum(result, axis);
  return result as T;
}

/** Axes to sum a [N,H,W,C] tensor over: per image and class ([N,C]) or over the whole batch ([C]). */
export function statisticAxes(batch: boolean): number[] {
  return batch ? [0, 1, 2] : [1, 2];
}

/**
 * num / den where den depends on labels only (a constant for the gradient): a zero denominator
 * (no valid pixel, or only zero-weight classes) gives 0 instead of NaN.
 */
export function divideByCount<T extends tf.Tensor>(num: T, den: tf.Tensor): T {
  const safe = tf.where(tf.greater(den, 0), den, tf.onesLike(den));
  return tf.div(num, safe) as T;
}

/**
 * num / den where den depends on the prediction: den is floored at 1e-12, which only happens
 * when a set has no valid pixel and zero smoothing; the gradient then stays finite.
 */
export function divideSafely<T extends tf.Tensor>(num: T, den: tf.Tensor): T {
  return tf.div(num, tf.maximum(den, 1e-12)) as T;
}

/** Per-image flag [N]: 1 when the image has at least one valid pixel. */
export function validImages(valid: tf.Tensor4D): tf.Tensor1D {
  return tf.cast(tf.greater(tf.sum(valid, [1, 2, 3]), 0), 'float32') as tf.Tensor1D;
}

/**
 * Mean of per-image losses over the images that have at least one valid pixel (an image that
 * is entirely ignored contributes nothing); 0 when there is none.
 */
export function meanOverValidImages(perImage: tf.Tensor1D, valid: tf.Tensor4D): tf.Scalar {
  const flags = validImages(valid);
  return divideByCount(tf.sum(tf.mul(perImage, flags)), tf.sum(flags)) as tf.Scalar;
}

/** Drops class 0 from per-class statistics (last axis) unless the background is included. */
export function selectClasses<T extends tf.Tensor>(perClass: T, includeBackground: boolean): T {
  if (includeBackground) return perClass;
  const classes = perClass.shape[perClass.rank - 1];
  const begin = perClass.shape.map((_, axis) => (axis === perClass.rank - 1 ? 1 : 0));
  const size = perClass.shape.map((extent, axis) => (axis === perClass.rank - 1 ? classes - 1 : extent));
  return tf.slice(perClass, begin, size) as T;
}

export interface OverlapStatistics {
  /** sum p*t over valid pixels: [N,C] per image or [C] over the batch. */
  intersection: tf.Tensor;
  /** sum p (or p^2 when squared) over valid pixels. */
  predSum: tf.Tensor;
  /** sum t over valid pixels (t is 0/1 so t^2 = t). */
  targetSum: tf.Tensor;
}

/** Softmax probabilities compared with one-hot targets, summed per image (or batch) and class. */
export function overlapStatistics(
  logits: tf.Tensor4D,
  targets: Targets,
  options: { batch: boolean; squaredPred?: boolean },
): OverlapStatistics {
  const axes = statisticAxes(options.batch);
  const probs = tf.mul(tf.softmax(logits), targets.valid);
  return {
    intersection: sumPixels(tf.mul(probs, targets.oneHot), axes),
    predSum: sumPixels(options.squaredPred ? tf.square(probs) : probs, axes),
    targetSum: sumPixels(targets.oneHot, axes),
  };
}

/**
 * Reduces per-class losses to the batch loss: [C] (batch statistics) -> mean over classes, 0 when
 * the batch has no valid pixel; [N,C] -> mean over classes, then over images with valid pixels.
 */
export function reduceClassLosses(perClass: tf.Tensor, valid: tf.Tensor4D, batch: boolean): tf.Scalar {
  if (batch) return tf.mul(tf.mean(perClass), tf.cast(tf.greater(tf.sum(valid), 0), 'float32')) as tf.Scalar;
  return meanOverValidImages(tf.mean(perClass, 1) as tf.Tensor1D, valid);
}

/** Per-image losses [N] from per-class losses [N,C]: mean over classes, 0 for an image without valid pixels. */
export function perImageClassLosses(perClass: tf.Tensor, valid: tf.Tensor4D): tf.Tensor1D {
  return tf.mul(tf.mean(perClass, 1), validImages(valid)) as tf.Tensor1D;
}
