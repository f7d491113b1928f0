import { describe, expect, it } from 'vitest';
import { chooseDesign, DEFAULT_FOLDS, fallbackDesigns, MIN_REPLICATES } from '../../src/verify/design.js';
import { foldsByGroup, splitByGroup, splitByImage, unitsOf } from '../../src/verify/split.js';
import { createRng } from '../../src/verify/random.js';

/** Random class counts for n images over `classes` classes; class c present with probability p[c]. */
function randomCounts(n: number, presence: number[], seed: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => presence.map((p, c) => (c === 0 || rng.next() < p ? 1 + rng.int(500) : 0)));
}

describe('cross-validation folds by group (split.ts)', () => {
  it('every image is validated in exactly one fold, and each fold trains on all the others', () => {
    for (const [n, k, seed] of [[40, 5, 1], [23, 5, 2], [11, 5, 3], [7, 3, 4], [100, 7, 5]] as const) {
      const counts = randomCounts(n, [1, 0.5, 0.2, 0.05], seed);
      const groups = counts.map((_, i) => `img${i}`);
      const folds = foldsByGroup(counts, groups, { folds: k, seed });
      expect(folds).toHaveLength(k);
      const seen = new Array<number>(n).fill(0);
      for (const fold of folds) {
        for (const i of fold.val) seen[i]++;
        expect([...fold.train, ...fold.val].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
        expect(fold.val.length).toBeGreaterThan(0);
      }
      expect(seen.every((v) => v === 1)).toBe(true);
      // sizes balanced within a few images
      const sizes = folds.map((f) => f.val.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(2);
    }
  });

  it('a group is never on both sides of a fold, and groups are validated exactly once', () => {
    const rng = createRng(9);
    const n = 60;
    // scenes of 1-6 tiles, uneven
    const groups: string[] = [];
    let scene = 0;
    while (groups.length < n) {
      const size = 1 + rng.int(6);
      for (let j = 0; j < size && groups.length < n; j++) groups.push(`scene${scene}`);
      scene++;
    }
    const counts = randomCounts(n, [1, 0.6, 0.15], 10);
    const folds = foldsByGroup(counts, groups, { folds: 5, seed: 3 });
    const validatedIn = new Map<string, number>();
    for (const [f, fold] of folds.entries()) {
      const trainGroups = new Set(fold.train.map((i) => groups[i]));
      for (const i of fold.val) {
        expect(trainGroups.has(groups[i])).toBe(false);
        const before = validatedIn.get(groups[i]);
        expect(before === undefined || before === f).toBe(true);
        validatedIn.set(groups[i], f);
      }
    }
    expect(validatedIn.size).toBe(unitsOf(groups).keys.length);
    // the single split by group too
    const split = splitByGroup(counts, groups, { valFraction: 0.2, seed: 4 });
    const trainGroups = new Set(split.train.map((i) => groups[i]));
    expect(split.val.length).toBeGreaterThan(0);
    for (const i of split.val) expect(trainGroups.has(groups[i])).toBe(false);
  });

  it('stratifies by class presence: a class in K or more groups is in every fold\'s val, one in 2 or more in every fold\'s train', () => {
    const counts = randomCounts(50, [1, 0.5, 0.12], 21); // class 2 in ~6 images
    const groups = counts.map((_, i) => `g${i}`);
    const holders = (c: number, ids: number[]) => ids.filter((i) => counts[i][c] > 0).length;
    const rareTotal = holders(2, [...Array(50).keys()]);
    expect(rareTotal).toBeGreaterThanOrEqual(5);
    const folds = foldsByGroup(counts, groups, { folds: 5, seed: 8 });
    for (const fold of folds) {
      expect(holders(2, fold.val)).toBeGreaterThanOrEqual(1);
      expect(holders(2, fold.train)).toBeGreaterThanOrEqual(1);
      // spread evenly: no fold holds more than its round-robin share
      expect(holders(2, fold.val)).toBeLessThanOrEqual(Math.ceil(rareTotal / 5));
    }
  });

  it('without groups the single split is exactly the per-image split it replaced', () => {
    const counts = randomCounts(30, [1, 0.4, 0.1], 5);
    const ids = counts.map((_, i) => `id${i}`);
    expect(splitByGroup(counts, ids, { valFraction: 0.2, seed: 7 })).toEqual(splitByImage(counts, { valFraction: 0.2, seed: 7 }));
  });

  it('is seeded: the same data and seed give the same folds, another seed others', () => {
    const counts = randomCounts(30, [1, 0.4, 0.1], 6);
    const ids = counts.map((_, i) => `id${i}`);
    expect(foldsByGroup(counts, ids, { folds: 5, seed: 1 })).toEqual(foldsByGroup(counts, ids, { folds: 5, seed: 1 }));
    expect(foldsByGroup(counts, ids, { folds: 5, seed: 1 })).not.toEqual(foldsByGroup(counts, ids, { folds: 5, seed: 2 }));
  });

  it('caps the folds at the number of groups (at most leave-one-group-out)', () => {
    const counts = randomCounts(12, [1, 0.5], 2);
    const groups = counts.map((_, i) => `case${i % 3}`);
    const folds = foldsByGroup(counts, groups, { folds: 5, seed: 1 });
    expect(folds).toHaveLength(3);
    for (const fold of folds) expect(new Set(fold.val.map((i) => groups[i])).size).toBe(1);
  });
});

describe('the default design (design.ts)', () => {
  it('at least MIN_REPLICATES replicates by default: 10 folds x 1 seed on 20-500 units, 5 on 10-19, fewer folds x 2 seeds on 3-9, one split x 5 seeds otherwise', () => {
    expect(DEFAULT_FOLDS).toBe(10);
    expect(chooseDesign({ units: 40, folds: null, seeds: null, grouped: false })).toMatchObject({ folds: DEFAULT_FOLDS, seedsPerFold: 1 });
    expect(chooseDesign({ units: 20, folds: null, seeds: null, grouped: false })).toMatchObject({ folds: 10, seedsPerFold: 1 });
    expect(chooseDesign({ units: 500, folds: null, seeds: null, grouped: true })).toMatchObject({ folds: 10, seedsPerFold: 1 });
    expect(chooseDesign({ units: 19, folds: null, seeds: null, grouped: false })).toMatchObject({ folds: 5, seedsPerFold: 1 });
    expect(chooseDesign({ units: 10, folds: null, seeds: null, grouped: true })).toMatchObject({ folds: 5, seedsPerFold: 1 });
    expect(chooseDesign({ units: 8, folds: null, seeds: null, grouped: false })).toMatchObject({ folds: 4, seedsPerFold: 2 });
    expect(chooseDesign({ units: 6, folds: null, seeds: null, grouped: false })).toMatchObject({ folds: 3, seedsPerFold: 2 });
    expect(chooseDesign({ units: 4, folds: null, seeds: null, grouped: true })).toMatchObject({ folds: 4, seedsPerFold: 2 });
    expect(chooseDesign({ units: 3, folds: null, seeds: null, grouped: true })).toMatchObject({ folds: 3, seedsPerFold: 2 });
    expect(chooseDesign({ units: 2, folds: null, seeds: null, grouped: false })).toMatchObject({ folds: 1, seedsPerFold: MIN_REPLICATES });
    expect(chooseDesign({ units: 2000, folds: null, seeds: null, grouped: false })).toMatchObject({ folds: 1, seedsPerFold: MIN_REPLICATES });
    for (const units of [1, 2, 3, 4, 5, 6, 7, 9, 10, 19, 20, 50, 499, 501]) {
      const d = chooseDesign({ units, folds: null, seeds: null, grouped: false });
      expect(d.folds * d.seedsPerFold).toBeGreaterThanOrEqual(MIN_REPLICATES);
    }
  });

  it('keeps what the user asked, lowering --folds to the number of units with a reason', () => {
    expect(chooseDesign({ units: 40, folds: 1, seeds: 3, grouped: false })).toMatchObject({ folds: 1, seedsPerFold: 3, why: '--folds 1' });
    expect(chooseDesign({ units: 40, folds: 10, seeds: null, grouped: false })).toMatchObject({ folds: 10, seedsPerFold: 1 });
    const capped = chooseDesign({ units: 3, folds: 5, seeds: 2, grouped: true });
    expect(capped).toMatchObject({ folds: 3, seedsPerFold: 2 });
    expect(capped.why).toMatch(/--folds 5 lowered to 3: there are only 3 groups/);
  });
});

describe('fallback designs when the budget cannot pay for the default one', () => {
  const shapes = (d: ReturnType<typeof chooseDesign>) => fallbackDesigns(d, 3).map((f) => [f.folds, f.seedsPerFold]);
  it('fewer seeds per fold first, then fewer folds, never under 3 replicates, never across folds and one split', () => {
    expect(shapes(chooseDesign({ units: 40, folds: null, seeds: null, grouped: false }))).toEqual([[9, 1], [8, 1], [7, 1], [6, 1], [5, 1], [4, 1], [3, 1]]);
    expect(shapes(chooseDesign({ units: 12, folds: null, seeds: null, grouped: false }))).toEqual([[4, 1], [3, 1]]);
    expect(shapes(chooseDesign({ units: 8, folds: null, seeds: null, grouped: false }))).toEqual([[4, 1], [3, 1]]);
    expect(shapes(chooseDesign({ units: 6, folds: null, seeds: null, grouped: false }))).toEqual([[3, 1]]);
    expect(shapes(chooseDesign({ units: 2000, folds: null, seeds: null, grouped: false }))).toEqual([[1, 4], [1, 3]]);
    expect(fallbackDesigns(chooseDesign({ units: 12, folds: null, seeds: null, grouped: false }), 3)[0].why).toMatch(/^4 folds x 1 seed, 4 replicates: the budget cannot pay for 5 folds x 1 seed at 10 steps a run/);
  });
});
