/** The article's three scenario recipes, every parameter it gives, and when they do not apply. */
import { describe, expect, it } from 'vitest';
import { ARTICLE_SHARES, BALANCED_SHARES } from './profile-builder.js';
import { recommendFor, traceOf } from './helpers.js';

describe('scenario recipes', () => {
  it('satellite: Combo 0.7 stable log Dice + 0.3 weighted CE, OHEM, AdamW', async () => {
    const rec = await recommendFor({ shares: ARTICLE_SHARES }, { domain: 'satellite' });
    const { recipe } = rec;
    expect(recipe.id).toBe('combo-satellite');
    expect(recipe.loss.name).toBe('combo');
    expect(recipe.loss.params).toMatchObject({ diceWeight: 0.7, ceWeight: 0.3, diceForm: 'stable_log_dice' });
    expect(recipe.optimizer).toMatchObject({ name: 'adamw', weightDecay: 0.01 });
    expect(recipe.ohem).toEqual({ keepRatio: 0.25 });
    expect(recipe.classWeights?.method).toBe('median-frequency');
    expect(rec.path).toContain('satellite recipe');
    // The flowchart's own pick is the first alternative, with the rule that replaced it.
    expect(rec.alternatives[0].recipe.id).toBe('combo');
    expect(rec.alternatives[0].reason).toMatch(/^replaced by rule satellite-recipe/);
    // A CE alternative under the satellite recipe becomes OHEM CE, like for like.
    const ce = rec.alternatives.find((a) => a.recipe.id === 'ce');
    expect(ce?.recipe.loss).toEqual({ name: 'ohem_ce', params: { keepRatio: 0.25, labelSmoothing: 0 } });
  });

  it('medical: Dice + boundary loss with the paper\'s rising weight, LR 3e-4, gradient clipping', async () => {
    const rec = await recommendFor({ shares: ARTICLE_SHARES }, { domain: 'medical' });
    const { recipe } = rec;
    expect(recipe.id).toBe('dice-boundary-medical');
    expect(recipe.loss.name).toBe('dice_boundary');
    expect(recipe.loss.params).toMatchObject({ schedule: 'rebalance', alphaStart: 0.01, alphaEnd: 1, minDiceWeight: 0.1 });
    expect(recipe.title).toMatch(/Dice \+ boundary loss/);
    expect(recipe.optimizer.lr).toBe(3e-4);
    expect(recipe.gradientClipNorm).toBe(12);
    expect(recipe.schedule.warmupFraction).toBe(0.05);
    const notes = recipe.notes?.join(' ') ?? '';
    expect(notes).toMatch(/verify trains this and export writes it/);
    expect(notes).not.toMatch(/add a boundary term|in your own trainer|has no boundary loss/i);
  });

  it('driving: Focal gamma 1.5, label smoothing 0.1, cosine annealing', async () => {
    const rec = await recommendFor({ shares: ARTICLE_SHARES }, { domain: 'driving' });
    const { recipe } = rec;
    expect(recipe.id).toBe('focal-driving');
    // Focal has a labelSmoothing parameter (Keras CategoricalFocalCrossentropy's convention): the loss carries it.
    expect(recipe.loss).toEqual({ name: 'focal', params: { gamma: 1.5, alpha: null, labelSmoothing: 0.1 } });
    expect(recipe.labelSmoothing).toBeNull();
    expect(recipe.schedule).toMatchObject({ name: 'cosine', power: null });
    // A combo alternative under the driving recipe carries smoothing in its own CE parameter.
    const combo = rec.alternatives.find((a) => a.recipe.loss.name === 'combo' && a.recipe.id === 'combo');
    expect(combo?.recipe.loss.params.labelSmoothing).toBe(0.1);
    expect(combo?.recipe.labelSmoothing).toBeNull();
  });

  it.each(['satellite', 'medical', 'driving'] as const)('%s on balanced data keeps CE (the rule is applicable but does not fire)', async (domain) => {
    const rec = await recommendFor({ shares: BALANCED_SHARES }, { domain });
    expect(rec.recipe.id).toBe('ce');
    const entry = traceOf(rec, `${domain}-recipe`);
    expect(entry.applicable).toBe(true);
    expect(entry.fired).toBe(false);
  });

  it('scenario rules of other domains are traced as not applicable', async () => {
    const rec = await recommendFor({ shares: ARTICLE_SHARES }, { domain: 'medical' });
    expect(traceOf(rec, 'satellite-recipe').applicable).toBe(false);
    expect(traceOf(rec, 'driving-recipe').applicable).toBe(false);
    expect(traceOf(rec, 'medical-recipe').fired).toBe(true);
  });
});

describe('scenario recipes and data-driven refinements', () => {
  it('medical with three rare classes: the medical Dice + boundary recipe wins over Generalized Dice, which ranks first among alternatives', async () => {
    const rec = await recommendFor({ shares: [0.95, 0.03, 0.008, 0.007, 0.005] }, { domain: 'medical' });
    expect(rec.recipe.id).toBe('dice-boundary-medical');
    expect(rec.alternatives[0].recipe.id).toBe('generalized-dice');
    expect(rec.alternatives[0].reason).toMatch(/^replaced by rule medical-recipe/);
  });
});
