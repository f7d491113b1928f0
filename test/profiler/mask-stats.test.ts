import { describe, expect, it } from 'vitest';
import { AreaAccumulator, binOf, binValue } from '../../src/profiler/area-sketch.js';
import { measureMask } from '../../src/profiler/mask-stats.js';
import { ProfileAccumulator, type ProfileContext } from '../../src/profiler/aggregate.js';
import { DEFAULT_BOUNDARY_OPTIONS } from '../../src/profiler/boundary.js';
import { proportionInterval, RatioSums, sampleIndices } from '../../src/profiler/sampling.js';

/** Builds a mask from rows of characters: '.' = 0, digits = class ids, 'x' = 255 (ignore). */
function maskFrom(rows: string[]): { width: number; height: number; labels: Uint8Array } {
  const height = rows.length;
  const width = rows[0].length;
  const labels = new Uint8Array(width * height);
  rows.forEach((row, y) => [...row].forEach((ch, x) => (labels[y * width + x] = ch === '.' ? 0 : ch === 'x' ? 255 : Number(ch))));
  return { width, height, labels };
}

const context = (over: Partial<ProfileContext> = {}): ProfileContext => ({
  root: null,
  imagesDir: null,
  masksDir: '/masks',
  hasImages: false,
  pairsFound: 1,
  ignoreIndex: 255,
  classNames: null,
  numClasses: 3,
  skipped: [],
  sample: null,
  boundary: DEFAULT_BOUNDARY_OPTIONS,
  ...over,
});

describe('measureMask', () => {
  const mask = maskFrom([
    '11......2.',
    '11......xx',
    '..1.....xx',
    '..........',
    '...2222...',
    '...2222..1',
  ]);

  it('counts pixels per class and leaves the ignore index out', () => {
    const stats = measureMask({ id: 'a', ...mask, image: null }, { ignoreIndex: 255, numClasses: 3 });
    expect(stats.pixelCounts).toEqual([60 - 6 - 9 - 4, 6, 9]);
    expect(stats.ignoredPixels).toBe(4);
    expect(stats.validPixels).toBe(56);
    expect(stats.boundary).toBeNull();
  });

  it('finds 8-connected objects per class (a diagonal touch joins)', () => {
    const stats = measureMask({ id: 'a', ...mask, image: null }, { ignoreIndex: 255, numClasses: 3 });
    const areas = (c: number) => stats.objects[c].bins.flatMap(([bin, n]) => Array(n).fill(binValue(bin)));
    expect(stats.objects[1].count).toBe(2);
    expect(areas(1).sort()).toEqual([1, 5]);
    expect(stats.objects[2].count).toBe(2);
    expect(areas(2).sort()).toEqual([1, 8]);
    expect(stats.objects[0].count).toBe(0); // the background is not counted as objects
  });

  it('grows the class list past numClasses when ids are larger (numClasses unknown)', () => {
    const stats = measureMask({ id: 'b', ...maskFrom(['..5', '...']), image: null }, { ignoreIndex: 255, numClasses: null });
    expect(stats.pixelCounts).toEqual([5, 0, 0, 0, 0, 1]);
  });

  it('reads 16-bit masks', () => {
    const labels = new Uint16Array([0, 300, 300, 0]);
    const stats = measureMask({ id: 'c', width: 2, height: 2, labels, image: null }, { ignoreIndex: null, numClasses: null });
    expect(stats.pixelCounts.length).toBe(301);
    expect(stats.pixelCounts[300]).toBe(2);
    expect(stats.objects[300].count).toBe(1);
  });
});

describe('area sketch', () => {
  it('is exact for small areas and within 0.5% for large ones', () => {
    for (const area of [1, 99, 100, 256, 257, 999, 1000, 12345, 262144]) {
      const value = binValue(binOf(area));
      expect(Math.abs(value - area) / area).toBeLessThan(0.005 + 1e-12);
    }
    const acc = new AreaAccumulator();
    for (let a = 1; a <= 1000; a++) acc.add(a);
    expect(acc.quantile(0.5)).toBeCloseTo(500, -1);
    expect(acc.quantile(0.1)).toBe(100);
    expect(acc.articleBins).toEqual([99, 900, 1, 0]);
  });
});

describe('ProfileAccumulator', () => {
  it('aggregates shares, presence and imbalance over masks', () => {
    const acc = new ProfileAccumulator();
    acc.add(measureMask({ id: 'a', ...maskFrom(['..11', '....']), image: null }, { ignoreIndex: 255, numClasses: 3 }));
    acc.add(measureMask({ id: 'b', ...maskFrom(['...2', '....']), image: null }, { ignoreIndex: 255, numClasses: 3 }));
    const profile = acc.toProfile(context({ pairsFound: 2 }), 0);
    expect(profile.classes.map((c) => c.pixelCount)).toEqual([13, 2, 1]);
    expect(profile.classes[1].pixelShare).toBeCloseTo(2 / 16, 12);
    expect(profile.classes[2].imagesWithClass).toBe(1);
    expect(profile.aggregates.backgroundShare).toBeCloseTo(13 / 16, 12);
    expect(profile.aggregates.smallestForegroundClassId).toBe(2);
    expect(profile.aggregates.imbalanceRatio).toBeCloseTo(13, 12);
    expect(profile.aggregates.rareClassCount).toBe(0);
    expect(profile.aggregates.ambiguousBoundaryShare).toBeNull();
    expect(profile.method.boundary).toBeNull();
    expect(profile.classes[0].pixelShareCI95).toBeNull();
  });

  it('lists declared classes that never appear as absent', () => {
    const acc = new ProfileAccumulator();
    acc.add(measureMask({ id: 'a', ...maskFrom(['..1.']), image: null }, { ignoreIndex: 255, numClasses: 4 }));
    const profile = acc.toProfile(context({ numClasses: 4 }), 0);
    expect(profile.aggregates.absentClassIds).toEqual([2, 3]);
  });
});

describe('sampling', () => {
  it('draws distinct seeded indices', () => {
    const a = sampleIndices(1000, 50, 7);
    expect(new Set(a).size).toBe(50);
    expect(a).toEqual(sampleIndices(1000, 50, 7));
    expect(a).not.toEqual(sampleIndices(1000, 50, 8));
    expect(sampleIndices(5, 10, 1)).toEqual([0, 1, 2, 3, 4]);
  });

  it('ratio CI shrinks to a point when the sample is the population', () => {
    const sums = new RatioSums();
    [[1, 10], [3, 10], [2, 12]].forEach(([y, x]) => sums.add(y, x));
    expect(sums.interval(3)).toEqual([6 / 32, 6 / 32]);
    const wide = sums.interval(1000)!;
    expect(wide[0]).toBeLessThan(6 / 32);
    expect(wide[1]).toBeGreaterThan(6 / 32);
    const p = proportionInterval(10, 100, 100000)!;
    expect(p[0]).toBeGreaterThan(0.04);
    expect(p[1]).toBeLessThan(0.19);
  });
});
