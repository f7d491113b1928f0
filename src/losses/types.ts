import type * as tf from '@tensorflow/tfjs';

/**
 * A configured loss: NHWC float32 logits and int32 [N,H,W] labels to a scalar, differentiable w.r.t.
 * logits. `progress` is the share of training done, step / total steps in [0, 1]; only losses with
 * a schedule use it (dice_boundary's boundary weight). Default 1: the end of the schedule, the
 * weights a trained model ends with (what a loss reported after training uses).
 */
export type LossFunction = (logits: tf.Tensor4D, labels: tf.Tensor3D, progress?: number) => tf.Scalar;

/** The progress a loss uses when the caller passes none. */
export const DEFAULT_PROGRESS = 1;

/**
 * The same loss reduced per image: [N] values, 0 for an image without valid pixels. Used by the
 * scale-aware weighting, which multiplies each image's loss by a weight. Progress as above, always
 * given (createLoss fills in the default).
 */
export type PerImageLossFunction = (logits: tf.Tensor4D, labels: tf.Tensor3D, progress: number) => tf.Tensor1D;

/** A loss as the registry builds it: the batch reduction and, where one exists, the per-image one. */
export interface LossImplementation {
  batch: (logits: tf.Tensor4D, labels: tf.Tensor3D, progress: number) => tf.Scalar;
  perImage: PerImageLossFunction | null;
}
