/**
 * The run's error budget (src/verify/error-budget.ts): how it splits, and an A/A simulation of a
 * whole race + verdict on constructed score tables, against the first version's split (racing
 * 5% / plannedRungs per rung on top of a 95% verdict), which the bench caught above 5%, and the
 * power the spending function gives the verdict over the even split it replaced.
 */
import { describe, expect, it } from 'vitest';
import { planErrorBudget, RACING_SPENDING_POWER } from '../../src/verify/error-budget.js';
import { raceRung } from '../../src/verify/racing.js';
import { createRng } from '../../src/verify/random.js';
import { HEADLINE_METRICS, type HeadlineMetric, type ImageScore } from '../../src/verify/scores.js';
import { seedMean, tableComparator } from '../../src/verify/seed-stats.js';
import { decideVerdict, type VerdictCandidate } from '../../src/verify/verdict.js';
import { buildTable, gaussian } from './score-tables.js';

const ctx = { numClasses: 2, rarestClassId: 1, seed: 3 };

describe('planErrorBudget', () => {
  it('spends alpha x t^2 over the racing rungs (t = the rung\'s share of the steps) and gives the verdict the rest', () => {
    const b = planErrorBudget({ racing: true, plannedRungs: 4, candidates: 5 });
    expect(RACING_SPENDING_POWER).toBe(2);
    expect(b.racingRungs).toBe(3);
    // rungs at 1/8, 1/4, 1/2 of the steps: 5% x (1/64, 1/16 - 1/64, 1/4 - 1/16)
    expect(b.racingAlphas.map((a) => a / 0.05)).toEqual([1 / 64, 3 / 64, 12 / 64].map((x) => expect.closeTo(x, 12)));
    expect(b.verdictConfidence).toBeCloseTo(0.9625, 12);
    expect(b.racingAlphas.reduce((s, a) => s + a, 0) + (1 - b.verdictConfidence)).toBeCloseTo(0.05, 12);
    // the last racing rung gets more than the even split of half the budget did (2.5% / 3), the first rungs far less
    expect(b.racingAlphas[2]).toBeGreaterThan(0.025 / 3);
    expect(b.racingAlphas[0]).toBeLessThan(0.025 / 30);
  });

  it('fewer planned rungs: the racing rungs are the last fractions before the verdict', () => {
    const two = planErrorBudget({ racing: true, plannedRungs: 2, candidates: 3 });
    expect(two.racingAlphas).toEqual([expect.closeTo(0.05 / 4, 12)]);
    expect(two.verdictConfidence).toBeCloseTo(1 - 0.0375, 12);
    const three = planErrorBudget({ racing: true, plannedRungs: 3, candidates: 3, confidence: 0.9 });
    expect(three.racingAlphas).toEqual([expect.closeTo(0.1 / 16, 12), expect.closeTo((0.1 * 3) / 16, 12)]);
    // more rungs than fractions (never planned, but bounded): still within the budget
    const many = planErrorBudget({ racing: true, plannedRungs: 9, candidates: 3 });
    expect(many.racingRungs).toBe(3);
    expect(many.racingAlphas.reduce((s, a) => s + a, 0) + (1 - many.verdictConfidence)).toBeCloseTo(0.05, 12);
  });

  it('gives the verdict everything when nothing can race', () => {
    for (const p of [{ racing: false, plannedRungs: 4, candidates: 5 }, { racing: true, plannedRungs: 1, candidates: 5 }, { racing: true, plannedRungs: 4, candidates: 1 }]) {
      expect(planErrorBudget(p)).toEqual({ confidence: 0.95, verdictConfidence: 0.95, racingAlphas: [], racingRungs: 0 });
    }
  });

  it('the level racing is given is the level it spends: alpha 0 stops no one', () => {
    const table = buildTable({ images: 12, seeds: 3, effects: { rec: 0.2, ce: -0.2 }, seedNoise: 0.01, noise: 0.01 });
    expect(raceRung({ rung: 1, steps: 50, alive: ['rec', 'ce'], table, tieMargin: 0.01, ctx, alpha: 0.05 }).eliminations).toHaveLength(1);
    expect(raceRung({ rung: 1, steps: 50, alive: ['rec', 'ce'], table, tieMargin: 0.01, ctx, alpha: 0 }).eliminations).toHaveLength(0);
  });
});

/**
 * One simulated verify run of two recipes of the same quality: 4 rungs, 3 seeds, 12 validation
 * images. A run's luck carries over from rung to rung (a persistent seed effect plus a fresh one),
 * as it does in training. Returns whether the run made a directional call (an elimination or a
 * beaten / confirmed verdict).
 */
function aaRun(rng: ReturnType<typeof createRng>, trial: number, split: { verdictConfidence: number; alphaAt: (rung: number) => number }, copyEffect = 0): boolean {
  const persistent = { rec: [0, 0, 0].map(() => 0.03 * gaussian(rng.next)), copy: [0, 0, 0].map(() => 0.03 * gaussian(rng.next)) };
  const swing = { rec: Array.from({ length: 12 }, () => 0.03 * gaussian(rng.next)), copy: Array.from({ length: 12 }, () => 0.03 * gaussian(rng.next)) };
  let alive = ['rec', 'copy'];
  let table = new Map<string, ImageScore[][]>();
  for (let rung = 1; rung <= 4; rung++) {
    const seedEffects = Object.fromEntries(Object.entries(persistent).map(([id, p]) => [id, p.map((v) => v + 0.015 * gaussian(rng.next))]));
    // a real difference emerges with training (DESIGN.md: rankings settle late): its share of the final one grows with the steps
    table = buildTable({ images: 12, seeds: 3, effects: { rec: 0, copy: copyEffect * 2 ** (rung - 4) }, seedEffects, candidateImageEffects: swing, noise: 0.02, rng: rng.next });
    if (rung === 4) break;
    const race = raceRung({ rung, steps: 25 * 2 ** rung, alive, table, tieMargin: 0.01, ctx: { ...ctx, seed: trial, resamples: 100 }, alpha: split.alphaAt(rung), recommendedId: 'rec' });
    if (race.eliminations.length) return true; // an elimination is a directional call
    alive = race.survivors;
  }
  const candidates: VerdictCandidate[] = alive.map((id) => ({
    id, label: id, isRecommended: id === 'rec', status: 'ok', statusDetail: null,
    scores: Object.fromEntries(HEADLINE_METRICS.map((m) => [m, seedMean(table.get(id)!, m, ctx)])) as Record<HeadlineMetric, number>,
  }));
  const v = decideVerdict({
    candidates, compare: tableComparator(table, { ...ctx, seed: trial, resamples: 100, confidence: split.verdictConfidence }),
    confidence: split.verdictConfidence, valImages: 12, seeds: 3, steps: 200,
  });
  return v.outcome === 'beaten' || v.outcome === 'confirmed';
}

describe('A/A simulation of a whole race and verdict', () => {
  it('keeps directional calls between equal recipes within 5%, where the first version\'s split did not', () => {
    const trials = 400;
    const budget = planErrorBudget({ racing: true, plannedRungs: 4, candidates: 2 });
    const rate = (split: Parameters<typeof aaRun>[2], seed: number) => {
      const rng = createRng(seed);
      let calls = 0;
      for (let t = 0; t < trials; t++) if (aaRun(rng, t, split)) calls++;
      return calls / trials;
    };
    const now = rate({ verdictConfidence: budget.verdictConfidence, alphaAt: (rung) => budget.racingAlphas[rung - 1] }, 21);
    // The first version: 95% at the end, plus 5% / plannedRungs (done + still planned) at each racing rung.
    const before = rate({ verdictConfidence: 0.95, alphaAt: () => 0.05 / 4 }, 21);
    // binomial sd at 5% of 400 runs is 1.1%; measured 2.5% (the even split it replaced: 2.0%)
    expect(now).toBeLessThanOrEqual(0.05);
    expect(before).toBeGreaterThan(now);
  });

  it('with a real difference that emerges with training the spending function calls it more often than the even split it replaced', () => {
    const trials = 300;
    const budget = planErrorBudget({ racing: true, plannedRungs: 4, candidates: 2 });
    const rate = (split: Parameters<typeof aaRun>[2]) => {
      const rng = createRng(77);
      let calls = 0;
      for (let t = 0; t < trials; t++) if (aaRun(rng, t, split, -0.08)) calls++;
      return calls / trials;
    };
    const spending = rate({ verdictConfidence: budget.verdictConfidence, alphaAt: (rung) => budget.racingAlphas[rung - 1] });
    const even = rate({ verdictConfidence: 0.975, alphaAt: () => 0.025 / 3 });
    // measured: 26.7% vs 16.0% of 300 runs (with a difference that is there from the first rung, 30.7% vs 29.3%)
    expect(spending).toBeGreaterThan(even + 0.05);
  });
});
