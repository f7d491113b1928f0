/**
 * Dice + boundary loss with the paper's schedule for the boundary weight alpha (Kervadec et al.
 * 2019/2021), expressed in training progress t = step / total steps in [0, 1] so that a short
 * verify run goes through the whole schedule:
 *   alpha(t) = alphaStart + (alphaEnd - alphaStart) * t
 *   rebalance (the paper's choice):  max(minDiceWeight, 1 - alpha) * Dice + alpha * Boundary
 *   increase:                         Dice + alpha * Boundary
 *   constant:                         Dice + alphaStart * Boundary   (t is not used)
 * The paper starts alpha at 0.01 and adds 0.01 per epoch; the authors' scheduler (StealWeight,
 * to_steal 0.01) moves that weight from the regional term to the boundary term and floors the
 * regional weight at 0.1. Over their ~100-epoch runs alpha goes 0.01 -> 1, hence the defaults
 * alphaStart 0.01, alphaEnd 1, minDiceWeight 0.1. (The paper pairs it with Generalized Dice; the
 * article's medical recipe, and this loss, use the soft Dice of dice.ts with all its options.)
 * Progress defaults to 1 (the end of the schedule, the weights the trained model ends with) when
 * the caller passes none, e.g. for a loss value reported after training.
 * Per image: the same weighted sum of per-image Dice and per-image boundary loss (batch=false only).
 */
import * as tf from '@tensorflow/tfjs';
import { boundaryLoss, boundaryPerImage, type BoundaryOptions } from './boundary.js';
import { diceLoss, dicePerImage, type DiceOptions } from './dice.js';

export const BOUNDARY_SCHEDULES = ['rebalance', 'increase', 'constant'] as const;
export type BoundarySchedule = (typeof BOUNDARY_SCHEDULES)[number];

export interface DiceBoundaryOptions {
  dice: DiceOptions;
  boundary: BoundaryOptions;
  schedule: BoundarySchedule;
  alphaStart: number;
  alphaEnd: number;
  minDiceWeight: number;
}

/** The weights of the two terms at progress t in [0, 1]. */
export function diceBoundaryWeights(progress: number, options: Pick<DiceBoundaryOptions, 'schedule' | 'alphaStart' | 'alphaEnd' | 'minDiceWeight'>): { dice: number; boundary: number } {
  if (options.schedule === 'constant') return { dice: 1, boundary: options.alphaStart };
  const alpha = options.alphaStart + (options.alphaEnd - options.alphaStart) * progress;
  if (options.schedule === 'increase') return { dice: 1, boundary: alpha };
  return { dice: Math.max(options.minDiceWeight, 1 - alpha), boundary: alpha };
}

export function diceBoundaryLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, progress: number, options: DiceBoundaryOptions): tf.Scalar {
  const weights = diceBoundaryWeights(progress, options);
  return tf.tidy(() => tf.add(tf.mul(diceLoss(logits, labels, options.dice), weights.dice), tf.mul(boundaryLoss(logits, labels, options.boundary), weights.boundary)) as tf.Scalar);
}

export function diceBoundaryPerImage(logits: tf.Tensor4D, labels: tf.Tensor3D, progress: number, options: DiceBoundaryOptions): tf.Tensor1D {
  const weights = diceBoundaryWeights(progress, options);
  return tf.tidy(
    () => tf.add(tf.mul(dicePerImage(logits, labels, options.dice), weights.dice), tf.mul(boundaryPerImage(logits, labels, options.boundary), weights.boundary)) as tf.Tensor1D,
  );
}
