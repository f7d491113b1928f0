/**
 * Combo loss: diceWeight * Dice + ceWeight * CE (MONAI DiceCELoss with lambda_dice, lambda_ce;
 * the article's final recipe is 0.7 * Dice + 0.3 * CE with CE class weights).
 *
 * The Dice term is the soft Dice (dice.ts, with its conventions) or, with diceForm
 * 'stable_log_dice', the article's stable log Dice (stable-log-dice.ts, its own smooth 1e-6 and
 * clamp 0.01; includeBackground and batch apply to both forms). The CE term is cross-entropy with
 * the context's class weights and the given label smoothing (ce.ts); with ohemKeepRatio r < 1 it
 * is OHEM CE instead (ohem-ce.ts, same selection and reduction as the ohem_ce loss: the class-
 * weighted mean over the ceil(r * valid) hardest valid pixels, ranked on unweighted CE), i.e. the
 * article's satellite recipe "0.7 Dice + 0.3 CE with OHEM". r = 1 is the plain CE term.
 * Per image: the same weighted sum of the per-image Dice and per-image CE (batch=false only); the
 * OHEM hard pixels are then chosen within each image, as ohem_ce's per-image form does.
 */
import * as tf from '@tensorflow/tfjs';
import { crossEntropyTerms, type CrossEntropyOptions } from './ce.js';
import { diceClassLosses, type DiceOptions } from './dice.js';
import { ohemCrossEntropyTerms } from './ohem-ce.js';
import { stableLogDiceClassLosses, type StableLogDiceOptions } from './stable-log-dice.js';
import { divideByCount, perImageClassLosses, reduceClassLosses, segmentationTargets, sumPixels } from './targets.js';

export interface ComboOptions {
  diceWeight: number;
  ceWeight: number;
  diceForm: 'dice' | 'stable_log_dice';
  dice: DiceOptions;
  stableLogDice: StableLogDiceOptions;
  crossEntropy: CrossEntropyOptions;
  /** OHEM keep ratio of the CE term, in (0, 1]; 1 = no mining (every valid pixel counts). */
  ohemKeepRatio: number;
}

/** Both terms from one set of targets: the Dice term per class and the CE per-pixel terms. */
function comboTerms(logits: tf.Tensor4D, labels: tf.Tensor3D, options: ComboOptions, perImage: boolean) {
  const targets = segmentationTargets(labels, logits.shape[3], options.crossEntropy.ignoreIndex);
  const diceClasses =
    options.diceForm === 'dice'
      ? diceClassLosses(logits, targets, perImage ? { ...options.dice, batch: false } : options.dice)
      : stableLogDiceClassLosses(logits, targets, perImage ? { ...options.stableLogDice, batch: false } : options.stableLogDice);
  const ce =
    options.ohemKeepRatio < 1
      ? ohemCrossEntropyTerms(logits, labels, { ...options.crossEntropy, keepRatio: options.ohemKeepRatio }, perImage, targets)
      : crossEntropyTerms(logits, labels, options.crossEntropy, targets);
  return { targets, diceClasses, ce };
}

function weightedSum<T extends tf.Tensor>(dice: T, ce: T, options: ComboOptions): T {
  return tf.add(tf.mul(dice, options.diceWeight), tf.mul(ce, options.ceWeight)) as T;
}

export function comboLoss(logits: tf.Tensor4D, labels: tf.Tensor3D, options: ComboOptions): tf.Scalar {
  return tf.tidy(() => {
    const { targets, diceClasses, ce } = comboTerms(logits, labels, options, false);
    const batch = options.diceForm === 'dice' ? options.dice.batch : options.stableLogDice.batch;
    const dice = reduceClassLosses(diceClasses, targets.valid, batch);
    return weightedSum(dice, divideByCount(sumPixels(ce.weightedLoss), sumPixels(ce.trueClassWeight)) as tf.Scalar, options);
  });
}

export function comboPerImage(logits: tf.Tensor4D, labels: tf.Tensor3D, options: ComboOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const { targets, diceClasses, ce } = comboTerms(logits, labels, options, true);
    const dice = perImageClassLosses(diceClasses, targets.valid);
    return weightedSum(dice, divideByCount(sumPixels(ce.weightedLoss, [1, 2]), sumPixels(ce.trueClassWeight, [1, 2])) as tf.Tensor1D, options);
  });
}
