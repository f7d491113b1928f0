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
  });
});
