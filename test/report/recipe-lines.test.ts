import { describe, expect, it } from 'vitest';
import { recipeLines } from '../../src/report/recommendation-text.js';
import { recommendationFixture } from '../fixtures/ui/contracts.js';
import type { Recipe } from '../../src/contracts/recommendation.js';

const ohemRow = (recipe: Recipe) => recipeLines(recipe).find((line) => /^\s*OHEM\b/.test(line))?.replace(/\s+/g, ' ').trim();

describe('recipe lines: OHEM row', () => {
  const base: Recipe = { ...recommendationFixture.recipe, ohem: null };
  it('names the OHEM wherever the recipe carries it', () => {
    expect(ohemRow({ ...base, loss: { name: 'ohem_ce', params: { keepRatio: 0.25 } } })).toBe('OHEM hardest 25% of pixels (ohem_ce)');
    expect(ohemRow({ ...base, loss: { name: 'combo', params: { ohemKeepRatio: 0.3 } } })).toBe('OHEM hardest 30% of pixels in the CE term');
    expect(ohemRow({ ...base, loss: { name: 'combo', params: { ohemKeepRatio: 1 } }, ohem: { keepRatio: 0.2 } })).toBe('OHEM hardest 20% of pixels in the CE term');
    expect(ohemRow({ ...base, loss: { name: 'combo', params: { ohemKeepRatio: 1 } } })).toBe('OHEM off');
    expect(ohemRow({ ...base, loss: { name: 'dice', params: {} }, ohem: { keepRatio: 0.25 } })).toBe('OHEM hardest 25% of pixels: not trained (the dice loss has no CE term)');
  });

  it('shows label smoothing as it is trained: the recipe-level value folded into a loss at its 0 default', () => {
    const row = (recipe: Recipe) => recipeLines(recipe).find((line) => /^\s*label smoothing\b/.test(line))?.replace(/\s+/g, ' ').trim();
    expect(row({ ...base, loss: { name: 'focal', params: { gamma: 2, labelSmoothing: 0 } }, labelSmoothing: 0.1 })).toBe('label smoothing 0.1');
    expect(row({ ...base, loss: { name: 'ce', params: { labelSmoothing: 0.05 } }, labelSmoothing: 0.1 })).toBe('label smoothing 0.05');
    expect(row({ ...base, loss: { name: 'dice', params: {} }, labelSmoothing: 0.1 })).toBe('label smoothing 0.1: not trained (the dice loss has no CE term)');
    expect(row({ ...base, loss: { name: 'ce', params: {} }, labelSmoothing: null })).toBe('label smoothing 0');
  });
});
