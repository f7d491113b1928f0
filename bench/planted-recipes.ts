/**
 * Positive controls for the validity bench (issue 22): recipes planted as plainly bad, entered as
 * "the recommended recipe" against the usual baselines (built from the TRUE recommendation, so they
 * keep its learning rate and schedule). verify must call each "beaten"; the share it does is the
 * power that stands beside the A/A false-positive share.
 *  - foreground-down: CE with the foreground weighted down 100x (background 1, every other class
 *    0.01): the model learns background (the planted recipe was CE with [10, 0.01, ...]);
 *  - blind-rarest: CE with the rarest foreground class weighted 0: the loss never sees it. Planted
 *    only where that class holds at least BLIND_RAREST_MIN_SHARE of the labelled pixels: on the rare
 *    samples (solar panels, 0.03%) no candidate learned it at the 5-minute budget (best rarest-class
 *    Dice 0.000-0.006 in 3 of 3 runs, the plant within -0.025..+0.007 of CE, its unbroken self), so
 *    the plant was not a worse recipe there and "tied" was the right call (docs/verify.md);
 *  - stalled-lr: the recommended recipe with its learning rate x 1e-4: training stalls.
 */
import type { Recipe } from '../src/contracts/recommendation.js';

export const PLANTED_KINDS = ['foreground-down', 'blind-rarest', 'stalled-lr'] as const;
export type PlantedKind = (typeof PLANTED_KINDS)[number];

export function isPlantedKind(value: string): value is PlantedKind {
  return (PLANTED_KINDS as readonly string[]).includes(value);
}

/** The planted recipe of `kind` made from the recommended `recipe` (numClasses classes, class 0 background). */
export function plantedRecipe(kind: PlantedKind, recipe: Recipe, numClasses: number, rarestClassId: number): Recipe {
  const plainCe = { ...recipe, loss: { name: 'ce' as const, params: {} }, scaleAware: null, ohem: null, labelSmoothing: null };
  switch (kind) {
    case 'foreground-down':
      return {
        ...plainCe, id: 'planted-foreground-down', title: 'CE, foreground weighted down 100x (planted bad recipe)',
        classWeights: { values: Array.from({ length: numClasses }, (_, c) => (c === 0 ? 1 : 0.01)), method: 'planted', formula: 'w_0 = 1, w_c = 0.01 otherwise' },
      };
    case 'blind-rarest':
      return {
        ...plainCe, id: 'planted-blind-rarest', title: `CE blind to the rarest class ${rarestClassId} (planted bad recipe)`,
        classWeights: { values: Array.from({ length: numClasses }, (_, c) => (c === rarestClassId ? 0 : 1)), method: 'planted', formula: `w_${rarestClassId} = 0, w_c = 1 otherwise` },
      };
    case 'stalled-lr':
      return { ...recipe, id: 'planted-stalled-lr', title: `${recipe.title}, learning rate x 1e-4 (planted bad recipe)`, optimizer: { ...recipe.optimizer, lr: recipe.optimizer.lr * 1e-4 } };
  }
}

/** The rarest foreground class's share of the labelled pixels below which blind-rarest is not planted (see the header). */
export const BLIND_RAREST_MIN_SHARE = 0.01;

/**
 * Why `kind` is not a bad recipe on a dataset with these class pixel counts (so the bench does not
 * plant it there), or null when it is planted. Decided from the data before any training.
 */
export function notPlantedBecause(kind: PlantedKind, classPixels: readonly number[]): string | null {
  if (kind !== 'blind-rarest') return null;
  const total = classPixels.reduce((s, n) => s + n, 0);
  const rarest = rarestForeground(classPixels);
  const share = total > 0 ? (classPixels[rarest] ?? 0) / total : 0;
  if (share >= BLIND_RAREST_MIN_SHARE) return null;
  return `the rarest class (${rarest}) holds ${(share * 100).toFixed(3)}% of the pixels (< ${BLIND_RAREST_MIN_SHARE * 100}%): no candidate learns it at a few minutes' budget, so a loss blind to it is not a worse recipe`;
}

/** The rarest foreground class by pixels over all images (the one a blind loss hurts most). */
export function rarestForeground(classPixels: readonly number[]): number {
  let best = -1;
  for (let c = 1; c < classPixels.length; c++) if (classPixels[c] > 0 && (best < 0 || classPixels[c] < classPixels[best])) best = c;
  return best < 0 ? 1 : best;
}
