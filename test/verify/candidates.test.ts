import { describe, expect, it } from 'vitest';
import { buildCandidates, DEFAULT_CANDIDATES, lossKey, parseCandidateNames } from '../../src/verify/candidates.js';
import { UserError } from '../../src/common/errors.js';
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

  it('drops a baseline whose loss equals the recommended one', () => {
    const { plans, notes } = buildCandidates(recommendationFor(satelliteRecipe()), DEFAULT_CANDIDATES);
    expect(plans.map((p) => p.id)).toEqual(['recommended', 'ce', 'focal', 'dice']);
    expect(notes[0]).toMatch(/skipped combo: same loss as recommended/);
    expect(plans.filter((p) => p.isRecommended)).toHaveLength(1);
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
    const focal = trainableLoss(satelliteRecipe({ loss: { name: 'focal', params: { gamma: 1.5 } }, labelSmoothing: 0.1, ohem: { keepRatio: 0.25 } }));
    expect(focal.loss).toEqual({ name: 'focal', params: { gamma: 1.5 } });
    expect(focal.unsupported).toEqual(['OHEM (keep 0.25) on the focal loss', 'label smoothing 0.1 on the focal loss']);
  });
});
