import { describe, expect, it } from 'vitest';
import type { LearningCurve } from '../../src/verify/curves.js';
import type { Elimination } from '../../src/verify/racing.js';
import { HEADLINE_METRICS, type HeadlineMetric, type ImageScore } from '../../src/verify/scores.js';
import { seedMean, tableComparator } from '../../src/verify/seed-stats.js';
import { decideVerdict, type VerdictCandidate, type VerdictInput } from '../../src/verify/verdict.js';
import { createRng } from '../../src/verify/random.js';
import { buildTable, gaussian, type TableSpec } from './score-tables.js';

const ctx = { numClasses: 2, rarestClassId: 1, seed: 5 };

/** Verdict candidates from a table: the first id is the recommended recipe; scores are seed means. */
function candidatesOf(table: Map<string, ImageScore[][]>, over: Record<string, Partial<VerdictCandidate>> = {}): VerdictCandidate[] {
  return [...table.keys()].map((id, k) => ({
    id,
    label: id.toUpperCase(),
    isRecommended: k === 0,
    status: 'ok',
    statusDetail: null,
    scores: Object.fromEntries(HEADLINE_METRICS.map((m) => [m, seedMean(table.get(id)!, m, ctx)])) as Record<HeadlineMetric, number>,
    ...over[id],
  }));
}

function inputFor(spec: TableSpec, over: Partial<VerdictInput> = {}, candidateOver: Record<string, Partial<VerdictCandidate>> = {}): VerdictInput {
  const table = buildTable(spec);
  return { candidates: candidatesOf(table, candidateOver), compare: tableComparator(table, ctx), valImages: spec.images, seeds: spec.seeds, steps: 200, ...over };
}

const noisy = { noise: 0.02, seedNoise: 0.01 };

describe('verdict on seed-paired score tables', () => {
  it('A/A: identical per-image scores are equivalent, never beaten or confirmed', () => {
    const table = buildTable({ images: 12, seeds: 3, effects: { rec: 0 }, ...noisy });
    table.set('copy', table.get('rec')!);
    const v = decideVerdict({ candidates: candidatesOf(table), compare: tableComparator(table, ctx), valImages: 12, seeds: 3, steps: 200 });
    expect(v.outcome).toBe('equivalent');
    expect(v.sentence).toMatch(/^Keep the recommended REC: at 200 steps no alternative differs from it by more than the tie margin of 0\.01 mean Dice/);
    expect(v.comparisons![0]).toMatchObject({ candidateId: 'copy', againstId: 'rec', difference: 0, relation: 'equivalent', seedVariance: true });
  });

  it('beaten with a CI excluding 0 when an alternative is better on every seed, and says it ranks at this budget', () => {
    const v = decideVerdict(inputFor({ images: 15, seeds: 3, effects: { rec: 0, ce: 0.12 }, seedEffects: { '*': [0.05, -0.1, 0.08] }, ...noisy }));
    expect(v.outcome).toBe('beaten');
    expect(v.winnerId).toBe('ce');
    expect(v.sentence).toMatch(/^Switch to CE for training this long: at 200 steps, CE beat the recommended REC on mean Dice by \+0\.0\d\d \(95% CI \+0\.\d+ to \+0\.\d+; 3 seeds x 15 validation images, seed-paired\); a ranking at this budget only\.$/);
    const c = v.comparisons!.find((x) => x.candidateId === 'ce')!;
    expect(c.ci[0]).toBeGreaterThan(0);
    expect(c.relation).toBe('better');
  });

  it('a difference large on one seed\'s images that flips sign across seeds is not "beaten" (DESIGN.md)', () => {
    const v = decideVerdict(inputFor({ images: 20, seeds: 3, effects: { rec: 0, focal: 0 }, seedEffects: { focal: [0.2, -0.1, 0.2], rec: [0, 0, 0] }, noise: 0.02 }));
    expect(v.outcome).toBe('tied');
    expect(v.sentence).toMatch(/no significant difference from FOCAL .* but none within the tie margin of 0\.01 either; the smallest difference this run could detect was about 0\.\d+ mean Dice; about \d+ seeds \(\d+\.\dx this run's training, same steps\) would/);
    expect(v.toResolve?.seeds).toBeGreaterThan(3);
    // What limits it: the seed-to-seed spread (focal +0.2, -0.1, +0.2: sd 0.173, / sqrt 3 = 0.1), not the 20 images.
    const se = v.comparisons!.find((x) => x.candidateId === 'focal' && x.metric === 'meanDice')!.standardError!;
    expect(se.replicates).toBeGreaterThan(0.05);
    expect(se.images).toBeGreaterThanOrEqual(0);
    expect(se.images).toBeLessThan(se.replicates / 2);
    expect(v.details.some((d) => /^Smallest mean-Dice difference this run could detect \(95% confidence, 80% power\): 0\.\d{3} \(3 seeds x 20 validation images; the least sensitive comparison, FOCAL: \d+% of its variance is seed-to-seed, which more seeds or folds shrink alike\)\.$/.test(d))).toBe(true);
    // a small difference under a large seed spread: no seed count within reach is promised
    const small = decideVerdict(inputFor({ images: 20, seeds: 3, effects: { rec: 0, focal: 0 }, seedEffects: { focal: [0.16, -0.14, 0.06], rec: [0, 0, 0] }, noise: 0.02 }));
    expect(small.outcome).toBe('tied');
    expect(small.sentence).toMatch(/more than 64 seeds would be needed to tell the sign of a 0\.0\d\d difference at this budget \(3 seeds now\); a longer training may separate them/);
  });

  it('image-limited: the advice says the validation set is the limit, at how many seeds, and that folds validate every image', () => {
    // DICE's gain differs by image (fixed across seeds) and the seeds agree: only more images would tell.
    const perImage = [0.25, -0.2, 0.22, -0.25, 0.3, -0.18, 0.15, -0.17];
    const v = decideVerdict(inputFor({ images: 8, seeds: 5, effects: { rec: 0, dice: 0.04 }, candidateImageEffects: { dice: perImage }, seedNoise: 0.002, noise: 0.001 }));
    expect(v.outcome).toBe('tied');
    expect(v.toResolve?.seeds).toBeNull();
    expect(v.toResolve?.valImagesMultiplier).toBeGreaterThan(1);
    expect(v.toResolve?.text).toMatch(/^more seeds alone would not tell the sign of a 0\.\d{3} difference: the validation set is the limit \(about \d+\.\dx more validation images at 64 seeds; cross-validation \(--folds\) validates every labelled image once\)$/);
    const se = v.comparisons!.find((x) => x.candidateId === 'dice' && x.metric === 'meanDice')!.standardError!;
    expect(se.images).toBeGreaterThan(3 * se.replicates);
    // and the detectable-difference line names what limits it, and the lever that shrinks it
    expect(v.details.some((d) => /^Smallest mean-Dice difference .*\(5 seeds x 8 validation images; the least sensitive comparison, DICE: (9\d|100)% of its variance is which images the split validates, which more seeds do not shrink; cross-validation \(--folds\) validates every image once\)\.$/.test(d))).toBe(true);
  });

  it('confirmed when the recommended recipe is significantly ahead of all', () => {
    const v = decideVerdict(inputFor({ images: 12, seeds: 3, effects: { rec: 0.15, ce: 0, dice: 0.05 }, ...noisy }));
    expect(v.outcome).toBe('confirmed');
    expect(v.winnerId).toBe('rec');
    expect(v.sentence).toMatch(/^Keep the recommended REC: at 200 steps it beat every alternative on mean Dice/);
  });

  it('fewer than 3 seeds: describes what it saw, never beaten or confirmed, and asks for --seeds 3', () => {
    for (const seeds of [1, 2]) {
      const v = decideVerdict(inputFor({ images: 15, seeds, effects: { rec: 0, ce: 0.2 }, ...noisy }));
      expect(v.outcome).toBe('inconclusive');
      expect(v.winnerId).toBe('ce');
      expect(v.sentence).toMatch(new RegExp(`^Inconclusive with ${seeds} seeds?: at 200 steps CE had the highest mean Dice .* a winner needs at least 3 seeds; run verify with --seeds 3`));
      if (seeds === 1) expect(v.sentence).toContain('validation images only: seed-to-seed variance unmeasured');
    }
  });

  it('a single finished candidate is inconclusive, not "tied ... nothing to compare against" (reported bug)', () => {
    const table = buildTable({ images: 12, seeds: 3, effects: { rec: 0 } });
    const candidates: VerdictCandidate[] = [...candidatesOf(table), { id: 'ce', label: 'CE', isRecommended: false, status: 'diverged', statusDetail: 'loss became NaN at step 3', scores: null }];
    const v = decideVerdict({ candidates, compare: tableComparator(table, ctx), valImages: 12, seeds: 3, steps: 200 });
    expect(v.outcome).toBe('inconclusive');
    expect(v.sentence).toMatch(/^Inconclusive: only the recommended REC finished .* nothing was compared/);
    expect(v.details).toContain('CE: diverged (loss became NaN at step 3)');
  });

  it('beaten when the recommended recipe diverged; not when nothing beat all-background', () => {
    const table = buildTable({ images: 12, seeds: 3, effects: { ce: 0 } });
    const candidates: VerdictCandidate[] = [{ id: 'rec', label: 'REC', isRecommended: true, status: 'diverged', statusDetail: 'loss became NaN at step 12', scores: null }, ...candidatesOf(table, { ce: { isRecommended: false } })];
    const base = { candidates, compare: tableComparator(table, ctx), valImages: 12, seeds: 3, steps: 200 };
    const v = decideVerdict(base);
    expect(v.outcome).toBe('beaten');
    expect(v.winnerId).toBe('ce');
    expect(v.sentence).toContain('NaN at step 12');
    expect(v.details[0]).toMatch(/REC: diverged/);
    const stuck = decideVerdict({ ...base, allBackgroundMeanDice: 0.99 });
    expect(stuck.outcome).toBe('inconclusive');
    expect(stuck.sentence).toMatch(/no other candidate did better than predicting background everywhere/);
  });

  it('inconclusive with too few validation images, a failed recommended recipe, or nothing finished', () => {
    expect(decideVerdict(inputFor({ images: 12, seeds: 3, effects: { rec: 0, ce: 0.2 } }, { valImages: 2 })).outcome).toBe('inconclusive');
    const failed = decideVerdict(inputFor({ images: 12, seeds: 3, effects: { rec: 0, ce: 0 } }, {}, { rec: { status: 'failed', statusDetail: 'loss "combo": bad option', scores: null } }));
    expect(failed.sentence).toMatch(/could not be trained \(loss "combo": bad option\); fix the recipe/);
    const none = decideVerdict({ candidates: [{ id: 'rec', label: 'REC', isRecommended: true, status: 'diverged', statusDetail: null, scores: null }], compare: () => null, valImages: 12, seeds: 3, steps: 10 });
    expect(none.outcome).toBe('inconclusive');
    const interrupted = decideVerdict({ candidates: [{ id: 'rec', label: 'REC', isRecommended: true, status: 'interrupted', statusDetail: null, scores: null }], compare: () => null, valImages: 12, seeds: 3, steps: 10, interrupted: true });
    expect(interrupted.sentence).toMatch(/interrupted before any candidate finished/);
  });

  it('reports significant secondary-metric differences, rarest-class Dice included', () => {
    const v = decideVerdict(inputFor({ images: 12, seeds: 3, effects: { rec: 0, ce: 0.1 }, ...noisy }));
    expect(v.details.some((d) => /^Significantly higher rarest-class Dice than the recommended recipe: CE \+0\.\d+/.test(d))).toBe(true);
    expect(v.details.some((d) => /^Significantly higher rarest-class recall than the recommended recipe: CE/.test(d))).toBe(true);
  });

  it('flags "order still moving" and then gives no bare "switch to"', () => {
    const curves: LearningCurve[] = [
      // the recommended recipe trails but climbs fast; CE leads and has flattened
      { id: 'rec', points: [{ steps: 50, value: 0.5 }, { steps: 100, value: 0.56 }, { steps: 200, value: 0.62 }] },
      { id: 'ce', points: [{ steps: 50, value: 0.63 }, { steps: 100, value: 0.65 }, { steps: 200, value: 0.66 }] },
    ];
    const v = decideVerdict(inputFor({ images: 15, seeds: 3, effects: { rec: 0, ce: 0.12 }, ...noisy }, { curves }));
    expect(v.outcome).toBe('beaten');
    expect(v.orderStillMoving).toBe(true);
    expect(v.sentence).not.toMatch(/^Switch to/);
    expect(v.sentence).toMatch(/but the order is still moving: REC trails CE by 0\.040 at 200 steps but gains \+0\.060 per doubling of the steps vs \+0\.015: the lines cross at about \d+ steps \(1\.\dx\); train longer before switching to CE\./);
  });

  it('a confirmed recipe with a challenger still climbing says the order is still moving', () => {
    const curves: LearningCurve[] = [
      { id: 'rec', points: [{ steps: 50, value: 0.7 }, { steps: 100, value: 0.72 }, { steps: 200, value: 0.73 }] },
      { id: 'ce', points: [{ steps: 50, value: 0.55 }, { steps: 100, value: 0.62 }, { steps: 200, value: 0.69 }] },
      { id: 'dice', points: [{ steps: 50, value: 0.6 }, { steps: 100, value: 0.6 }, { steps: 200, value: 0.6 }] },
    ];
    const v = decideVerdict(inputFor({ images: 12, seeds: 3, effects: { rec: 0.15, ce: 0, dice: 0.05 }, ...noisy }, { curves }));
    expect(v.outcome).toBe('confirmed');
    expect(v.orderStillMoving).toBe(true);
    expect(v.sentence).toMatch(/; but the order is still moving: CE trails REC by 0\.040 at 200 steps .*; a ranking at this budget only\.$/);
    expect(v.details).toContain(`Order still moving: CE trails REC by 0.040 at 200 steps but gains +0.070 per doubling of the steps vs +0.015: the lines cross at about 331 steps (1.7x).`);
  });

  it('without a curve it says it ranks at this budget only', () => {
    const v = decideVerdict(inputFor({ images: 12, seeds: 3, effects: { rec: 0.15, ce: 0 }, ...noisy }));
    expect(v.details).toContain('Ranks at this budget only: the run has one validation point per candidate, so it cannot tell whether the order is still moving.');
    expect(v.steps).toBe(200);
  });

  it('racing: every alternative stopped confirms; a stopped recommended recipe is beaten with the evidence', () => {
    const table = buildTable({ images: 12, seeds: 3, effects: { rec: 0.1 } });
    const elim = (id: string, by: string, seeds = 3): Elimination => ({ id, rung: 2, steps: 100, by, metric: 'meanDice', difference: 0.08, ci: [0.03, 0.13], confidence: 0.975, pValue: 0.004, seeds, reason: `${id} stopped: evidence` });
    const candidates = [...candidatesOf(table), { id: 'ce', label: 'CE', isRecommended: false, status: 'ok' as const, statusDetail: null, scores: null }];
    const confirmed = decideVerdict({ candidates, compare: tableComparator(table, ctx), valImages: 12, seeds: 3, steps: 200, eliminations: [elim('ce', 'rec')] });
    expect(confirmed.outcome).toBe('confirmed');
    expect(confirmed.sentence).toMatch(/^Keep the recommended REC: racing stopped every alternative that trained as significantly worse than the leader: CE at 100 steps \(see the racing lines\), and it reached mean Dice 0\.\d{3} at 200 steps; a ranking at this budget only\.$/);
    expect(confirmed.details).toContain('Racing: ce stopped: evidence');
    const fewSeeds = decideVerdict({ candidates, compare: tableComparator(table, ctx), valImages: 12, seeds: 2, steps: 200, eliminations: [elim('ce', 'rec', 2)] });
    expect(fewSeeds.outcome).toBe('inconclusive');
    expect(fewSeeds.sentence).toMatch(/^Inconclusive with 2 seeds: racing stopped every alternative .* a winner needs at least 3 seeds/);
    expect(confirmed.eliminations).toHaveLength(1);
    const ceTable = buildTable({ images: 12, seeds: 3, effects: { ce: 0.1 } });
    const recOut = [{ id: 'rec', label: 'REC', isRecommended: true, status: 'ok' as const, statusDetail: null, scores: null }, ...candidatesOf(ceTable, { ce: { isRecommended: false } })];
    const beaten = decideVerdict({ candidates: recOut, compare: tableComparator(ceTable, ctx), valImages: 12, seeds: 3, steps: 200, eliminations: [elim('rec', 'ce')] });
    expect(beaten.outcome).toBe('beaten');
    expect(beaten.sentence).toMatch(/^At 100 steps CE was ahead of the recommended REC by \+0\.080 mean Dice \(97\.5% CI \+0\.030 to \+0\.130, 3 seeds\)/);
    // With folds the evidence counts folds, not seeds.
    const byFolds = decideVerdict({ candidates: recOut, compare: tableComparator(ceTable, ctx), valImages: 12, seeds: 10, steps: 200, eliminations: [elim('rec', 'ce', 10)], design: { folds: 10, seedsPerFold: 1 } });
    expect(byFolds.outcome).toBe('beaten');
    expect(byFolds.sentence).toMatch(/\(97\.5% CI \+0\.030 to \+0\.130, 10 folds\)/);
    const twoSeeds = decideVerdict({ candidates: recOut, compare: tableComparator(ceTable, ctx), valImages: 12, seeds: 2, steps: 200, eliminations: [elim('rec', 'ce', 2)] });
    expect(twoSeeds.outcome).toBe('inconclusive');
    expect(twoSeeds.sentence).toMatch(/^Inconclusive: racing stopped the recommended REC at 100 steps, behind CE by \+0\.080 mean Dice \(97\.5% CI \+0\.030 to \+0\.130, 2 seeds\), but 2 seeds are too few/);
  });

  it('the object-metrics hook adds its lines to the details', () => {
    const v = decideVerdict(inputFor({ images: 12, seeds: 3, effects: { rec: 0, ce: 0.1 }, ...noisy }, { objectMetrics: (a, b) => [`objects: ${a} vs ${b}`] }));
    expect(v.details).toContain('objects: ce vs rec');
  });
});

describe('verdict with candidates stopped at the time budget (unequal steps)', () => {
  it('does not compare a candidate that trained fewer steps, and says the comparison is unequal', () => {
    const v = decideVerdict(
      inputFor({ images: 12, seeds: 3, effects: { rec: 0.15, ce: 0, dice: 0 }, ...noisy }, {}, { rec: { stepsDone: 100 }, ce: { status: 'stopped', statusDetail: 'stopped at the time budget after 40 of 100 steps', stepsDone: 40 }, dice: { stepsDone: 100 } }),
    );
    expect(v.details).toContain('CE: stopped at the time budget after 40 of 100 steps');
    expect(v.details).toContain('Unequal comparison: CE trained 40 steps vs 100; a candidate that trained a different number of steps is not compared.');
    expect(v.comparisons!.map((c) => c.candidateId)).toEqual(['dice']);
    expect(v.outcome).toBe('confirmed');
  });

  it('a stopped recommended recipe behind one that trained longer is inconclusive, not beaten', () => {
    const v = decideVerdict(inputFor({ images: 12, seeds: 3, effects: { rec: 0, ce: 0.2 } }, {}, { rec: { status: 'stopped', statusDetail: 'stopped at the time budget after 40 of 100 steps', stepsDone: 40 }, ce: { stepsDone: 100 } }));
    expect(v.outcome).toBe('inconclusive');
    expect(v.winnerId).toBe('ce');
    expect(v.sentence).toMatch(/stopped at the time budget after 40 of 100 steps, so it cannot be compared/);
  });

  it('nothing compared because the budget ran out is inconclusive and blames the time budget', () => {
    const none: VerdictCandidate[] = [
      { id: 'rec', label: 'REC', isRecommended: true, status: 'stopped', statusDetail: 'not started: no time', scores: null, stepsDone: 0 },
      { id: 'ce', label: 'CE', isRecommended: false, status: 'stopped', statusDetail: 'not started: no time', scores: null, stepsDone: 0 },
    ];
    expect(decideVerdict({ candidates: none, compare: () => null, valImages: 12, seeds: 3, steps: 100 }).sentence).toMatch(/^Inconclusive: the time budget ran out before any candidate could be compared/);
  });
});

describe('verdict A/A simulation', () => {
  it('two recipes of the same quality are called beaten or confirmed in at most ~5% of runs', () => {
    // seed, per-image and fixed candidate x image effects all present; every run differs
    const rng = createRng(77);
    const trials = 150;
    let directional = 0;
    for (let trial = 0; trial < trials; trial++) {
      const swing = () => Array.from({ length: 12 }, () => 0.05 * gaussian(rng.next));
      const table = buildTable({ images: 12, seeds: 3, effects: { rec: 0, ce: 0 }, seedNoise: 0.04, noise: 0.03, candidateImageEffects: { rec: swing(), ce: swing() }, rng: rng.next });
      const v = decideVerdict({ candidates: candidatesOf(table), compare: tableComparator(table, { ...ctx, seed: trial, resamples: 200 }), valImages: 12, seeds: 3, steps: 100 });
      if (v.outcome === 'beaten' || v.outcome === 'confirmed') directional++;
    }
    // binomial sd at 5% of 150 runs is 1.8%
    expect(directional / trials).toBeLessThanOrEqual(0.086);
  });
});
