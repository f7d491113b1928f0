/**
 * Boundary loss (Kervadec et al., "Boundary loss for highly unbalanced segmentation", MIDL 2019 /
 * MedIA 2021), with the conventions of the authors' code (LIVIAETS/boundary-loss: `one_hot2dist`,
 * `SurfaceLoss`):
 *   phi_k  = signed distance map of class k's ground truth (distance-maps.ts: >= 1 outside, <= 0
 *            inside with the inner rim at 0, 0 for a class absent from the image), pixel spacing 1,
 *            computed from the labels and not differentiated
 *   loss   = mean over valid pixels of the batch and the included classes of softmax(p)_k * phi_k
 * SurfaceLoss takes `.mean()` over batch, classes and pixels, so classes absent from an image count
 * in the denominator with phi = 0, and the mean pools the batch (not a mean of image means). The
 * included classes are `idc`: the paper's binary tasks use idc = [1] (background left out, the
 * default here, includeBackground=false), its multi-class ACDC runs every class (true).
 * Ignored pixels are out of the mean (the denominator counts valid pixels) and in no class's mask.
 * The loss is negative when the prediction sits inside the objects: that is expected (minimising).
 * Per image: the same mean over image i's valid pixels (0 without any).
 */
import * as tf from '@tensorflow/tfjs';
import { signedDistanceMaps } from './distance-maps.js';
import { divideByCount, selectClasses, sumPixels } from './targets.js';

export interface BoundaryOptions {
  includeBackground: boolean;
  ignoreIndex: number | null;
}

/** softmax(logits) * phi per pixel and included class [N,H,W,C'], and the valid-pixel count per image [N]. */
export function boundaryProducts(logits: tf.Tensor4D, labels: tf.Tensor3D, options: BoundaryOptions): { products: tf.Tensor4D; validPerImage: Float32Array } {
  const [n, h, w, c] = logits.shape;
  const labelData = labels.dataSync();
  const maps = tf.tensor4d(signedDistanceMaps(labelData, [n, h, w], c, options.ignoreIndex), [n, h, w, c], 'float32');
  const products = selectClasses(tf.mul(tf.softmax(logits), maps), options.includeBackground) as tf.Tensor4D;
  const validPerImage = new Float32Array(n);
  for (let i = 0; i < labelData.length; i++) if (labelData[i] !== options.ignoreIndex) validPerImage[Math.floor(i / (h * w))]++;
  return { products, validPerImage };
}

export function boundaryLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, options: BoundaryOptions): tf.Scalar {
  return tf.tidy(() => {
    const { products, validPerImage } = boundaryProducts(logits, labels, options);
    const count = validPerImage.reduce((sum, v) => sum + v, 0) * products.shape[3];
    return divideByCount(sumPixels<tf.Scalar>(products), tf.scalar(count));
  });
}

export function boundaryPerImage(logits: tf.Tensor4D, labels: tf.Tensor3D, options: BoundaryOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const { products, validPerImage } = boundaryProducts(logits, labels, options);
    const counts = tf.tensor1d(validPerImage.map((v) => v * products.shape[3]), 'float32');
    return divideByCount(sumPixels<tf.Tensor1D>(products, [1, 2, 3]), counts);
  });
}
