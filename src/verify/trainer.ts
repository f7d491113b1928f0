/**
 * The slice of the training engine (src/verify/engine, H5) that the verification run uses, as a
 * structural type: the real engine satisfies it, and tests can drive the run with a scripted one.
 */
import type { LossContext, LossSpec } from '../contracts/losses.js';
import type { Recipe } from '../contracts/recommendation.js';
import type { BackendName } from '../contracts/verification.js';
import type { EngineOptions } from './engine/index.js';
import type { TrainingBatch } from './data.js';

export interface Trainer {
  backend: { name: BackendName; detail: string; threads: number; skipped: Array<{ name: BackendName; why: string }> };
  parameterCount: number;
  trainStep(batch: TrainingBatch, learningRate: number): Promise<number>;
  predict(images: Float32Array, n: number, height: number, width: number): Promise<Uint8Array>;
  reset(loss: LossSpec, lossContext: LossContext, optimizer: Recipe['optimizer'], gradientClipNorm: number | null): Promise<void>;
  dispose(): Promise<void>;
}

/** What a trainer needs: the engine's options without its test hooks. */
export type TrainerOptions = Omit<EngineOptions, 'lossModule' | 'loaders'>;

export type TrainerFactory = (options: TrainerOptions) => Promise<Trainer>;

/** The loss context a recipe implies for a dataset. */
export function lossContextFor(recipe: Recipe, numClasses: number, ignoreIndex: number | null): LossContext {
  return { numClasses, ignoreIndex, classWeights: recipe.classWeights?.values ?? null, scaleAware: recipe.scaleAware };
}

/** Losses whose catalogue entry has a labelSmoothing parameter. */
const SMOOTHABLE = new Set(['ce', 'combo', 'ohem_ce']);

/**
 * The loss spec the engine trains for a recipe, with the recipe-level extras folded in where the
 * loss library can express them: `recipe.labelSmoothing` becomes the loss's labelSmoothing
 * parameter (ce, combo, ohem_ce) unless the spec sets one; `recipe.ohem` on plain CE becomes
 * ohem_ce with its keepRatio. What cannot be expressed (OHEM inside combo, label smoothing of
 * focal or Dice losses) is listed in `unsupported` so the report says it was not trained.
 */
export function trainableLoss(recipe: Recipe): { loss: LossSpec; unsupported: string[] } {
  let loss: LossSpec = { name: recipe.loss.name, params: { ...recipe.loss.params } };
  const unsupported: string[] = [];
  const smoothing = recipe.labelSmoothing ?? null;
  if (recipe.ohem) {
    if (loss.name === 'ce') loss = { name: 'ohem_ce', params: { ...loss.params, keepRatio: recipe.ohem.keepRatio } };
    else if (loss.name !== 'ohem_ce') unsupported.push(`OHEM (keep ${recipe.ohem.keepRatio}) on the ${loss.name} loss`);
  }
  if (smoothing) {
    if (!SMOOTHABLE.has(loss.name)) unsupported.push(`label smoothing ${smoothing} on the ${loss.name} loss`);
    else if (loss.params.labelSmoothing == null) loss.params.labelSmoothing = smoothing;
  }
  return { loss, unsupported };
}
