/**
 * What a recipe trains (`trainableLoss`, `lossContextFor`: shared by verify's runs and the
 * candidate deduplication). verify drives the Engine contract (src/engine/types.ts).
 */
import type { LossContext, LossSpec } from '../contracts/losses.js';
import { foldRecipeExtras } from '../losses/recipe-extras.js';
import type { Recipe } from '../contracts/recommendation.js';

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
