import { describe, expect, it } from 'vitest';
import { accumulateConfusion, argmaxClasses, confusionCounts, emptyConfusion, meanOfDefined, perClassScores, sumConfusions } from '../../src/metrics/index.js';

describe('confusion-based scores', () => {
  // labels:      0 0 1 1 2 255
  // predictions: 0 1 1 1 0 2     (the last pixel is ignored)
  const labels = Int32Array.from([0, 0, 1, 1, 2, 255]);
  const predictions = Uint8Array.from([0, 1, 1, 1, 0, 2]);

  it('counts valid pixels only', () => {
    const m = confusionCounts(labels, predictions, 4, 255);
    expect(Array.from(m.counts)).toEqual([1, 1, 0, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('computes Dice, IoU, recall and precision by hand, null where undefined', () => {
    const scores = perClassScores(confusionCounts(labels, predictions, 4, 255));
    expect(scores[0]).toMatchObject({ truePositive: 1, falsePositive: 1, falseNegative: 1, dice: 0.5, iou: 1 / 3, recall: 0.5, precision: 0.5 });
    expect(scores[1]).toMatchObject({ truePositive: 2, falsePositive: 1, falseNegative: 0, dice: 0.8, iou: 2 / 3, recall: 1, precision: 2 / 3 });
    // Class 2 is labelled but never predicted (its one prediction is on an ignored pixel).
    expect(scores[2]).toMatchObject({ dice: 0, iou: 0, recall: 0, precision: null });
    // Class 3 is in neither: every score is undefined, not 0 or 1.
    expect(scores[3]).toMatchObject({ dice: null, iou: null, recall: null, precision: null });
    expect(meanOfDefined(scores.map((s) => s.dice))).toBeCloseTo((0.5 + 0.8 + 0) / 3, 12);
  });

  it('accumulates images and sums matrices', () => {
    const a = confusionCounts([0, 1], [0, 0], 2, null);
    const b = confusionCounts([1, 1], [1, 0], 2, null);
    expect(Array.from(sumConfusions([a, b], 2).counts)).toEqual([1, 0, 2, 1]);
    const running = emptyConfusion(2);
    accumulateConfusion(running, [0, 1], [0, 0], null);
    accumulateConfusion(running, [1, 1], [1, 0], null);
    expect(Array.from(running.counts)).toEqual([1, 0, 2, 1]);
  });

  it('rejects labels and predictions outside the classes', () => {
    expect(() => confusionCounts([0, 5], [0, 0], 3, 255)).toThrow(/label 5 is outside 0..2/);
    expect(() => confusionCounts([0, 1], [0, 3], 3, 255)).toThrow(/prediction 3 is outside 0..2/);
  });

  it('takes the argmax over the last axis, the lowest class on ties', () => {
    expect(Array.from(argmaxClasses([0.1, 0.7, 0.2, 5, 5, 1, -1, -2, -0.5], 3))).toEqual([1, 0, 2]);
  });
});
