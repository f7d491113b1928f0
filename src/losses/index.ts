/**
 * The loss registry: createLoss(spec, context) validates everything at construction and returns
 * a function of (NHWC float32 logits, int32 [N,H,W] labels, progress?) -> scalar, differentiable
 * w.r.t. the logits; progress (step / total steps, default 1) drives scheduled losses. Each loss
 * lives in its own module; this file maps catalogue parameters onto them.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossContext, LossName, LossSpec } from '../contracts/losses.js';
import { UserError } from '../common/errors.js';
import { boundaryLoss, boundaryPerImage, type BoundaryOptions } from './boundary.js';
import { crossEntropyLoss, crossEntropyPerImage, type CrossEntropyOptions } from './ce.js';
import { comboLoss, comboPerImage, type ComboOptions } from './combo.js';
import { diceLoss, dicePerImage, type DiceOptions } from './dice.js';
import { diceBoundaryLoss, diceBoundaryPerImage, type BoundarySchedule, type DiceBoundaryOptions } from './dice-boundary.js';
import { focalLoss, focalPerImage, type FocalOptions } from './focal.js';
import { focalTverskyLoss, focalTverskyPerImage, type FocalTverskyOptions } from './focal-tversky.js';
import { hausdorffDTLoss, hausdorffDTPerImage, type HausdorffDTOptions } from './hausdorff-dt.js';
import { generalizedDiceLoss, generalizedDicePerImage, type GeneralizedDiceOptions, type GeneralizedDiceWeightType } from './generalized-dice.js';
import { ohemCrossEntropyLoss, ohemCrossEntropyPerImage, type OhemOptions } from './ohem-ce.js';
import { resolveLossParams, validateLossContext, type ResolvedLossParams } from './params.js';
import { scaleAwareLoss } from './scale-aware.js';
import { stableLogDiceLoss, stableLogDicePerImage, type StableLogDiceOptions } from './stable-log-dice.js';
import { tverskyLoss, tverskyPerImage, type TverskyOptions } from './tversky.js';
import { DEFAULT_PROGRESS, type LossFunction, type LossImplementation } from './types.js';

export type { LossFunction, PerImageLossFunction } from './types.js';
export { DEFAULT_PROGRESS } from './types.js';
export { diceBoundaryWeights } from './dice-boundary.js';
export { resolveLossParams } from './params.js';
export type { ResolvedLossParams } from './params.js';
export { areaBin, imageScaleWeights, smallestObjectArea } from './scale-aware.js';

type Builder = (p: ResolvedLossParams, context: LossContext) => LossImplementation;

const num = (p: ResolvedLossParams, key: string) => p[key] as number;
const bool = (p: ResolvedLossParams, key: string) => p[key] as boolean;

const diceOptions = (p: ResolvedLossParams, c: LossContext): DiceOptions => ({
  includeBackground: bool(p, 'includeBackground'),
  squaredPred: bool(p, 'squaredPred'),
  jaccard: bool(p, 'jaccard'),
  batch: bool(p, 'batch'),
  smoothNr: num(p, 'smoothNr'),
  smoothDr: num(p, 'smoothDr'),
  ignoreIndex: c.ignoreIndex,
});

const tverskyOptions = (p: ResolvedLossParams, c: LossContext): TverskyOptions => ({
  alpha: num(p, 'alpha'),
  beta: num(p, 'beta'),
  includeBackground: bool(p, 'includeBackground'),
  batch: bool(p, 'batch'),
  smoothNr: num(p, 'smoothNr'),
  smoothDr: num(p, 'smoothDr'),
  ignoreIndex: c.ignoreIndex,
});

const crossEntropyOptions = (p: ResolvedLossParams, c: LossContext): CrossEntropyOptions => ({
  labelSmoothing: num(p, 'labelSmoothing'),
  classWeights: c.classWeights,
  ignoreIndex: c.ignoreIndex,
});

const BUILDERS: Record<LossName, Builder> = {
  ce: (p, c) => {
    const o = crossEntropyOptions(p, c);
    return { batch: (x, y) => crossEntropyLoss(x, y, o), perImage: (x, y) => crossEntropyPerImage(x, y, o) };
  },
  focal: (p, c) => {
    const o: FocalOptions = { gamma: num(p, 'gamma'), alpha: p.alpha as number | null, labelSmoothing: num(p, 'labelSmoothing'), classWeights: c.classWeights, ignoreIndex: c.ignoreIndex };
    return { batch: (x, y) => focalLoss(x, y, o), perImage: (x, y) => focalPerImage(x, y, o) };
  },
  dice: (p, c) => {
    const o = diceOptions(p, c);
    return { batch: (x, y) => diceLoss(x, y, o), perImage: o.batch ? null : (x, y) => dicePerImage(x, y, o) };
  },
  stable_log_dice: (p, c) => {
    const o: StableLogDiceOptions = { smooth: num(p, 'smooth'), clampMin: num(p, 'clampMin'), includeBackground: true, batch: false, ignoreIndex: c.ignoreIndex };
    return { batch: (x, y) => stableLogDiceLoss(x, y, o), perImage: (x, y) => stableLogDicePerImage(x, y, o) };
  },
  combo: (p, c) => {
    const diceForm = p.diceForm as ComboOptions['diceForm'];
    if (diceForm === 'stable_log_dice') rejectDiceOnlyOptions(p);
    const dice = diceOptions(p, c);
    const o: ComboOptions = {
      diceWeight: num(p, 'diceWeight'),
      ceWeight: num(p, 'ceWeight'),
      diceForm,
      dice,
      stableLogDice: { smooth: 1e-6, clampMin: 0.01, includeBackground: dice.includeBackground, batch: dice.batch, ignoreIndex: c.ignoreIndex },
      crossEntropy: crossEntropyOptions(p, c),
      ohemKeepRatio: num(p, 'ohemKeepRatio'),
    };
    return { batch: (x, y) => comboLoss(x, y, o), perImage: dice.batch ? null : (x, y) => comboPerImage(x, y, o) };
  },
  generalized_dice: (p, c) => {
    const o: GeneralizedDiceOptions = {
      weightType: p.weightType as GeneralizedDiceWeightType,
      includeBackground: bool(p, 'includeBackground'),
      batch: bool(p, 'batch'),
      smoothNr: num(p, 'smoothNr'),
      smoothDr: num(p, 'smoothDr'),
      ignoreIndex: c.ignoreIndex,
    };
    return { batch: (x, y) => generalizedDiceLoss(x, y, o), perImage: o.batch ? null : (x, y) => generalizedDicePerImage(x, y, o) };
  },
  tversky: (p, c) => {
    const o = tverskyOptions(p, c);
    return { batch: (x, y) => tverskyLoss(x, y, o), perImage: o.batch ? null : (x, y) => tverskyPerImage(x, y, o) };
  },
  focal_tversky: (p, c) => {
    const o: FocalTverskyOptions = { ...tverskyOptions(p, c), gamma: num(p, 'gamma') };
    return { batch: (x, y) => focalTverskyLoss(x, y, o), perImage: o.batch ? null : (x, y) => focalTverskyPerImage(x, y, o) };
  },
  ohem_ce: (p, c) => {
    const o: OhemOptions = { ...crossEntropyOptions(p, c), keepRatio: num(p, 'keepRatio') };
    return { batch: (x, y) => ohemCrossEntropyLoss(x, y, o), perImage: (x, y) => ohemCrossEntropyPerImage(x, y, o) };
  },
  boundary: (p, c) => {
    const o: BoundaryOptions = { includeBackground: bool(p, 'includeBackground'), ignoreIndex: c.ignoreIndex };
    return { batch: (x, y) => boundaryLoss(x, y, o), perImage: (x, y) => boundaryPerImage(x, y, o) };
  },
  dice_boundary: (p, c) => {
    const o: DiceBoundaryOptions = {
      dice: diceOptions(p, c),
      boundary: { includeBackground: bool(p, 'boundaryIncludeBackground'), ignoreIndex: c.ignoreIndex },
      schedule: p.schedule as BoundarySchedule,
      alphaStart: num(p, 'alphaStart'),
      alphaEnd: num(p, 'alphaEnd'),
      minDiceWeight: num(p, 'minDiceWeight'),
    };
    return { batch: (x, y, t) => diceBoundaryLoss(x, y, t, o), perImage: o.dice.batch ? null : (x, y, t) => diceBoundaryPerImage(x, y, t, o) };
  },
  hausdorff_dt: (p, c) => {
    const o: HausdorffDTOptions = { alpha: num(p, 'alpha'), includeBackground: bool(p, 'includeBackground'), batch: bool(p, 'batch'), ignoreIndex: c.ignoreIndex };
    return { batch: (x, y) => hausdorffDTLoss(x, y, o), perImage: o.batch ? null : (x, y) => hausdorffDTPerImage(x, y, o) };
  },
};

/** squaredPred, jaccard and smoothNr/Dr shape the soft Dice only; with the stable log form they would be silently ignored. */
function rejectDiceOnlyOptions(p: ResolvedLossParams): void {
  const defaults = { squaredPred: false, jaccard: false, smoothNr: 1e-5, smoothDr: 1e-5 } as const;
  for (const [key, value] of Object.entries(defaults)) {
    if (p[key] !== value) {
      throw new UserError(`loss "combo": parameter "${key}" applies only to diceForm "dice", not "stable_log_dice"`, {
        fix: `remove "${key}" or use diceForm "dice"`,
      });
    }
  }
}

/**
 * Builds a loss from a recipe's spec and the dataset context. Throws UserError (naming the loss and
 * the parameter) on an unknown loss or parameter, a wrong type or range, class weights of the wrong
 * length or negative, bad scale-aware bins, or scale-aware weighting of a loss with batch=true.
 */
export function createLoss(spec: LossSpec, context: LossContext): LossFunction {
  const params = resolveLossParams(spec);
  validateLossContext(spec.name, context);
  const implementation = BUILDERS[spec.name](params, context);
  let loss: LossFunction = (logits, labels, progress = DEFAULT_PROGRESS) => implementation.batch(logits, labels, progress);
  if (context.scaleAware) {
    if (!implementation.perImage) {
      throw new UserError(`loss "${spec.name}": scale-aware weighting needs a per-image loss, but batch=true sums over the whole batch`, {
        fix: 'set batch to false or drop the scale-aware weighting',
      });
    }
    loss = scaleAwareLoss(implementation.perImage, context.scaleAware, context.ignoreIndex);
  }
  const checked = loss;
  return (logits, labels, progress = DEFAULT_PROGRESS) => {
    checkInputs(spec.name, context, logits, labels);
    checkProgress(spec.name, progress);
    return checked(logits, labels, progress);
  };
}

/** Progress is the trainer's step / total steps: anything outside [0, 1] is a bug in the caller. */
function checkProgress(loss: LossName, progress: number): void {
  if (typeof progress !== 'number' || !Number.isFinite(progress) || progress < 0 || progress > 1) {
    throw new UserError(`loss "${loss}": progress must be a number in [0, 1] (step / total steps), got ${String(progress)}`, { exitCode: 1 });
  }
}

function checkInputs(loss: LossName, context: LossContext, logits: tf.Tensor4D, labels: tf.Tensor3D): void {
  if (logits.rank !== 4 || logits.shape[3] !== context.numClasses) {
    throw new UserError(`loss "${loss}": logits must be NHWC with ${context.numClasses} classes, got shape [${logits.shape.join(', ')}]`, { exitCode: 1 });
  }
  const [n, h, w] = logits.shape;
  if (labels.rank !== 3 || labels.shape[0] !== n || labels.shape[1] !== h || labels.shape[2] !== w) {
    throw new UserError(`loss "${loss}": labels must have shape [${n}, ${h}, ${w}], got [${labels.shape.join(', ')}]`, { exitCode: 1 });
  }
  if (labels.dtype !== 'int32') throw new UserError(`loss "${loss}": labels must be int32, got ${labels.dtype}`, { exitCode: 1 });
  const data = labels.dataSync();
  for (let i = 0; i < data.length; i++) {
    const label = data[i];
    if ((label < 0 || label >= context.numClasses) && label !== context.ignoreIndex) {
      throw new UserError(`loss "${loss}": label ${label} is outside 0..${context.numClasses - 1} and is not the ignore index (${context.ignoreIndex})`, {
        fix: 'check numClasses and --ignore-index against the masks',
      });
    }
  }
}
