import { describe, expect, it } from 'vitest';
import { buildCandidates, DEFAULT_CANDIDATES, lossKey, parseCandidateNames } from '../../src/verify/candidates.js';
import { UserError } from '../../src/common/errors.js';
import type { LossSpec } from '../../src/contracts/losses.js';
import { recommendationFor, satelliteRecipe } from './fixtures.js';

describe('candidates', () => {
  it('parses a list and rejects unknown names listing the valid ones', () => {
    expect(parseCandidateNames('recommended, CE,dice,ce')).toEqual(['recommended', 'ce', 'dice']);
    try {
      parseCandidateNames('recommended,bogus');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).exitCode).toBe(2);
      expect((error as UserError).message).toContain('"bogus"');
      expect((error as UserError).fix).toContain('focal');
    }
  });

  it('compares loss specs with catalogue defaults filled in', () => {
    expect(lossKey({ name: 'focal', params: {} })).toBe(lossKey({ name: 'focal', params: { gamma: 2, alpha: null } }));
    expect(lossKey({ name: 'focal', params: { gamma: 1.5 } })).not.toBe(lossKey({ name: 'focal', params: {} }));
  });

  it('drops a baseline that trains the same loss and weighting as the recommended one', () => {
    const { plans, notes } = buildCandidates(recommendationFor(satelliteRecipe({ classWeights: null })), DEFAULT_CANDIDATES);
    expect(plans.map((p) => p.id)).toEqual(['recommended', 'ce', 'focal', 'dice']);
    expect(notes[0]).toMatch(/skipped combo: trains the same loss \(and weighting\) as recommended/);
    expect(plans.filter((p) => p.isRecommended)).toHaveLength(1);
  });

  it('ablation: a weighted Combo is not "the same loss" as the plain Combo; its plain base loss is a candidate', () => {
    // Before: the plain Combo was dropped as "same loss", so the class weights were never tested.
    const rec = satelliteRecipe({ ohem: { keepRatio: 0.25 } });
    const { plans, notes } = buildCandidates(recommendationFor(rec), DEFAULT_CANDIDATES);
    expect(plans.map((p) => p.id)).toEqual(['recommended', 'recommended-plain', 'ce', 'focal', 'dice']);
    const plain = plans[1];
    expect(plain.recipe).toEqual({ ...rec, id: 'recommended-plain', title: plain.label, classWeights: null, ohem: null, labelSmoothing: null, scaleAware: null, notes: [], derivedFrom: ['segloss verify ablation "plain"'] });
    expect(plain.label).toMatch(/without class weights and OHEM \(ablation\)/);
    // The article's Combo baseline trains what the ablation trains (same loss, no weights): dropped in its favour.
    expect(notes).toContainEqual(expect.stringMatching(/skipped combo: .* as recommended-plain/));
  });

  it('no ablation when the recommended recipe adds nothing', () => {
    const { plans } = buildCandidates(recommendationFor(satelliteRecipe({ classWeights: null })), ['recommended', 'plain', 'ce']);
    expect(plans.map((p) => p.id)).toEqual(['recommended', 'ce']);
  });

  it('baselines share the optimiser and schedule, drop weights, and give Dice warm-up', () => {
    const rec = satelliteRecipe({ ohem: { keepRatio: 0.25 }, labelSmoothing: 0.1, scaleAware: { binEdges: [100], binWeights: [2, 1] } });
    const { plans } = buildCandidates(recommendationFor(rec), ['recommended', 'ce', 'dice', 'nnunet', 'alternatives']);
    const byId = Object.fromEntries(plans.map((p) => [p.id, p]));
    expect(byId.ce.recipe.optimizer).toEqual(rec.optimizer);
    expect(byId.ce.recipe.schedule).toEqual(rec.schedule);
    expect(byId.ce.recipe.gradientClipNorm).toBe(rec.gradientClipNorm);
    expect(byId.ce.recipe.rareClassOversampling).toBe(rec.rareClassOversampling);
    expect(byId.ce.recipe.classWeights).toBeNull();
    expect(byId.ce.recipe.scaleAware).toBeNull();
    expect(byId.ce.recipe.ohem).toBeNull();
    expect(byId.ce.recipe.labelSmoothing).toBeNull();
    expect(byId.recommended.recipe).toEqual(rec);
    expect(byId.ce.recipe.loss).toEqual({ name: 'ce', params: {} });
    expect(byId.dice.recipe.schedule.warmupFraction).toBe(0.1);
    expect(byId.dice.derivation).toMatch(/warm-up/);
    expect(byId.nnunet.recipe.optimizer.name).toBe('sgd');
    expect(byId['alt-1'].recipe.loss).toEqual({ name: 'focal', params: { gamma: 1.5 } });
  });
});

describe('trainableLoss', () => {
  it('folds recipe-level OHEM and label smoothing into the loss where the library can', async () => {
    const { trainableLoss } = await import('../../src/verify/trainer.js');
    expect(trainableLoss(satelliteRecipe({ loss: { name: 'ce', params: {} }, ohem: { keepRatio: 0.3 }, labelSmoothing: 0.1 }))).toEqual({
      loss: { name: 'ohem_ce', params: { keepRatio: 0.3, labelSmoothing: 0.1 } },
      unsupported: [],
    });
    expect(trainableLoss(satelliteRecipe({ labelSmoothing: 0.05 })).loss.params.labelSmoothing).toBe(0.05);
    // Focal: label smoothing is focal's own parameter now; OHEM has no CE term to act on.
    const focal = trainableLoss(satelliteRecipe({ loss: { name: 'focal', params: { gamma: 1.5 } }, labelSmoothing: 0.1, ohem: { keepRatio: 0.25 } }));
    expect(focal.loss).toEqual({ name: 'focal', params: { gamma: 1.5, labelSmoothing: 0.1 } });
    expect(focal.unsupported).toEqual(['OHEM (keep 0.25) on the focal loss']);
  });

  it('trains the article satellite recipe whole: combo with OHEM on its CE term', async () => {
    const { trainableLoss } = await import('../../src/verify/trainer.js');
    expect(trainableLoss(satelliteRecipe({ ohem: { keepRatio: 0.25 } }))).toEqual({
      loss: { name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3, ohemKeepRatio: 0.25 } },
      unsupported: [],
    });
    // Rules write every catalogue default into the spec: ohemKeepRatio 1 (off) does not block the recipe's OHEM.
    const filled = trainableLoss(satelliteRecipe({ loss: { name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3, labelSmoothing: 0, ohemKeepRatio: 1 } }, ohem: { keepRatio: 0.25 }, labelSmoothing: 0.1 }));
    expect(filled.loss.params).toMatchObject({ ohemKeepRatio: 0.25, labelSmoothing: 0.1 });
    expect(filled.unsupported).toEqual([]);
    // A spec that already mines or smooths keeps its own values.
    const own = trainableLoss(satelliteRecipe({ loss: { name: 'combo', params: { ohemKeepRatio: 0.5, labelSmoothing: 0.2 } }, ohem: { keepRatio: 0.25 }, labelSmoothing: 0.1 }));
    expect(own.loss.params).toEqual({ ohemKeepRatio: 0.5, labelSmoothing: 0.2 });
    // Focal: a spec at the default 0 takes the recipe's smoothing (the driving recipe).
    expect(trainableLoss(satelliteRecipe({ loss: { name: 'focal', params: { gamma: 1.5, alpha: null, labelSmoothing: 0 } }, labelSmoothing: 0.1 })).loss.params.labelSmoothing).toBe(0.1);
    // Without extras the spec is unchanged (no parameter added).
    expect(trainableLoss(satelliteRecipe()).loss).toEqual({ name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3 } });
  });

  it('still lists what no loss parameter can express (Dice-family losses)', async () => {
    const { trainableLoss } = await import('../../src/verify/trainer.js');
    const dice = trainableLoss(satelliteRecipe({ loss: { name: 'dice', params: {} }, labelSmoothing: 0.1, ohem: { keepRatio: 0.25 } }));
    expect(dice.loss).toEqual({ name: 'dice', params: {} });
    expect(dice.unsupported).toEqual(['OHEM (keep 0.25) on the dice loss', 'label smoothing 0.1 on the dice loss']);
  });

  it('folds into specs the loss library accepts', async () => {
    const { trainableLoss } = await import('../../src/verify/trainer.js');
    const { createLoss } = await import('../../src/losses/index.js');
    const context = { numClasses: 6, ignoreIndex: 255, classWeights: null, scaleAware: null };
    const losses: LossSpec[] = [{ name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3 } }, { name: 'focal', params: { gamma: 1.5 } }, { name: 'ce', params: {} }];
    for (const loss of losses) {
      const folded = trainableLoss(satelliteRecipe({ loss, ohem: { keepRatio: 0.25 }, labelSmoothing: 0.1 })).loss;
      expect(() => createLoss(folded, context)).not.toThrow();
    }
  });
});
