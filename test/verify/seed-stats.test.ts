import { describe, expect, it } from 'vitest';
import { perClassScores, sumConfusions } from '../../src/metrics/index.js';
import { createRng } from '../../src/verify/random.js';
import { compileHeadline, pairedDifferenceCI, type ImageScore } from '../../src/verify/scores.js';
import { intervalAt, minimumDetectableDifference, seedPairedDifference, seedsNeeded, tableComparator, withinMargin } from '../../src/verify/seed-stats.js';
import { quantileSorted } from '../../src/verify/stats.js';
import { tCdf, tQuantile } from '../../src/verify/t-distribution.js';
import { buildTable, gaussian } from './score-tables.js';
import { emptyObjectCounts } from '../../src/metrics/objects.js';

const ctx = { numClasses: 2, rarestClassId: 1, seed: 7 };

describe('t distribution (jstat)', () => {
  it('matches R qt/pt', () => {
    expect(tQuantile(0.975, 2)).toBeCloseTo(4.302653, 5); // qt(0.975, 2)
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.228139, 5); // qt(0.975, 10)
    expect(tQuantile(0.8, 4)).toBeCloseTo(0.940965, 5); // qt(0.8, 4)
    expect(tQuantile(0.975, Number.POSITIVE_INFINITY)).toBeCloseTo(1.959964, 5);
    expect(tCdf(-2, 5)).toBeCloseTo(0.05096974, 6); // pt(-2, 5)
  });
});

describe('compiled headline', () => {
  it('equals the pooled confusion-matrix definition, rarest-class Dice included', () => {
    const rng = createRng(3);
    const C = 4;
    const scores: ImageScore[] = Array.from({ length: 9 }, () => ({
      confusion: { numClasses: C, counts: Float64Array.from({ length: C * C }, (_, k) => (k === 15 ? 0 : Math.floor(rng.next() * 50))) },
      boundaryIoU: [rng.next(), null, rng.next(), null],
      objects: emptyObjectCounts(C),
    }));
    const indices = [0, 3, 3, 8, 1];
    const h = compileHeadline(scores, C, 2)(indices);
    const perClass = perClassScores(sumConfusions(indices.map((i) => scores[i].confusion), C));
    const dices = perClass.map((c) => c.dice).filter((d): d is number => d !== null);
    expect(h.meanDice).toBeCloseTo(dices.reduce((a, b) => a + b, 0) / dices.length, 12);
    expect(h.rarestClassDice).toBeCloseTo(perClass[2].dice!, 12);
    expect(h.rarestClassRecall).toBeCloseTo(perClass[2].recall!, 12);
    const b = indices.flatMap((i) => scores[i].boundaryIoU.filter((v): v is number => v !== null));
    expect(h.boundaryIoU).toBeCloseTo(b.reduce((x, y) => x + y, 0) / b.length, 12);
  });
});

describe('seed-paired difference', () => {
  it('A/A: identical per-image scores give a zero difference with a zero-width CI (equivalent)', () => {
    const t = buildTable({ images: 12, seeds: 3, effects: { a: 0 }, noise: 0.05, seedNoise: 0.05 });
    const d = seedPairedDifference(t.get('a')!, t.get('a')!, 'meanDice', ctx)!;
    expect(d.mean).toBe(0);
    expect(d.ci).toEqual([0, 0]);
    expect(d.pValue).toBe(1);
    expect(withinMargin(d.ci, 0.01)).toBe(true);
  });

  it('a large consistent seed-paired difference: the CI excludes 0 and holds the true difference', () => {
    const imageEffects = Array.from({ length: 15 }, (_, i) => ((i % 5) - 2) * 0.05);
    const t = buildTable({ images: 15, seeds: 3, effects: { a: 0.1, b: 0 }, seedEffects: { '*': [0.05, -0.1, 0.08] }, imageEffects, noise: 0.02 });
    const d = seedPairedDifference(t.get('a')!, t.get('b')!, 'meanDice', ctx)!;
    expect(d.seedVariance).toBe(true);
    expect(d.seeds).toBe(3);
    expect(d.perSeed.every((v) => v > 0.03)).toBe(true);
    expect(d.ci[0]).toBeGreaterThan(0);
    expect(d.ci[0]).toBeLessThan(0.05); // ~ +0.1 on r is ~ +0.05 on mean Dice
    expect(d.ci[1]).toBeGreaterThan(0.05);
    // b - a is the mirror image
    const back = seedPairedDifference(t.get('b')!, t.get('a')!, 'meanDice', ctx)!;
    expect(back.mean).toBeCloseTo(-d.mean, 12);
  });

  it('DESIGN.md bug: a difference large on the images of one seed that flips sign across seeds is NOT significant', () => {
    // seed effects per candidate: a leads by 0.16 on seed 0, trails by 0.14 on seed 1, leads by 0.06 on seed 2
    const t = buildTable({ images: 20, seeds: 3, effects: { a: 0, b: 0 }, seedEffects: { a: [0.16, -0.14, 0.06], b: [0, 0, 0] }, noise: 0.02 });
    const a = t.get('a')!;
    const b = t.get('b')!;
    // the old single-run CI (val images of seed 0 only) calls it: +0.08 with a CI far from 0
    const oneRun = pairedDifferenceCI(a[0], b[0], 'meanDice', ctx)!;
    expect(oneRun[0]).toBeGreaterThan(0.05);
    // the seed-paired one does not
    const d = seedPairedDifference(a, b, 'meanDice', ctx)!;
    expect(d.ci[0]).toBeLessThan(0);
    expect(d.ci[1]).toBeGreaterThan(0);
    expect(d.pValue).toBeGreaterThan(0.05);
  });

  it('one seed: the image-only interval, flagged seedVariance false', () => {
    const t = buildTable({ images: 10, seeds: 1, effects: { a: 0.1, b: 0 }, noise: 0.03 });
    const d = seedPairedDifference(t.get('a')!, t.get('b')!, 'meanDice', ctx)!;
    expect(d.seedVariance).toBe(false);
    expect(d.seeds).toBe(1);
    expect(d.seedSd).toBe(0);
    expect(d.parts).toEqual([{ variance: d.imageSe ** 2, df: 9 }]);
    // the image-only interval is a plain t interval with n - 1 df
    expect(d.ci[1] - d.mean).toBeCloseTo(tQuantile(0.975, 9) * d.imageSe, 12);
    expect(d.ci[0]).toBeGreaterThan(0);
  });

  it('null with too few validation images; refuses unpaired inputs', () => {
    const t = buildTable({ images: 4, seeds: 3, effects: { a: 0, b: 0 } });
    expect(seedPairedDifference(t.get('a')!, t.get('b')!, 'meanDice', ctx)).toBeNull();
    const u = buildTable({ images: 8, seeds: 3, effects: { a: 0, b: 0 } });
    expect(() => seedPairedDifference(u.get('a')!, u.get('b')!.slice(0, 2), 'meanDice', ctx)).toThrow(/paired by seed/);
  });

  it('the CI widens with the seed spread and narrows with seeds, and intervalAt matches at the same level', () => {
    const rng = createRng(11);
    const make = (seeds: number, seedNoise: number) => {
      const t = buildTable({ images: 12, seeds, effects: { a: 0, b: 0 }, seedNoise, noise: 0.02, rng: rng.next });
      return seedPairedDifference(t.get('a')!, t.get('b')!, 'meanDice', ctx)!;
    };
    const calm = make(5, 0.01);
    const wild = make(5, 0.1);
    expect(wild.ci[1] - wild.ci[0]).toBeGreaterThan(3 * (calm.ci[1] - calm.ci[0]));
    const ci = intervalAt(wild, 0.95);
    expect(ci[0]).toBeCloseTo(wild.ci[0], 12);
    expect(ci[1]).toBeCloseTo(wild.ci[1], 12);
  });

  it('the comparator is symmetric in its bootstrap and independent of call order', () => {
    const t = buildTable({ images: 10, seeds: 3, effects: { a: 0.05, b: 0, c: 0.02 }, noise: 0.03, seedNoise: 0.03 });
    const first = tableComparator(t, ctx);
    const x = first('a', 'b', 'meanDice')!;
    const y = first('b', 'a', 'meanDice')!;
    expect(y.se).toBeCloseTo(x.se, 12);
    const second = tableComparator(t, ctx);
    second('c', 'a', 'rarestClassDice');
    expect(second('a', 'b', 'meanDice')!.ci).toEqual(x.ci);
    expect(first('a', 'missing', 'meanDice')).toBeNull();
  });
});

describe('minimum detectable difference and seeds needed', () => {
  it('Banerjee interval: each variance component with its own t quantile; p-value consistent with it', () => {
    const t = buildTable({ images: 15, seeds: 3, effects: { a: 0.03, b: 0 }, seedEffects: { a: [0.04, -0.04, 0.0], b: [0, 0, 0] }, candidateImageEffects: { a: Array.from({ length: 15 }, (_, i) => (i % 3) * 0.04 - 0.04) }, noise: 0.01 });
    const d = seedPairedDifference(t.get('a')!, t.get('b')!, 'meanDice', ctx)!;
    expect(d.parts.map((p) => p.df)).toEqual([2, 14]);
    expect(d.parts[0].variance).toBeCloseTo(d.seedSd ** 2 / 3, 15);
    expect(d.parts[1].variance).toBeGreaterThan(0);
    const half = Math.sqrt(tQuantile(0.975, 2) ** 2 * d.parts[0].variance + tQuantile(0.975, 14) ** 2 * d.parts[1].variance);
    expect(d.ci[0]).toBeCloseTo(d.mean - half, 12);
    expect(d.ci[1]).toBeCloseTo(d.mean + half, 12);
    // at the p-value's confidence the interval just touches 0
    const touching = intervalAt(d, 1 - d.pValue);
    expect(Math.min(Math.abs(touching[0]), Math.abs(touching[1]))).toBeLessThan(1e-9);
  });

  it('MDD is (t_.975 + t_.8) per component and falls to the observed difference at the seeds needed', () => {
    const t = buildTable({ images: 15, seeds: 3, effects: { a: 0.03, b: 0 }, seedEffects: { a: [0.04, -0.04, 0.0], b: [0, 0, 0] }, noise: 0.01 });
    const d = seedPairedDifference(t.get('a')!, t.get('b')!, 'meanDice', ctx)!;
    const q = (df: number) => tQuantile(0.975, df) + tQuantile(0.8, df);
    const mdd = minimumDetectableDifference(d);
    expect(mdd).toBeCloseTo(Math.sqrt(q(2) ** 2 * d.parts[0].variance + q(14) ** 2 * d.parts[1].variance), 12);
    expect(mdd).toBeGreaterThan(Math.abs(d.mean)); // not resolved at 3 seeds
    const need = seedsNeeded(d, { tieMargin: 0.01 });
    expect(need.goal).toBe('direction');
    expect(need.seeds).toBeGreaterThan(3);
    expect(need.budgetMultiplier).toBeCloseTo(need.seeds! / 3, 12);
    // at the projected seeds (same variance components) the MDD is within the observed difference, one seed fewer it is not
    const at = (s: number) => minimumDetectableDifference({ parts: [{ variance: d.seedSd ** 2 / s, df: s - 1 }, d.parts[1]] });
    expect(at(need.seeds!)).toBeLessThanOrEqual(Math.abs(d.mean));
    expect(at(need.seeds! - 1)).toBeGreaterThan(Math.abs(d.mean));
  });

  it('with one seed the seed variance is unknown: no seed count is promised', () => {
    const t = buildTable({ images: 10, seeds: 1, effects: { a: 0.02, b: 0 }, noise: 0.05 });
    const d = seedPairedDifference(t.get('a')!, t.get('b')!, 'meanDice', ctx)!;
    expect(seedsNeeded(d, { tieMargin: 0.01 }).seeds).toBeNull();
  });

  it('when the validation images are the limit, says how many more images instead of seeds', () => {
    // no seed spread at all (the same per-image result on every seed), but the candidates disagree a
    // lot from image to image: a is much better on half the images and worse on the other half
    const swing = Array.from({ length: 6 }, (_, i) => (i % 2 ? 0.3 : -0.26));
    const t = buildTable({ images: 6, seeds: 3, effects: { a: 0, b: 0 }, candidateImageEffects: { a: swing } });
    const d = seedPairedDifference(t.get('a')!, t.get('b')!, 'meanDice', ctx)!;
    expect(d.seedSd).toBe(0);
    expect(d.ci[0]).toBeLessThan(0);
    const need = seedsNeeded(d, { tieMargin: 0.01 });
    expect(need.goal).toBe('direction');
    expect(need.seeds).toBeNull();
    expect(need.valImagesMultiplier).toBeGreaterThan(2);
  });
});

/**
 * A/A false-positive rate: two candidates of the same expected quality, 3 seeds, 12 validation
 * images, in three regimes: seed noise dominates; per-image noise dominates; a fixed candidate x
 * image difference (one is better on some images, worse on others, the same on every seed: only
 * resampling the images can see it). The share of runs whose 95% CI excludes 0 must be at most 5%
 * (+ 2 binomial sd of simulation error); the two-stage percentile bootstrap (seeds, then images) is
 * shown far above it where seeds matter, which is why seed-stats.ts does not use it.
 */
describe('A/A false-positive rate (simulation)', () => {
  const trials = 300;
  const regimes = [
    { name: 'seed noise', seedNoise: 0.06, noise: 0.03, interaction: 0 },
    { name: 'image noise', seedNoise: 0.005, noise: 0.08, interaction: 0 },
    { name: 'candidate x image', seedNoise: 0.02, noise: 0.02, interaction: 0.1 },
  ];
  const simulate = (regime: (typeof regimes)[number], k: number) => {
    const rng = createRng(2026 + k);
    return Array.from({ length: trials }, () => {
      const candidateImageEffects = { a: Array.from({ length: 12 }, () => regime.interaction * gaussian(rng.next)), b: Array.from({ length: 12 }, () => regime.interaction * gaussian(rng.next)) };
      return buildTable({ images: 12, seeds: 3, effects: { a: 0, b: 0 }, seedNoise: regime.seedNoise, noise: regime.noise, candidateImageEffects, rng: rng.next });
    });
  };
  const tablesByRegime = regimes.map((r, k) => simulate(r, k));

  it.each(regimes.map((r, k) => [r.name, k] as const))('the seed-paired t interval calls at most ~5%% of identical recipes different (%s)', (_, k) => {
    let calls = 0;
    tablesByRegime[k].forEach((t, trial) => {
      const d = seedPairedDifference(t.get('a')!, t.get('b')!, 'meanDice', { ...ctx, seed: trial, resamples: 200 })!;
      if (d.ci[0] > 0 || d.ci[1] < 0) calls++;
    });
    // binomial sd at p = 0.05, n = 300 is 1.3%: allow 5% + 2 sd
    expect(calls / trials).toBeLessThanOrEqual(0.076);
  });

  it('the two-stage percentile bootstrap over 3 seeds would call far more (why it is not used)', () => {
    for (const k of [0, 2]) {
      let calls = 0;
      tablesByRegime[k].forEach((t, trial) => {
        if (hierarchicalPercentileExcludesZero(t.get('a')!, t.get('b')!, trial)) calls++;
      });
      expect(calls / trials).toBeGreaterThan(0.15);
    }
  });
});

/** The rejected alternative: resample seeds (paired), then images (paired), percentile 95% interval. */
function hierarchicalPercentileExcludesZero(a: ImageScore[][], b: ImageScore[][], seed: number): boolean {
  const rng = createRng(seed);
  const ha = a.map((s) => compileHeadline(s, 2, 1));
  const hb = b.map((s) => compileHeadline(s, 2, 1));
  const n = a[0].length;
  const values: number[] = [];
  const idx = new Int32Array(n);
  for (let r = 0; r < 200; r++) {
    let sum = 0;
    for (let k = 0; k < a.length; k++) {
      const s = rng.int(a.length);
      for (let i = 0; i < n; i++) idx[i] = rng.int(n);
      sum += ha[s](idx).meanDice - hb[s](idx).meanDice;
    }
    values.push(sum / a.length);
  }
  values.sort((x, y) => x - y);
  return quantileSorted(values, 0.025) > 0 || quantileSorted(values, 0.975) < 0;
}


/**
 * Why the seed variance is not pooled across candidates. Pooling (the randomized-block residual of
 * the candidate x seed table, (k-1)(S-1) df: 10 df with 6 candidates and 3 seeds instead of 2) would
 * make the verdict far more decisive, but it assumes every candidate has the same seed-to-seed
 * variance. Measured with `npm run bench:seed-variance` (rare-class sample, the 6 default candidates
 * x 10 seeds, torch): at 640 steps the per-candidate seed sd of mean Dice was 0.027, 0.023, 0.035,
 * 0.009, 0.017, 0.012 (equal pair variances rejected, p = 0.002). With those sds and no real
 * difference, the pooled interval at 97.5% excludes 0 for the noisiest candidate
 * about 4x as often as its nominal 2.5% (40/400 here); the seed-paired interval holds its level.
 */
describe('pooling the seed variance across candidates (simulation: why it is not done)', () => {
  const measuredSd: Record<string, number> = { rec: 0.027, plain: 0.023, ce: 0.035, focal: 0.009, dice: 0.017, combo: 0.012 };
  const ids = Object.keys(measuredSd);
  const confidence = 0.975;
  const trials = 400;
  const rng = createRng(4242);
  // Mean Dice here is ~(background Dice + r) / 2, so a seed sd of 2 x sd on r is sd on mean Dice.
  const seedNoiseOf = Object.fromEntries(ids.map((id) => [id, 2 * measuredSd[id]]));
  const tables = Array.from({ length: trials }, () => buildTable({ images: 16, seeds: 3, effects: Object.fromEntries(ids.map((id) => [id, 0])), seedNoiseOf, noise: 0.005, rng: rng.next }));

  /** The rejected alternative: the paired difference's seed part replaced by the pooled residual of the whole table. */
  const pooledExcludesZero = (table: Map<string, ImageScore[][]>, d: ReturnType<typeof seedPairedDifference> & object) => {
    const y = ids.map((id) => table.get(id)!.map((scores) => compileHeadline(scores, 2, 1)(Int32Array.from(scores.keys())).meanDice));
    const [k, seeds] = [y.length, y[0].length];
    const grand = y.flat().reduce((s, v) => s + v, 0) / (k * seeds);
    const rowMean = y.map((row) => row.reduce((s, v) => s + v, 0) / seeds);
    const colMean = y[0].map((_, s) => y.reduce((sum, row) => sum + row[s], 0) / k);
    let ss = 0;
    for (let c = 0; c < k; c++) for (let s = 0; s < seeds; s++) ss += (y[c][s] - rowMean[c] - colMean[s] + grand) ** 2;
    const df = (k - 1) * (seeds - 1);
    const pooledSeedPart = { variance: (2 * ss) / df / seeds, df };
    const ci = intervalAt({ mean: d.mean, parts: [pooledSeedPart, d.parts[1]] }, confidence);
    return ci[0] > 0 || ci[1] < 0;
  };

  it('the seed-paired interval holds its level for every candidate; pooling calls the noisiest one different far more often', () => {
    const paired: Record<string, number> = {};
    const pooled: Record<string, number> = {};
    tables.forEach((table, trial) => {
      const compare = tableComparator(table, { ...ctx, seed: trial, resamples: 100, confidence });
      for (const id of ids.slice(1)) {
        const d = compare(id, 'rec', 'meanDice')!;
        if (d.ci[0] > 0 || d.ci[1] < 0) paired[id] = (paired[id] ?? 0) + 1;
        if (pooledExcludesZero(table, d)) pooled[id] = (pooled[id] ?? 0) + 1;
      }
    });
    // binomial sd at p = 0.025, n = 400 is 0.8%: allow 2.5% + 2 sd for the paired interval
    for (const id of ids.slice(1)) expect((paired[id] ?? 0) / trials).toBeLessThanOrEqual(0.041);
    expect((pooled.ce ?? 0) / trials).toBeGreaterThan(0.05);
  });
});
