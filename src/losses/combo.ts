/**
 * Combo loss: diceWeight * Dice + ceWeight * CE (MONAI DiceCELoss with lambda_dice, lambda_ce;
 * the article's final recipe is 0.7 * Dice + 0.3 * CE with CE class weights).
 *
 * The Dice term is the soft Dice (dice.ts, with its conventions) or, with diceForm
 * 'stable_log_dice', the article's stable log Dice (stable-log-dice.ts, its own smooth 1e-6 and
 * clamp 0.01; includeBackground and batch apply to both forms). The CE term is cross-entropy with
 * the context's class weights and the given label smoothing (ce.ts).
 * Per image: the same weighted sum of the per-image Dice and per-image CE (batch=false only).
 */
import * as tf from '@tensorflow/tfjs';
import { crossEntropyLoss, crossEntropyPerImage, type CrossEntropyOptions } from './ce.js';
import { diceLoss, dicePerImage, type DiceOptions } from './dice.js';
import { stableLogDiceLoss, stableLogDicePerImage, type StableLogDiceOptions } from './stable-log-dice.js';

export interface ComboOptions {
  diceWeight: number;
  ceWeight: number;
  diceForm: 'dice' | 'stable_log_dice';
  dice: DiceOptions;
  stableLogDice: StableLogDiceOptions;
  crossEntropy: CrossEntropyOptions;
}

export function comboLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, options: ComboOptions): tf.Scalar {
  return tf.tidy(() => {
    const dice = options.diceForm === 'dice' ? diceLoss(logits, labels, options.dice) : stableLogDiceLoss(logits, labels, options.stableLogDice);
    const ce = crossEntropyLoss(logits, labels, options.crossEntropy);
    return tf.add(tf.mul(dice, options.diceWeight), tf.mul(ce, options.ceWeight)) as tf.Scalar;
  });
}

export function comboPerImage(logits: tf.Tensor4D, labels: tf.Tensor3D, options: ComboOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const dice =
      options.diceForm === 'dice' ? dicePerImage(logits, labels, options.dice) : stableLogDicePerImage(logits, labels, options.stableLogDice);
    const ce = crossEntropyPerImage(logits, labels, options.crossEntropy);
    return tf.add(tf.mul(dice, options.diceWeight), tf.mul(ce, options.ceWeight)) as tf.Tensor1D;
  });
}
