/** Every branch of the article's flowchart, with profiles on each side of each threshold. */
import { describe, expect, it } from 'vitest';
import { ARTICLE_SHARES, BALANCED_SHARES } from './profile-builder.js';
import { recommendFor, traceOf } from './helpers.js';

/** Imbalanced shares (ratio ~ 50, background 0.9) with clear boundaries and a rarest class of 1.8%. */
const IMBALANCED = [0.9, 0.05, 0.032, 0.018];

describe('flowchart: severe class imbalance?', () => {
  it('balanced classes -> CE, with the imbalance rule traced as not fired', async () => {
    const rec = await recommendFor({ shares: BALANCED_SHARES });
    expect(rec.recipe.id).toBe('ce');
    expect(rec.recipe.loss).toEqual({ name: 'ce', params: { labelSmoothing: 0 } });
    expect(rec.recipe.classWeights).toBeNull();
    expect(rec.path).toEqual(['classes balanced', 'Cross-entropy']);
    const entry = traceOf(rec, 'severe-imbalance');
    expect(entry.fired).toBe(false);
    expect(entry.branch).toBe('else');
    expect(entry.conditions).toEqual([
      { fact: 'imbalanceRatio', value: expect.closeTo(0.28 / 0.23, 10), operator: 'greaterThanInclusive', threshold: 20, outcome: false, role: 'if' },
      { fact: 'backgroundShare', value: 0.28, operator: 'greaterThanInclusive', threshold: 0.85, outcome: false, role: 'if' },
    ]);
    expect(rec.facts.imbalanced).toBe(false);
    // Later flowchart nodes do not apply on the balanced branch.
    expect(traceOf(rec, 'boundaries-ambiguous').applicable).toBe(false);
    expect(traceOf(rec, 'stable-training-needed').applicable).toBe(false);
  });

  it.each([
    [19.99, false],
    [20, true],
  ])('imbalanceRatio %f (background 0.5) -> imbalanced %s', async (ratio, imbalanced) => {
    const rec = await recommendFor({ aggregates: { imbalanceRatio: ratio, backgroundShare: 0.5, smallestForegroundShare: 0.05 } });
    expect(rec.facts.imbalanced).toBe(imbalanced);
    expect(rec.recipe.loss.name === 'ce').toBe(!imbalanced);
    expect(traceOf(rec, 'severe-imbalance').conditions[0]).toMatchObject({ fact: 'imbalanceRatio', value: ratio, outcome: imbalanced });
  });

  it.each([
    [0.849, false],
    [0.85, true],
  ])('backgroundShare %f (ratio 5) -> imbalanced %s', async (background, imbalanced) => {
    const rec = await recommendFor({ aggregates: { imbalanceRatio: 5, backgroundShare: background, smallestForegroundShare: 0.05 } });
    expect(rec.facts.imbalanced).toBe(imbalanced);
    expect(traceOf(rec, 'severe-imbalance').conditions[1]).toMatchObject({ fact: 'backgroundShare', value: background, outcome: imbalanced });
  });
});

describe('flowchart: clear boundaries?', () => {
  it('ambiguous share at the threshold (0.4) -> Focal gamma 2', async () => {
    const rec = await recommendFor({ shares: IMBALANCED, aggregates: { ambiguousBoundaryShare: 0.4 } });
    expect(rec.recipe.id).toBe('focal');
    expect(rec.recipe.loss).toEqual({ name: 'focal', params: { gamma: 2, alpha: null, labelSmoothing: 0 } });
    expect(rec.path).toEqual(['severe class imbalance', 'boundaries ambiguous', 'Focal (gamma 2)']);
    expect(rec.facts.boundariesClear).toBe(false);
    // The stability question is only asked on the clear-boundary branch.
    expect(traceOf(rec, 'stable-training-needed').applicable).toBe(false);
    expect(rec.alternatives.map((a) => a.recipe.id)).toContain('combo');
  });

  it('ambiguous share just below (0.39) -> boundaries clear, Dice branch', async () => {
    const rec = await recommendFor({ shares: IMBALANCED, aggregates: { ambiguousBoundaryShare: 0.39 } });
    expect(rec.facts.boundariesClear).toBe(true);
    expect(rec.path.slice(0, 3)).toEqual(['severe class imbalance', 'boundaries clear', 'stability not critical']);
    expect(rec.recipe.id).toBe('dice');
  });
});

describe('flowchart: need stable training?', () => {
  it('rarest class exactly 0.1% -> pure Dice with warm-up and clipping', async () => {
    const rec = await recommendFor({ shares: IMBALANCED, aggregates: { smallestForegroundShare: 0.001 } });
    expect(rec.recipe.id).toBe('dice');
    expect(rec.facts.stabilityNeeded).toBe(false);
    expect(rec.recipe.loss.name).toBe('dice');
    expect(rec.recipe.schedule.warmupFraction).toBe(0.05);
    expect(rec.recipe.gradientClipNorm).toBe(12);
    expect(rec.recipe.classWeights).toBeNull();
    expect(rec.alternatives[0].recipe.id).toBe('combo');
  });

  it('rarest class just under 0.1% -> Combo 0.7 Dice + 0.3 CE with weighted CE', async () => {
    const rec = await recommendFor({ shares: IMBALANCED, aggregates: { smallestForegroundShare: 0.00099 } });
    expect(rec.recipe.id).toBe('combo');
    expect(rec.facts.stabilityNeeded).toBe(true);
    expect(rec.recipe.loss.params).toMatchObject({ diceWeight: 0.7, ceWeight: 0.3, diceForm: 'dice' });
    expect(rec.recipe.schedule.warmupFraction).toBe(0);
    expect(rec.recipe.classWeights?.method).toBe('median-frequency');
    expect(rec.path).toEqual(['severe class imbalance', 'boundaries clear', 'stable training needed', 'Combo 0.7 Dice + 0.3 CE']);
    // Pure Dice is the runner-up, with the reason it lost.
    expect(rec.alternatives[0].recipe.id).toBe('dice');
    expect(rec.alternatives[0].reason).toMatch(/large loss swings/);
    // ... and as an alternative it gets the Dice tuning, like the recommended recipe would.
    expect(rec.alternatives[0].recipe.schedule.warmupFraction).toBe(0.05);
  });

  it('--priority stability -> Combo even with a 1.8% rarest class', async () => {
    const plain = await recommendFor({ shares: IMBALANCED });
    const stable = await recommendFor({ shares: IMBALANCED }, { priority: 'stability' });
    expect(plain.recipe.id).toBe('dice');
    expect(stable.recipe.id).toBe('combo');
    expect(traceOf(stable, 'stable-training-needed').conditions.find((c) => c.fact === 'priority')).toMatchObject({ value: 'stability', outcome: true });
  });

  it("the article's own data -> Combo", async () => {
    const rec = await recommendFor({ shares: ARTICLE_SHARES, aggregates: { ambiguousBoundaryShare: 0.3 } });
    expect(rec.recipe.id).toBe('combo');
  });
});

describe('alternatives', () => {
  it('are ranked 1..n, never repeat the recommendation, each with a reason; nnU-Net baseline last', async () => {
    const rec = await recommendFor({ shares: ARTICLE_SHARES });
    const ids = rec.alternatives.map((a) => a.recipe.id);
    expect(rec.alternatives.map((a) => a.rank)).toEqual(ids.map((_, i) => i + 1));
    expect(ids).not.toContain(rec.recipe.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const alt of rec.alternatives) expect(alt.reason.length).toBeGreaterThan(20);
    expect(ids[ids.length - 1]).toBe('nnunet-dice-ce');
    const nnunet = rec.alternatives[ids.length - 1].recipe;
    expect(nnunet.optimizer).toEqual({ name: 'sgd', lr: 0.01, weightDecay: 0.00003, momentum: 0.99, nesterov: true });
    expect(nnunet.schedule).toMatchObject({ name: 'poly', power: 0.9 });
    expect(nnunet.loss.params).toMatchObject({ diceWeight: 1, ceWeight: 1, includeBackground: false, batch: true });
    expect(nnunet.classWeights).toBeNull();
  });

  it('fill reason placeholders with the measured facts', async () => {
    const rec = await recommendFor({ shares: ARTICLE_SHARES });
    const ce = rec.alternatives.find((a) => a.recipe.id === 'ce');
    expect(ce?.reason).toContain('imbalance ratio 3290');
    expect(ce?.reason).not.toMatch(/\{[a-zA-Z]+\}/);
  });
});
