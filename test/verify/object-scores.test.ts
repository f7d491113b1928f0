import { describe, expect, it } from 'vitest';
import { candidateMetrics, objectComparison, objectStatistic, pairedObjectDifferenceCI, poolSeeds, scoreImage } from '../../src/verify/scores.js';

/** 12x12: class 1 has four 2x2 objects and one 3x3; class 2 one 1x1 object. */
function truth(): Uint8Array {
  const t = new Uint8Array(144);
  const put = (x0: number, y0: number, size: number, c: number) => {
    for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) t[y * 12 + x] = c;
  };
  put(0, 0, 2, 1);
  put(4, 0, 2, 1);
  put(8, 0, 2, 1);
  put(0, 4, 2, 1);
  put(6, 6, 3, 1);
  put(11, 11, 1, 2);
  return t;
}

/** The truth with the first `missed` class-1 objects erased and `noise` spurious class-1 pixels. */
function prediction(missed: number, noise: number): Uint8Array {
  const p = truth();
  const corners = [0, 4, 8, 48];
  for (const start of corners.slice(0, missed)) for (const i of [start, start + 1, start + 12, start + 13]) p[i] = 0;
  const spots = [123, 58, 87, 120, 100]; // pixels touching no object
  for (const i of spots.slice(0, noise)) p[i] = 1;
  return p;
}

const options = { numClasses: 3, classNames: ['bg', 'house', 'shed'], rarestClassId: 2, seed: 3, stability: null };

describe('object metrics in the validation scores', () => {
  it('adds pooled object rates with bootstrap CIs and per-class rows to the candidate metrics', () => {
    const t = truth();
    const scores = Array.from({ length: 8 }, (_, k) => scoreImage(t, prediction(k % 3, k % 2), 12, 12, 3, 255));
    const m = candidateMetrics(scores, options).objects!;
    // Per image: 6 objects; missed 0, 1, 2, 0, 1, 2, 0, 1 -> 7 of 48 missed. Noise 0/1 alternating -> 4 spurious.
    expect(m.counts).toEqual({ objects: 48, detected: 41, overlapped: 41, predicted: 45, spurious: 4, foregroundPixels: 8 * 26, images: 8 });
    expect(m.detectionRate!.value).toBeCloseTo(41 / 48, 15);
    const [low, high] = m.detectionRate!.ci95!;
    expect(low).toBeLessThan(41 / 48);
    expect(high).toBeGreaterThan(41 / 48);
    expect(m.byArea.map((b) => b.objects)).toEqual([48, 0, 0, 0]);
    expect(m.byArea[1].detectionRate).toBeNull();
    expect(m.spuriousPerImage.value).toBe(0.5);
    expect(m.spuriousPer1000Px!.value).toBeCloseTo((1000 * 4) / (8 * 26), 12);
    expect(m.perClass.map((c) => [c.name, c.objects, c.detectionRate, c.spurious])).toEqual([
      ['house', 40, 33 / 40, 4],
      ['shed', 8, 1, 0],
    ]);
  });

  it('gives a paired difference CI that sees a consistent gap in small-object detection', () => {
    const t = truth();
    const good = Array.from({ length: 10 }, () => scoreImage(t, prediction(0, 0), 12, 12, 3, 255));
    const worse = Array.from({ length: 10 }, (_, k) => scoreImage(t, prediction(1 + (k % 3), 0), 12, 12, 3, 255));
    const diff = pairedObjectDifferenceCI(good, worse, 'detectionRate:0', { seed: 1 })!;
    expect(diff[0]).toBeGreaterThan(0);
    expect(pairedObjectDifferenceCI(good, good, 'spuriousPerImage', { seed: 1 })).toEqual([0, 0]);
  });

  it('gives verdict sentences with the paired CI of the difference', () => {
    const t = truth();
    const good = Array.from({ length: 10 }, () => scoreImage(t, prediction(0, 0), 12, 12, 3, 255));
    const worse = Array.from({ length: 10 }, (_, k) => scoreImage(t, prediction(1 + (k % 3), k % 2), 12, 12, 3, 255));
    const sentences = objectComparison({ label: 'Recommended', scores: good }, { label: 'CE', scores: worse }, { numClasses: 3, classNames: ['bg', 'house', 'shed'], seed: 2 });
    // 60 objects; CE misses 1, 2, 3, 1, 2, 3, 1, 2, 3, 1 = 19 of them.
    expect(sentences[0]).toMatch(/^Recommended finds 100% of small objects \(<100 px\) vs 68% for CE \(IoU > 0\.5, 60 objects; difference \+32 points, 95% CI \+\d+ to \+\d+ points\)\.$/);
    expect(sentences[1]).toMatch(/^Recommended predicts 0\.00 spurious objects per image vs 0\.50 for CE, 100% fewer \(difference -0\.50, 95% CI -0\.\d+ to -0\.\d+\)\.$/);
  });

  it('keeps spurious per image per prediction when seeds are pooled', () => {
    const t = truth();
    const run = [scoreImage(t, prediction(0, 2), 12, 12, 3, 255)];
    const pooled = poolSeeds([run, run, run]);
    expect(objectStatistic(pooled, [0], 'spuriousPerImage')).toBe(2);
    expect(objectStatistic(pooled, [0], 'detectionRate')).toBe(1);
  });
});
