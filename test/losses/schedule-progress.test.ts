/** dice_boundary's schedule over training progress, the progress argument and its default. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LossContext } from '../../src/contracts/losses.js';
import { createLoss, DEFAULT_PROGRESS, diceBoundaryWeights, resolveLossParams } from '../../src/losses/index.js';
import { randomBatch, tensorsOf, useBackend } from './helpers.js';

const context: LossContext = { numClasses: 3, ignoreIndex: 255, classWeights: null, scaleAware: null };
const paper = { schedule: 'rebalance', alphaStart: 0.01, alphaEnd: 1, minDiceWeight: 0.1 } as const;

describe('dice_boundary schedule', () => {
  beforeAll(() => useBackend('cpu'));

  it('defaults to the paper: alpha 0.01 -> 1, Dice weight 1 - alpha floored at 0.1', () => {
    expect(resolveLossParams({ name: 'dice_boundary', params: {} })).toMatchObject({ ...paper, boundaryIncludeBackground: false, includeBackground: true, batch: false });
    expect(diceBoundaryWeights(0, paper)).toEqual({ dice: 0.99, boundary: 0.01 });
    const half = diceBoundaryWeights(0.5, paper);
    expect(half.boundary).toBeCloseTo(0.505, 12);
    expect(half.dice).toBeCloseTo(0.495, 12);
    expect(diceBoundaryWeights(0.95, paper).dice).toBe(0.1);
    expect(diceBoundaryWeights(1, paper)).toEqual({ dice: 0.1, boundary: 1 });
    expect(diceBoundaryWeights(0.5, { ...paper, schedule: 'increase' }).dice).toBe(1);
    expect(diceBoundaryWeights(0.5, { ...paper, schedule: 'constant' })).toEqual({ dice: 1, boundary: 0.01 });
  });

  it('the loss follows progress, and no progress means the end of the schedule', () => {
    const loss = createLoss({ name: 'dice_boundary', params: {} }, context);
    const dice = createLoss({ name: 'dice', params: {} }, context);
    const boundary = createLoss({ name: 'boundary', params: {} }, context);
    const { logits, labels } = tensorsOf(randomBatch({ seed: 4, shape: [2, 8, 9, 3], ignoreIndex: 255 }));
    const value = (f: typeof loss, progress?: number) => f(logits, labels, progress).dataSync()[0];
    const [d, b] = [value(dice), value(boundary)];
    expect(value(loss, 0)).toBeCloseTo(0.99 * d + 0.01 * b, 5);
    expect(value(loss, 0.25)).toBeCloseTo((1 - 0.2575) * d + 0.2575 * b, 5);
    expect(DEFAULT_PROGRESS).toBe(1);
    expect(value(loss)).toBeCloseTo(0.1 * d + b, 5);
    expect(value(loss)).toBe(value(loss, 1));
    tf.dispose([logits, labels]);
  });

  it('rejects progress outside [0, 1] and bad schedule parameters, naming the loss', () => {
    const loss = createLoss({ name: 'dice_boundary', params: {} }, context);
    const { logits, labels } = tensorsOf(randomBatch({ seed: 1, shape: [1, 4, 4, 3], ignoreIndex: 255 }));
    for (const bad of [-0.1, 1.5, Number.NaN]) expect(() => loss(logits, labels, bad)).toThrow(/loss "dice_boundary": progress must be a number in \[0, 1\]/);
    tf.dispose([logits, labels]);
    expect(() => createLoss({ name: 'dice_boundary', params: { schedule: 'cosine' } }, context)).toThrow(/parameter "schedule" must be one of "rebalance", "increase", "constant"/);
    expect(() => createLoss({ name: 'dice_boundary', params: { alphaEnd: -1 } }, context)).toThrow(/parameter "alphaEnd" must be >= 0/);
    expect(() => createLoss({ name: 'dice_boundary', params: { minDiceWeight: 2 } }, context)).toThrow(/parameter "minDiceWeight"/);
    expect(() => createLoss({ name: 'hausdorff_dt', params: { alpha: -2 } }, context)).toThrow(/loss "hausdorff_dt": parameter "alpha"/);
  });

  it('boundary loss of a perfect prediction is the mean of the non-positive inside distances', () => {
    // One 3x3 object of class 1 in a 5x5 image: inside phi = -(d - 1): 0 on the rim, -1 at the centre.
    const labels = tf.tensor3d(Array.from({ length: 25 }, (_, i) => (Math.floor(i / 5) >= 1 && Math.floor(i / 5) <= 3 && i % 5 >= 1 && i % 5 <= 3 ? 1 : 0)), [1, 5, 5], 'int32');
    const logits = tf.tidy(() => tf.mul(tf.oneHot(labels, 2).toFloat(), 60).sub(30) as tf.Tensor4D);
    const loss = createLoss({ name: 'boundary', params: {} }, { ...context, numClasses: 2 });
    expect(loss(logits, labels).dataSync()[0]).toBeCloseTo(-1 / 25, 6);
    tf.dispose([labels, logits]);
  });
});
