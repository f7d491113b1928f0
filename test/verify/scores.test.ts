import { describe, expect, it } from 'vitest';
import { candidateMetrics, headline, pairedDifferenceCI, poolSeeds, scoreImage } from '../../src/verify/scores.js';

/** A 10x10 image: class 1 in columns 0-4, class 2 a 2x2 block at (8,8). */
function truth(): Uint8Array {
  const t = new Uint8Array(100);
  for (let i = 0; i < 100; i++) t[i] = i % 10 < 5 ? 1 : 0;
  for (const i of [88, 89, 98, 99]) t[i] = 2;
  return t;
}

describe('validation scores', () => {
  it('pools counts over images for Dice and recall; mean over classes skips undefined ones', () => {
    const t = truth();
    const perfect = scoreImage(t, t, 10, 10, 4, 255);
    const h = headline([perfect, perfect], [0, 1], 4, 2);
    // class 3 never appears in truth or prediction: its Dice is undefined and skipped
    expect(h.meanDice).toBe(1);
    expect(h.rarestClassRecall).toBe(1);
    expect(h.boundaryIoU).toBe(1);
    // a prediction missing class 2 entirely (predicted background there)
    const missed = t.map((c) => (c === 2 ? 0 : c));
    const m = headline([scoreImage(t, missed, 10, 10, 4, 255)], [0], 4, 2);
    const bgDice = (2 * 46) / (2 * 46 + 4);
    expect(m.meanDice).toBeCloseTo((bgDice + 1 + 0) / 3, 12);
    expect(m.rarestClassRecall).toBe(0);
  });

  it('ignores ignore-index pixels', () => {
    const t = truth();
    t[0] = 255;
    const p = truth();
    p[0] = 3; // a wrong class where the label is ignored: no effect on counts
    const s = scoreImage(t, p, 10, 10, 4, 255);
    expect(headline([s], [0], 4, 2).meanDice).toBe(1);
  });

  it('gives CIs and per-class rows, and a paired difference CI that sees a consistent gap', () => {
    const t = truth();
    const good = Array.from({ length: 8 }, () => scoreImage(t, t, 10, 10, 3, 255));
    const worse = Array.from({ length: 8 }, (_, k) => {
      const p = truth();
      for (let i = 0; i < 3 + k; i++) p[i * 10 + 4] = 0; // erode class 1 a little, more on later images
      return scoreImage(t, p, 10, 10, 3, 255);
    });
    const m = candidateMetrics(worse, { numClasses: 3, classNames: ['bg', 'one', 'two'], rarestClassId: 2, seed: 1, stability: 0.1 });
    expect(m.perClass.map((c) => c.name)).toEqual(['bg', 'one', 'two']);
    expect(m.perClass[2].recall).toBe(1);
    expect(m.meanDice.ci95![0]).toBeLessThanOrEqual(m.meanDice.value);
    expect(m.meanDice.ci95![1]).toBeGreaterThanOrEqual(m.meanDice.value);
    expect(m.stability).toBe(0.1);
    const diff = pairedDifferenceCI(good, worse, 'meanDice', { numClasses: 3, rarestClassId: 2, seed: 1 })!;
    expect(diff[0]).toBeGreaterThan(0);
    expect(pairedDifferenceCI(good, good, 'meanDice', { numClasses: 3, rarestClassId: 2, seed: 1 })).toEqual([0, 0]);
  });

  it('pools seeds by adding counts per image', () => {
    const t = truth();
    const a = [scoreImage(t, t, 10, 10, 3, 255)];
    const pooled = poolSeeds([a, a]);
    expect([...pooled[0].confusion.counts]).toEqual([...a[0].confusion.counts].map((v) => 2 * v));
    expect(pooled[0].boundaryIoU).toEqual(a[0].boundaryIoU);
  });
});
