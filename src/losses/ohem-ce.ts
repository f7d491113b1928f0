/**
 * OHEM cross-entropy (online hard example mining over pixels, as in the article's satellite recipe).
 *
 *   l_i = per-pixel CE of valid pixel i (label smoothing as in ce.ts, no class weights)
 *   k   = ceil(keepRatio * number of valid pixels), at least 1 (a 1e-9 tolerance keeps 0.1*30 at 3)
 *   K   = the k pixels with the largest l_i; among pixels tied with the k-th largest value, the
 *         first ones in NHWC order, so exactly k pixels are kept
 *   OHEM = sum_{i in K} w_{y_i} l'_i / sum_{i in K} w_{y_i}
 * where l'_i is the class-weighted CE term of ce.ts (= l_i and w = 1 without class weights, so
 * OHEM is the plain mean of the k largest per-pixel CE values). Hardness is ranked on unweighted
 * CE. The selection runs outside the gradient (a 0/1 mask built from the values), so the loss is
 * differentiable through the kept pixels only and uses no gather/topk kernels.
 * Per image: k and K are chosen within each image.
 */
import * as tf from '@tensorflow/tfjs';
import { crossEntropyTerms, type CrossEntropyOptions, type CrossEntropyTerms } from './ce.js';
import { divideByCount, sumPixels, type Targets } from './targets.js';

export interface OhemOptions extends CrossEntropyOptions {
  keepRatio: number;
}

/** How many of `count` values a keep ratio keeps: ceil with a tolerance for float products, >= 1 when count > 0. */
export function ohemKeepCount(count: number, keepRatio: number): number {
  if (count === 0) return 0;
  return Math.min(count, Math.max(1, Math.ceil(keepRatio * count - 1e-9)));
}

/** The k-th largest of `values` (1-based k), by quickselect on a copy; O(n) on average. */
export function kthLargest(values: Float32Array, k: number): number {
  const a = Float32Array.from(values);
  const target = a.length - k; // k-th largest = (n-k)-th smallest, 0-based
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target];
}

/**
 * 0/1 mask over `losses` keeping, within each segment of `segmentLength` values, exactly
 * ceil(keepRatio * valid) of the largest valid values (ties broken by index).
 */
export function hardExampleMask(losses: Float32Array, isValid: Uint8Array, segmentLength: number, keepRatio: number): Float32Array {
  const mask = new Float32Array(losses.length);
  for (let start = 0; start < losses.length; start += segmentLength) {
    const end = start + segmentLength;
    let validCount = 0;
    for (let i = start; i < end; i++) validCount += isValid[i];
    const k = ohemKeepCount(validCount, keepRatio);
    if (k === 0) continue;
    const candidates = new Float32Array(validCount);
    for (let i = start, n = 0; i < end; i++) if (isValid[i]) candidates[n++] = losses[i];
    const threshold = kthLargest(candidates, k);
    let kept = 0;
    for (let i = start; i < end; i++) {
      if (isValid[i] && losses[i] > threshold) {
        mask[i] = 1;
        kept++;
      }
    }
    for (let i = start; i < end && kept < k; i++) {
      if (isValid[i] && losses[i] === threshold) {
        mask[i] = 1;
        kept++;
      }
    }
  }
  return mask;
}

function validPixels(labels: tf.Tensor3D, ignoreIndex: number | null): Uint8Array {
  const data = labels.dataSync();
  const valid = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) valid[i] = data[i] === ignoreIndex ? 0 : 1;
  return valid;
}

/**
 * The CE per-pixel terms of ce.ts with every pixel outside the hard set K zeroed (both the weighted
 * loss and the true-class weight), so that sum(weightedLoss) / sum(trueClassWeight) is the OHEM
 * value. K is chosen within each image when `perImage`, else over the whole batch. `targets` may be
 * passed in when a compound loss (combo) already built them. Not wrapped in tf.tidy: call inside one.
 */
export function ohemCrossEntropyTerms(logits: tf.Tensor4D, labels: tf.Tensor3D, options: OhemOptions, perImage: boolean, targets?: Targets): CrossEntropyTerms {
  const weighted = crossEntropyTerms(logits, labels, options, targets);
  const hardness = options.classWeights ? crossEntropyTerms(logits, labels, { ...options, classWeights: null }, targets).weightedLoss : weighted.weightedLoss;
  const [n, h, w] = labels.shape;
  const maskValues = hardExampleMask(hardness.dataSync() as Float32Array, validPixels(labels, options.ignoreIndex), perImage ? h * w : n * h * w, options.keepRatio);
  const mask = tf.tensor3d(maskValues, [n, h, w], 'float32');
  return { weightedLoss: tf.mul(weighted.weightedLoss, mask) as tf.Tensor3D, trueClassWeight: tf.mul(weighted.trueClassWeight, mask) as tf.Tensor3D };
}

export function ohemCrossEntropyLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, options: OhemOptions): tf.Scalar {
  return tf.tidy(() => {
    const { weightedLoss, trueClassWeight } = ohemCrossEntropyTerms(logits, labels, options, false);
    return divideByCount(sumPixels(weightedLoss), sumPixels(trueClassWeight)) as tf.Scalar;
  });
}

export function ohemCrossEntropyPerImage(logits: tf.Tensor4D, labels: tf.Tensor3D, options: OhemOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const { weightedLoss, trueClassWeight } = ohemCrossEntropyTerms(logits, labels, options, true);
    return divideByCount(sumPixels(weightedLoss, [1, 2]), sumPixels(trueClassWeight, [1, 2])) as tf.Tensor1D;
  });
}
