/** segloss's extensions: priorities, Generalized Dice, scale-aware weights, oversampling, class weights, missing facts. */
import { describe, expect, it } from 'vitest';
import { deriveClassWeights } from '../../src/rules/class-weights.js';
import { ARTICLE_SHARES, BALANCED_SHARES } from './profile-builder.js';
import { recommendFor, traceOf } from './helpers.js';

const IMBALANCED = [0.9, 0.05, 0.032, 0.018];

describe('--priority rare-class-recall', () => {
  it('rarest class just under 1% -> Focal Tversky (0.3, 0.7, 0.75)', async () => {
    const rec = await recommendFor({ shares: IMBALANCED, aggregates: { smallestForegroundShare: 0.0099 } }, { priority: 'rare-class-recall' });
    expect(rec.recipe.loss).toMatchObject({ name: 'focal_tversky', params: { alpha: 0.3, beta: 0.7, gamma: 0.75 } });
    expect(rec.recipe.schedule.warmupFraction).toBe(0.05);
  });

  it('rarest class at 1% -> Tversky (0.3, 0.7)', async () => {
    const rec = await recommendFor({ shares: IMBALANCED, aggregates: { smallestForegroundShare: 0.01 } }, { priority: 'rare-class-recall' });
    expect(rec.recipe.loss).toMatchObject({ name: 'tversky', params: { alpha: 0.3, beta: 0.7 } });
    expect(traceOf(rec, 'rare-class-recall').branch).toBe('else');
  });

  it('overrides a scenario recipe, which becomes the first alternative', async () => {
    const rec = await recommendFor({ shares: ARTICLE_SHARES }, { domain: 'satellite', priority: 'rare-class-recall' });
    expect(rec.recipe.id).toBe('focal-tversky');
    expect(rec.alternatives[0].recipe.id).toBe('combo-satellite');
  });

  it('does not apply to balanced data', async () => {
    const rec = await recommendFor({ shares: BALANCED_SHARES }, { priority: 'rare-class-recall' });
    expect(rec.recipe.id).toBe('ce');
    expect(traceOf(rec, 'rare-class-recall').applicable).toBe(false);
  });
});

describe('--priority boundaries', () => {
  it('replaces a Focal pick (ambiguous boundaries) with Combo', async () => {
    const rec = await recommendFor({ shares: IMBALANCED, aggregates: { ambiguousBoundaryShare: 0.6 } }, { priority: 'boundaries' });
    expect(rec.recipe.id).toBe('combo');
    expect(rec.alternatives[0].recipe.id).toBe('focal');
    expect(rec.alternatives[0].reason).toMatch(/boundary-priority/);
  });

  it('keeps a Dice pick', async () => {
    const rec = await recommendFor({ shares: IMBALANCED }, { priority: 'boundaries' });
    expect(rec.recipe.id).toBe('dice');
    expect(traceOf(rec, 'boundary-priority')).toMatchObject({ applicable: true, fired: false });
  });
});

describe('Generalized Dice when many classes are rare', () => {
  const threeRare = [0.95, 0.03, 0.008, 0.007, 0.005];
  it('3 rare classes on the Dice branch -> Generalized Dice', async () => {
    const rec = await recommendFor({ shares: threeRare });
    expect(rec.facts.rareClassCount).toBe(3);
    expect(rec.recipe.loss).toMatchObject({ name: 'generalized_dice', params: { weightType: 'square' } });
    expect(rec.alternatives[0].recipe.id).toBe('dice');
  });

  it('2 rare classes -> plain Dice', async () => {
    const rec = await recommendFor({ shares: threeRare, aggregates: { rareClassCount: 2 } });
    expect(rec.recipe.loss.name).toBe('dice');
  });
});

describe('scale-aware weights', () => {
  it.each([
    [1, true],
    [0.99, false],
  ])('scaleSpreadDecades %f -> scale-aware %s', async (spread, on) => {
    const rec = await recommendFor({ shares: IMBALANCED, aggregates: { scaleSpreadDecades: spread } });
    if (on) expect(rec.recipe.scaleAware).toEqual({ binEdges: [100, 1000, 10000], binWeights: [2, 1.5, 1, 1] });
    else expect(rec.recipe.scaleAware).toBeNull();
  });

  it('not on balanced data, where the article keeps plain CE', async () => {
    const rec = await recommendFor({ shares: BALANCED_SHARES, aggregates: { scaleSpreadDecades: 2 } });
    expect(rec.recipe.scaleAware).toBeNull();
    expect(traceOf(rec, 'scale-aware-weights').applicable).toBe(false);
  });

  it('unknown spread (no objects) -> none, and the assumption says so', async () => {
    const rec = await recommendFor({ shares: IMBALANCED, aggregates: { scaleSpreadDecades: null } });
    expect(rec.recipe.scaleAware).toBeNull();
    expect(rec.assumptions.join('\n')).toMatch(/scaleSpreadDecades is unknown, so no scale-aware weighting is added/);
  });
});

describe('rare-class oversampling', () => {
  it.each([
    [0.0099, 0.33],
    [0.01, 0],
  ])('rarest class %f -> oversampling %f', async (smallest, share) => {
    const rec = await recommendFor({ shares: IMBALANCED, aggregates: { smallestForegroundShare: smallest } });
    expect(rec.recipe.rareClassOversampling).toBe(share);
  });
});

describe('class weights', () => {
  it('median-frequency, clipped to [0.1, 3], named with its formula', () => {
    const weights = deriveClassWeights({ method: 'median-frequency', clip: [0.1, 3] }, [0.9, 0.05, 0.03, 0.02, 0], 'r');
    // median of present shares [0.9, 0.05, 0.03, 0.02] = 0.04
    expect(weights.values).toEqual([0.1, 0.8, 1.3333, 2, 3]);
    expect(weights.formula).toMatch(/w_c = median\(f\) \/ f_c/);
    expect(weights.formula).toMatch(/clipped to \[0.1, 3\]/);
  });

  it('inverse-sqrt-frequency', () => {
    const weights = deriveClassWeights({ method: 'inverse-sqrt-frequency', clip: [0.1, 10] }, [0.64, 0.16, 0.04], 'r');
    expect(weights.values).toEqual([0.5, 1, 2]);
  });

  it("the article's fixed weights need one weight per class", () => {
    const fixed = { method: 'fixed' as const, values: [0.1, 1, 1, 2, 2, 3] };
    expect(deriveClassWeights(fixed, ARTICLE_SHARES, 'r').values).toEqual([0.1, 1, 1, 2, 2, 3]);
    expect(() => deriveClassWeights(fixed, [0.5, 0.5], 'my-rule')).toThrow(/rule "my-rule" gives 6 fixed class weights but the dataset has 2 classes/);
  });

  it('weighted CE for the combo recommendation on imbalanced data, none on balanced CE', async () => {
    const combo = await recommendFor({ shares: ARTICLE_SHARES });
    expect(combo.recipe.classWeights?.values).toHaveLength(6);
    expect(combo.recipe.classWeights?.values[0]).toBe(0.1);
    expect(combo.recipe.classWeights?.values[5]).toBe(3);
    const ce = await recommendFor({ shares: BALANCED_SHARES });
    expect(ce.recipe.classWeights).toBeNull();
  });
});

describe('missing facts', () => {
  it('masks only: boundary fact unknown -> boundaries treated as clear, stated with how to supply it', async () => {
    const rec = await recommendFor({ shares: IMBALANCED, hasImages: false });
    expect(rec.facts.ambiguousBoundaryShare).toBeNull();
    const entry = traceOf(rec, 'boundaries-ambiguous');
    expect(entry.conditions.find((c) => c.role === 'if')).toEqual({
      fact: 'ambiguousBoundaryShare',
      value: null,
      operator: 'greaterThanInclusive',
      threshold: 0.4,
      outcome: false,
      role: 'if',
    });
    expect(entry.branch).toBe('else');
    expect(rec.path).toContain('boundaries clear');
    const text = rec.assumptions.join('\n');
    expect(text).toMatch(/ambiguousBoundaryShare is unknown, so boundaries are treated as clear/);
    expect(text).toMatch(/images/);
  });

  it('a sampled fact whose CI straddles a threshold is flagged', async () => {
    const rec = await recommendFor({
      aggregates: { imbalanceRatio: 5, backgroundShare: 0.86, backgroundShareCI95: [0.84, 0.88], smallestForegroundShare: 0.05 },
    });
    expect(rec.assumptions.join('\n')).toMatch(/backgroundShare = 0.86 but its 95% CI \[0.84, 0.88\] straddles the threshold 0.85/);
  });

  it('no assumptions when every fact is known and clear of thresholds', async () => {
    const rec = await recommendFor({ shares: IMBALANCED });
    expect(rec.assumptions).toEqual([]);
  });
});
