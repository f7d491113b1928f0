/**
 * Scale-aware weighting (the article's ScaleAwareLoss, implemented for its intent: multi-scale
 * data should not let large objects dominate).
 *
 * Rule, per image i of the batch (computed from the labels, outside the gradient):
 *   objects = 8-connected components of each foreground class (label != 0 and != ignore index);
 *             an object's area is its pixel count
 *   bin     = the first b with (smallest object area) < binEdges[b], else binEdges.length
 *   s_i     = binWeights[bin]  (binWeights has binEdges.length + 1 entries, smallest-area bin
 *             first; give the small bins the larger weights so small objects weigh most)
 *   s_i     = 1 for an image without foreground objects
 *   loss    = sum_i s_i L_i / sum_i s_i over the images with at least one valid pixel,
 *             where L_i is the base loss reduced over image i alone (0 when no image is valid)
 * The article binned contour areas at [100, 1000, 10000] px with three weights for four bins and
 * averaged s_i L_i; here each bin has its weight and the weighted mean keeps the loss on the base
 * loss's scale. Any base loss with a per-image reduction can be wrapped (not batch Dice forms).
 */
import * as tf from '@tensorflow/tfjs';
import type { ScaleAwareWeighting } from '../contracts/losses.js';
import { DEFAULT_PROGRESS, type LossFunction, type PerImageLossFunction } from './types.js';

/** The weight s_i of each image in a batch of int labels [N,H,W] (row-major). */
export function imageScaleWeights(
  labels: ArrayLike<number>,
  shape: [number, number, number],
  ignoreIndex: number | null,
  weighting: ScaleAwareWeighting,
): Float64Array {
  const [n, h, w] = shape;
  const weights = new Float64Array(n);
  for (let image = 0; image < n; image++) {
    const smallest = smallestObjectArea(labels, image * h * w, h, w, ignoreIndex);
    weights[image] = smallest === null ? 1 : weighting.binWeights[areaBin(smallest, weighting.binEdges)];
  }
  return weights;
}

export function areaBin(area: number, binEdges: number[]): number {
  const bin = binEdges.findIndex((edge) => area < edge);
  return bin === -1 ? binEdges.length : bin;
}

/** Pixel count of the smallest 8-connected same-class foreground component, or null if none. */
export function smallestObjectArea(labels: ArrayLike<number>, offset: number, height: number, width: number, ignoreIndex: number | null): number | null {
  const size = height * width;
  const seen = new Uint8Array(size);
  const stack = new Int32Array(size);
  let smallest: number | null = null;
  for (let start = 0; start < size; start++) {
    const cls = labels[offset + start];
    if (seen[start] || cls === 0 || cls === ignoreIndex) continue;
    let top = 0;
    let area = 0;
    stack[top++] = start;
    seen[start] = 1;
    while (top > 0) {
      const p = stack[--top];
      area++;
      const y = (p / width) | 0;
      const x = p - y * width;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (!seen[q] && labels[offset + q] === cls) {
            seen[q] = 1;
            stack[top++] = q;
          }
        }
      }
    }
    if (smallest === null || area < smallest) smallest = area;
  }
  return smallest;
}

export function scaleAwareLoss(perImage: PerImageLossFunction, weighting: ScaleAwareWeighting, ignoreIndex: number | null): LossFunction {
  return (logits, labels, progress = DEFAULT_PROGRESS) =>
    tf.tidy(() => {
      const values = perImage(logits, labels, progress);
      const labelData = labels.dataSync();
      const [n, h, w] = labels.shape;
      const weights = imageScaleWeights(labelData, [n, h, w], ignoreIndex, weighting);
      for (let image = 0; image < n; image++) {
        if (!hasValidPixel(labelData, image * h * w, h * w, ignoreIndex)) weights[image] = 0;
      }
      const total = weights.reduce((sum, value) => sum + value, 0);
      const normalised = Float32Array.from(weights, (value) => (total > 0 ? value / total : 0));
      return tf.sum(tf.mul(values, tf.tensor1d(normalised, 'float32'))) as tf.Scalar;
    });
}

function hasValidPixel(labels: ArrayLike<number>, offset: number, count: number, ignoreIndex: number | null): boolean {
  if (ignoreIndex === null) return count > 0;
  for (let i = offset; i < offset + count; i++) if (labels[i] !== ignoreIndex) return true;
  return false;
}
