import type * as tf from '@tensorflow/tfjs';

/** A configured loss: NHWC float32 logits and int32 [N,H,W] labels to a scalar, differentiable w.r.t. logits. */
export type LossFunction = (logits: tf.Tensor4D, labels: tf.Tensor3D) => tf.Scalar;

/**
 * The same loss reduced per image: [N] values, 0 for an image without valid pixels. Used by the
 * scale-aware weighting, which multiplies each image's loss by a weight.
 */
export type PerImageLossFunction = (logits: tf.Tensor4D, labels: tf.Tensor3D) => tf.Tensor1D;

/** A loss as the registry builds it: the batch reduction and, where one exists, the per-image one. */
export interface LossImplementation {
  batch: LossFunction;
  perImage: PerImageLossFunction | null;
}
