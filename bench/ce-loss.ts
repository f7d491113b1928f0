/**
 * Plain mean softmax cross-entropy, used by bench:train only when src/losses is not available
 * (so the engine can be timed on its own). Same maths as the project's CE without options.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossContext, LossSpec } from '../src/contracts/losses.js';

export function createLoss(_spec: LossSpec, context: LossContext) {
  return (logits: tf.Tensor4D, labels: tf.Tensor3D): tf.Scalar =>
    tf.tidy(() => {
      const onehot = tf.oneHot(labels, context.numClasses);
      return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), -1))) as tf.Scalar;
    });
}
