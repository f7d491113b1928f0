import { describe, expect, it } from 'vitest';
import { parseBudget, formatDuration } from '../../src/verify/budget.js';
import { learningRateAt, warmupSteps } from '../../src/verify/schedule.js';
import { createDivergenceCheck } from '../../src/verify/divergence.js';
import { bootstrapCI, lossStability, downsample, quantileSorted } from '../../src/verify/stats.js';
import { createRng, shuffled } from '../../src/verify/random.js';
import { UserError } from '../../src/common/errors.js';
import type { Recipe } from '../../src/contracts/recommendation.js';

describe('parseBudget', () => {
  it('reads s, m, h and combinations', () => {
    expect(parseBudget('90s')).toBe(90);
    expect(parseBudget('5m')).toBe(300);
    expect(parseBudget('1h')).toBe(3600);
    expect(parseBudget('1m30s')).toBe(90);
    expect(parseBudget('45')).toBe(45);
    expect(parseBudget('0.5m')).toBe(30);
  });
  it('rejects junk and zero with a UserError', () => {
    for (const bad of ['', 'five minutes', '5x', '5m banana', '0s', '-5m']) expect(() => parseBudget(bad)).toThrow(UserError);
  });
  it('formats back', () => {
    expect(formatDuration(300)).toBe('5m');
    expect(formatDuration(90)).toBe('1m30s');
    expect(formatDuration(3600)).toBe('1h');
  });
});

const schedule = (over: Partial<Recipe['schedule']>): Recipe['schedule'] => ({ name: 'constant', warmupFraction: 0, power: null, minLrFactor: 0, ...over });

describe('learning-rate schedule', () => {
  it('warms up linearly to the base LR', () => {
    const s = schedule({ warmupFraction: 0.1 });
    expect(warmupSteps(s, 100)).toBe(10);
    expect(learningRateAt(0, 100, 1e-3, s)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(4, 100, 1e-3, s)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(9, 100, 1e-3, s)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(50, 100, 1e-3, s)).toBe(1e-3);
  });
  it('cosine decays from lr to lr*minLrFactor after warm-up', () => {
    const s = schedule({ name: 'cosine', warmupFraction: 0.2, minLrFactor: 0.1 });
    expect(learningRateAt(20, 100, 1, s)).toBeCloseTo(1, 12);
    expect(learningRateAt(60, 100, 1, s)).toBeCloseTo(0.1 + 0.9 * 0.5, 12);
    expect(learningRateAt(100, 100, 1, s)).toBeCloseTo(0.1, 12);
  });
  it('poly uses (1-t)^power with 0.9 by default', () => {
    const s = schedule({ name: 'poly' });
    expect(learningRateAt(50, 100, 1, s)).toBeCloseTo(Math.pow(0.5, 0.9), 12);
    expect(learningRateAt(50, 100, 1, schedule({ name: 'poly', power: 2 }))).toBeCloseTo(0.25, 12);
  });
});

describe('divergence detection', () => {
  it('flags a NaN or infinite loss at its step', () => {
    const check = createDivergenceCheck({ warmupSteps: 0, totalSteps: 100 });
    expect(check.observe(0, 1.2)).toBeNull();
    expect(check.observe(1, Number.NaN)).toMatch(/NaN at step 2/);
    expect(createDivergenceCheck({ warmupSteps: 0, totalSteps: 100 }).observe(0, Infinity)).toMatch(/infinite/);
  });
  it('flags a sustained explosion above 10x the early median after warm-up, not one spike', () => {
    const check = createDivergenceCheck({ warmupSteps: 10, totalSteps: 100 });
    const results: Array<string | null> = [];
    for (let s = 0; s < 10; s++) results.push(check.observe(s, 500)); // warm-up: ignored
    for (let s = 10; s < 15; s++) results.push(check.observe(s, 1)); // reference = 1
    results.push(check.observe(15, 50)); // single spike
    results.push(check.observe(16, 1));
    expect(results.every((r) => r === null)).toBe(true);
    expect(check.observe(17, 11)).toBeNull();
    expect(check.observe(18, 12)).toBeNull();
    expect(check.observe(19, 13)).toMatch(/exploded at step 20/);
  });
  it('flags a loss that runs away from its first step during warm-up (an LR of 1e4 or 1e8)', () => {
    // Measured with lr 1e8 on the sample: CE exploded at step 2, inside the warm-up, so the
    // early median after warm-up was itself ~1e14 and the run was reported ok.
    const check = createDivergenceCheck({ warmupSteps: 2, totalSteps: 40 });
    const losses = [0.363, 3.6e8, 4.3e15, 4.1e15, 5.4e14, 0, 1.8e13, 0, 1.4e7, 2.8e13];
    const results = losses.map((loss, s) => check.observe(s, loss));
    expect(results.slice(0, 3).every((r) => r === null)).toBe(true);
    expect(results[3]).toMatch(/exploded at step 4/);
  });
  it('does not flag a loss that rises from a small first batch the way real training does', () => {
    const check = createDivergenceCheck({ warmupSteps: 5, totalSteps: 100 });
    // first batch all background (tiny CE), then rare-class crops: 30x higher but sane
    const losses = [0.02, 0.6, 0.9, 0.7, 0.8, 0.6, 0.5, 0.55, 0.4, 0.45, 0.5, 0.4];
    for (const [s, loss] of losses.entries()) expect(check.observe(s, loss)).toBeNull();
  });
  it('does not flag a loss that merely stays high', () => {
    const check = createDivergenceCheck({ warmupSteps: 0, totalSteps: 50 });
    for (let s = 0; s < 50; s++) expect(check.observe(s, 2 + Math.sin(s))).toBeNull();
  });
});

describe('statistics', () => {
  it('stability is the coefficient of variation of the last third', () => {
    const losses = [9, 9, 9, 1, 2, 3, 2, 2, 2];
    // last third: [2, 2, 2] -> 0
    expect(lossStability(losses)).toBe(0);
    const tail = [1, 3, 1, 3];
    const cv = lossStability([...Array(8).fill(5), ...tail])!;
    expect(cv).toBeCloseTo(1 / 2, 12); // mean 2, population std 1
    expect(lossStability([1, 2])).toBeNull();
  });
  it('downsample keeps at most maxPoints and averages buckets', () => {
    const out = downsample([...Array(1000).keys()], 200);
    expect(out).toHaveLength(200);
    expect(out[0]).toBe(2);
  });
  it('quantile matches numpy linear interpolation', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([0, 10], 0.025)).toBeCloseTo(0.25, 12);
  });
  it('bootstrap CI of a mean covers the true mean and is seeded', () => {
    const rng = createRng(7);
    const values = Array.from({ length: 200 }, () => rng.next());
    const meanOf = (idx: Int32Array) => idx.reduce((s, i) => s + values[i], 0) / idx.length;
    const ci = bootstrapCI(values.length, meanOf, { seed: 1 })!;
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    expect(ci[0]).toBeLessThan(m);
    expect(ci[1]).toBeGreaterThan(m);
    // standard error of a U(0,1) mean with n=200 is ~0.0204: the 95% CI is ~ +-0.04
    expect(ci[1] - ci[0]).toBeGreaterThan(0.06);
    expect(ci[1] - ci[0]).toBeLessThan(0.1);
    expect(bootstrapCI(values.length, meanOf, { seed: 1 })).toEqual(ci);
    expect(bootstrapCI(2, meanOf, { seed: 1 })).toBeNull();
  });
  it('a constant statistic has a zero-width CI', () => {
    expect(bootstrapCI(10, () => 0.5, { seed: 3 })).toEqual([0.5, 0.5]);
  });
  it('shuffle is a seeded permutation', () => {
    const a = shuffled([...Array(50).keys()], createRng(3));
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    expect(shuffled([...Array(50).keys()], createRng(3))).toEqual(a);
    expect(shuffled([...Array(50).keys()], createRng(4))).not.toEqual(a);
  });
});
