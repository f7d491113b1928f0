/**
 * `segloss export`: a recipe as a short runnable snippet for the user's own trainer.
 * Targets: `pytorch` (torch only, exactly segloss's losses: what verify --backend torch trains),
 * `monai` (PyTorch + MONAI losses, exact too), `smp` (segmentation_models_pytorch's losses, with
 * comments on how they differ), `keras` (tf.keras with small custom loss functions).
 */
import { foldRecipeExtras } from '../../losses/recipe-extras.js';
import { kerasSnippet } from './keras.js';
import type { ExportSource } from './source.js';
import { torchSnippet } from './torch.js';

export const EXPORT_TARGETS = ['pytorch', 'monai', 'smp', 'keras'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

/**
 * The snippet for a target. The recipe's loss-level extras (recipe.ohem, recipe.labelSmoothing) are
 * first folded into the loss spec exactly as verify folds them for training (combo's
 * ohemKeepRatio, focal's labelSmoothing, ce -> ohem_ce, ...), so the snippet trains what segloss
 * trained; an extra no loss parameter can express is named in the header's notes.
 */
export function exportSnippet(source: ExportSource, target: ExportTarget): string {
  const { loss, unsupported } = foldRecipeExtras(source.recipe);
  const folded: ExportSource = {
    ...source,
    recipe: { ...source.recipe, loss, labelSmoothing: null, ohem: null },
    notes: [...source.notes, ...unsupported.map((what) => `${what} cannot be expressed by the loss, so it is not in this snippet (segloss did not train it either)`)],
  };
  return target === 'keras' ? kerasSnippet(folded) : torchSnippet(folded, target);
}

export { loadExportSource, checkRecipe, DEFAULT_IGNORE_INDEX, type ExportSource } from './source.js';
