/**
 * The slice of the training engine (src/engine) that the verification run uses, as a
 * structural type: the real engine satisfies it, and tests can drive the run with a scripted one.
 */
import type { LossContext, LossSpec } from '../contracts/losses.js';
import { foldRecipeExtras } from '../losses/recipe-extras.js';
import type { Recipe } from '../contracts/recommendation.js';
import type { BackendName } from '../contracts/verification.js';
import type { EngineOptions } from '../engine/index.js';
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

/**
 * The loss spec the engine trains for a recipe, with the recipe-level extras folded in where the
 * loss library can express them (src/losses/recipe-extras.ts, shared with `segloss export`):
 * `recipe.labelSmoothing` becomes the loss's labelSmoothing parameter (ce, focal, combo, ohem_ce)
 * unless the spec already smooths; `recipe.ohem` on plain CE becomes ohem_ce with its keepRatio,
 * and on combo the CE term's ohemKeepRatio (OHEM CE inside combo) unless the spec already mines.
 * What cannot be expressed (OHEM or label smoothing on a Dice-family loss, which has no CE or
 * focal term) is listed in `unsupported` so the report says it was not trained.
 */
export function trainableLoss(recipe: Recipe): { loss: LossSpec; unsupported: string[] } {
  return foldRecipeExtras(recipe);
}
