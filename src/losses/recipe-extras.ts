/**
 * A recipe's loss-level extras (`recipe.labelSmoothing`, `recipe.ohem`) folded into its loss spec,
 * so that what verify trains and what `segloss export` writes are the same loss. Pure: no tfjs, so
 * report/ can use it without loading a backend.
 */
import { LOSS_CATALOGUE, type LossSpec } from '../contracts/losses.js';
import type { Recipe } from '../contracts/recommendation.js';

/** Whether the loss's catalogue entry has the parameter. */
function hasParam(loss: LossSpec, param: string): boolean {
  return Object.hasOwn(LOSS_CATALOGUE[loss.name]?.params ?? {}, param);
}

/**
 * The loss spec with the recipe-level extras folded in where the loss library can express them:
 * - `recipe.ohem` on `ce` makes it `ohem_ce` with that keepRatio; on `combo` it becomes
 *   `ohemKeepRatio` (OHEM on the CE term) unless the spec already mines (ohemKeepRatio < 1);
 *   `ohem_ce` already mines and keeps its own keepRatio.
 * - `recipe.labelSmoothing` becomes the loss's `labelSmoothing` (ce, focal, combo, ohem_ce: every
 *   loss whose catalogue entry has it) unless the spec already smooths (labelSmoothing > 0).
 * A spec parameter at its "off" default (ohemKeepRatio 1, labelSmoothing 0) counts as unset: rules
 * write every catalogue default into the spec and keep the extras at recipe level.
 * What cannot be expressed (OHEM or label smoothing on a loss without a CE/focal term, i.e. the
 * Dice family) is listed in `unsupported`, in words, so reports can say it was left out.
 */
export function foldRecipeExtras(recipe: Pick<Recipe, 'loss' | 'labelSmoothing' | 'ohem'>): { loss: LossSpec; unsupported: string[] } {
  let loss: LossSpec = { name: recipe.loss.name, params: { ...recipe.loss.params } };
  const unsupported: string[] = [];
  const smoothing = recipe.labelSmoothing ?? null;
  if (recipe.ohem) {
    const keepRatio = recipe.ohem.keepRatio;
    if (loss.name === 'ce') loss = { name: 'ohem_ce', params: { ...loss.params, keepRatio } };
    else if (hasParam(loss, 'ohemKeepRatio')) {
      const own = loss.params.ohemKeepRatio;
      if (own == null || own === 1) loss.params.ohemKeepRatio = keepRatio;
    } else if (loss.name !== 'ohem_ce') unsupported.push(`OHEM (keep ${keepRatio}) on the ${loss.name} loss`);
  }
  if (smoothing) {
    if (!hasParam(loss, 'labelSmoothing')) unsupported.push(`label smoothing ${smoothing} on the ${loss.name} loss`);
    else if (!loss.params.labelSmoothing) loss.params.labelSmoothing = smoothing;
  }
  return { loss, unsupported };
}
