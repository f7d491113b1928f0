import { describe, expect, it } from 'vitest';
import { isPlantedKind, notPlantedBecause, PLANTED_KINDS, plantedRecipe, rarestForeground } from '../../bench/planted-recipes.js';
import { lossContextFor, trainableLoss } from '../../src/verify/trainer.js';
import { satelliteRecipe } from '../verify/fixtures.js';

describe('planted bad recipes for the positive controls (bench/planted-recipes.ts)', () => {
  const recipe = satelliteRecipe();

  it('foreground-down: plain CE, background weight 1 and every other class 0.01, as the loss is trained', () => {
    const planted = plantedRecipe('foreground-down', recipe, 4, 3);
    expect(planted.loss).toEqual({ name: 'ce', params: {} });
    expect(planted.classWeights!.values).toEqual([1, 0.01, 0.01, 0.01]);
    expect(planted.scaleAware).toBeNull();
    expect(lossContextFor(planted, 4, 255).classWeights).toEqual([1, 0.01, 0.01, 0.01]);
    expect(trainableLoss(planted).loss.name).toBe('ce');
    expect(planted.optimizer).toEqual(recipe.optimizer);
  });

  it('blind-rarest: weight 0 on the rarest foreground class only', () => {
    expect(plantedRecipe('blind-rarest', recipe, 4, 2).classWeights!.values).toEqual([1, 1, 0, 1]);
    expect(rarestForeground([900, 50, 10, 0])).toBe(2);
    expect(rarestForeground([900, 50, 10, 3])).toBe(3);
  });

  it('blind-rarest is planted only where the rarest class holds at least 1% of the pixels; the other plants everywhere', () => {
    // The rare sample's shares: solar panels 0.031% of the pixels, no candidate learns them in minutes.
    const rare = [986_700, 6090, 3120, 2500, 1270, 310];
    expect(notPlantedBecause('blind-rarest', rare)).toMatch(/rarest class \(5\) holds 0\.031% of the pixels \(< 1%\)/);
    expect(notPlantedBecause('foreground-down', rare)).toBeNull();
    expect(notPlantedBecause('stalled-lr', rare)).toBeNull();
    // The balanced sample: the rarest class (solar panels) has 7.24%.
    expect(notPlantedBecause('blind-rarest', [3705, 1915, 1342, 1343, 970, 724])).toBeNull();
    expect(notPlantedBecause('blind-rarest', [99, 1])).toBeNull();
    expect(notPlantedBecause('blind-rarest', [991, 9])).not.toBeNull();
  });

  it('stalled-lr: the recommended recipe with its learning rate x 1e-4, nothing else changed', () => {
    const planted = plantedRecipe('stalled-lr', recipe, 4, 3);
    expect(planted.optimizer.lr).toBeCloseTo(recipe.optimizer.lr * 1e-4, 15);
    expect(planted.loss).toEqual(recipe.loss);
    expect(planted.classWeights).toEqual(recipe.classWeights);
  });

  it('knows its kinds', () => {
    expect(PLANTED_KINDS.every(isPlantedKind)).toBe(true);
    expect(isPlantedKind('nonsense')).toBe(false);
  });
});
