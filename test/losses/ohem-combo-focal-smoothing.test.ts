/**
 * The two recipe extras the loss library expresses as loss parameters: OHEM on combo's CE term
 * (`combo.ohemKeepRatio`) and label smoothing of focal (`focal.labelSmoothing`). Value and gradient
 * against the float64 reference are in gradients.test.ts (cases.ts); here: hand-computed values,
 * the "off" settings equal the old losses exactly, combo's OHEM term is ohem_ce's, and ranges.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import type { LossContext, LossSpec } from '../../src/contracts/losses.js';
import { createLoss } from '../../src/losses/index.js';
import { BACKENDS, randomBatch, tensorsOf, useBackend } from './helpers.js';

const SHAPE: [number, number, number, number] = [2, 6, 5, 3];
const context: LossContext = { numClasses: 3, ignoreIndex: 255, classWeights: null, scaleAware: null };
const batch = randomBatch({ seed: 11, shape: SHAPE, ignoreIndex: 255, ignoreShare: 0.1 });
const weights = [0.4, 1.3, 2.2];
const scaleAware = { binEdges: [4, 12], binWeights: [3, 2, 1] };

function valueAndGrad(spec: LossSpec, ctx: Partial<LossContext> = {}, input = batch): { value: number; grad: Float32Array } {
  const loss = createLoss(spec, { ...context, ...ctx });
  const { value, grad } = tf.tidy(() => {
    const { logits, labels } = tensorsOf(input);
    return tf.valueAndGrad((x: tf.Tensor) => loss(x as tf.Tensor4D, labels))(logits);
  });
  const result = { value: value.dataSync()[0], grad: grad.dataSync() as Float32Array };
  tf.dispose([value, grad]);
  return result;
}

function rejection(spec: LossSpec): string {
  try {
    createLoss(spec, context);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as UserError).message;
  }
  throw new Error(`createLoss accepted ${JSON.stringify(spec)}`);
}

describe.each(BACKENDS)('focal label smoothing on the %s backend', (backend) => {
  beforeAll(() => useBackend(backend));

  it('matches a hand computation: one pixel, p = (0.25, 0.75), label 1, gamma 2, e 0.2', () => {
    // q = (0.8 * [0, 1] + 0.2 / 2) = (0.1, 0.9);
    // loss = [-0.1 * 0.75^2 * ln 0.25 - 0.9 * 0.25^2 * ln 0.75] / (1 pixel * 2 classes)
    const expected = (-0.1 * 0.75 ** 2 * Math.log(0.25) - 0.9 * 0.25 ** 2 * Math.log(0.75)) / 2;
    expect(expected).toBeCloseTo(0.0470806, 6);
    const loss = createLoss({ name: 'focal', params: { gamma: 2, labelSmoothing: 0.2 } }, { numClasses: 2, ignoreIndex: 255, classWeights: null, scaleAware: null });
    const value = tf.tidy(() => loss(tf.tensor4d([0, Math.log(3), 5, -5], [1, 1, 2, 2]), tf.tensor3d([1, 255], [1, 1, 2], 'int32')).dataSync()[0]);
    expect(Math.abs(value - expected)).toBeLessThan(1e-6);
  });

  it('alpha and class weights act per class of the smoothed target', () => {
    // Same pixel, alpha 0.25 (class 0 gets 0.75, class 1 gets 0.25), weights (2, 0.5).
    const expected = (-0.75 * 2 * 0.1 * 0.75 ** 2 * Math.log(0.25) - 0.25 * 0.5 * 0.9 * 0.25 ** 2 * Math.log(0.75)) / 2;
    const loss = createLoss({ name: 'focal', params: { gamma: 2, alpha: 0.25, labelSmoothing: 0.2 } }, { numClasses: 2, ignoreIndex: null, classWeights: [2, 0.5], scaleAware: null });
    const value = tf.tidy(() => loss(tf.tensor4d([0, Math.log(3)], [1, 1, 1, 2]), tf.tensor3d([1], [1, 1, 1], 'int32')).dataSync()[0]);
    expect(Math.abs(value - expected)).toBeLessThan(1e-6);
  });

  it('e = 0 is exactly the focal loss without the parameter (value and gradient, batch and per image)', () => {
    for (const ctx of [{}, { classWeights: weights }, { scaleAware }]) {
      const old = valueAndGrad({ name: 'focal', params: { gamma: 1.5, alpha: 0.3 } }, ctx);
      const zero = valueAndGrad({ name: 'focal', params: { gamma: 1.5, alpha: 0.3, labelSmoothing: 0 } }, ctx);
      expect(zero.value).toBe(old.value);
      expect([...zero.grad]).toEqual([...old.grad]);
    }
  });

  it('gamma 0 without alpha is the smoothed CE divided by C', () => {
    const focal = valueAndGrad({ name: 'focal', params: { gamma: 0, labelSmoothing: 0.15 } });
    const ce = valueAndGrad({ name: 'ce', params: { labelSmoothing: 0.15 } });
    expect(focal.value).toBeCloseTo(ce.value / 3, 6);
  });

  it('smoothing changes the value (the parameter is not ignored)', () => {
    const plain = valueAndGrad({ name: 'focal', params: {} }).value;
    const smoothed = valueAndGrad({ name: 'focal', params: { labelSmoothing: 0.1 } }).value;
    expect(Math.abs(smoothed - plain)).toBeGreaterThan(1e-3);
  });
});

describe.each(BACKENDS)('combo with OHEM on the CE term on the %s backend', (backend) => {
  beforeAll(() => useBackend(backend));

  it('matches a hand computation: 4 pixels, keep 0.5 keeps the two largest CE values', () => {
    // Two classes, labels all 0. Pixel CE = ln(1 + e^(l1 - l0)): logits chosen for CE values
    // ln 2 (tied pair at 0,0), ln(1 + e^2) and ln(1 + e^-3). keep ceil(0.5 * 4) = 2: ln(1+e^2) and ln 2.
    const logits = [0, 0, 0, 2, 0, -3, 0, 0];
    const labels = [0, 0, 0, 0];
    const ohemCe = (Math.log(1 + Math.exp(2)) + Math.log(2)) / 2;
    const ctx: LossContext = { numClasses: 2, ignoreIndex: null, classWeights: null, scaleAware: null };
    const dice = createLoss({ name: 'dice', params: {} }, ctx);
    const combo = createLoss({ name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3, ohemKeepRatio: 0.5 } }, ctx);
    tf.tidy(() => {
      const x = tf.tensor4d(logits, [1, 2, 2, 2]);
      const y = tf.tensor3d(labels, [1, 2, 2], 'int32');
      const diceValue = dice(x, y).dataSync()[0];
      expect(Math.abs(combo(x, y).dataSync()[0] - (0.7 * diceValue + 0.3 * ohemCe))).toBeLessThan(1e-6);
    });
  });

  it('is diceWeight * Dice + ceWeight * ohem_ce, batch and per image (scale-aware)', () => {
    for (const ctx of [{}, { classWeights: weights }, { scaleAware }, { scaleAware, classWeights: weights }]) {
      for (const [diceForm, keepRatio, labelSmoothing] of [['dice', 0.25, 0], ['stable_log_dice', 0.4, 0.1]] as const) {
        const combo = valueAndGrad({ name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3, diceForm, ohemKeepRatio: keepRatio, labelSmoothing } }, ctx);
        if (ctx.scaleAware) {
          // Scale-aware weighting is linear in the per-image losses, so it distributes over the sum.
          const dicePart = valueAndGrad({ name: 'combo', params: { diceWeight: 0.7, ceWeight: 0, diceForm } }, ctx);
          const ohemPart = valueAndGrad({ name: 'ohem_ce', params: { keepRatio, labelSmoothing } }, ctx);
          expect(combo.value).toBeCloseTo(dicePart.value + 0.3 * ohemPart.value, 5);
          combo.grad.forEach((g, i) => expect(g).toBeCloseTo(dicePart.grad[i] + 0.3 * ohemPart.grad[i], 6));
        } else {
          const dice = valueAndGrad(diceForm === 'dice' ? { name: 'dice', params: {} } : { name: 'stable_log_dice', params: {} }, ctx);
          const ohem = valueAndGrad({ name: 'ohem_ce', params: { keepRatio, labelSmoothing } }, ctx);
          expect(combo.value).toBeCloseTo(0.7 * dice.value + 0.3 * ohem.value, 5);
          combo.grad.forEach((g, i) => expect(g).toBeCloseTo(0.7 * dice.grad[i] + 0.3 * ohem.grad[i], 6));
        }
      }
    }
  });

  it('mines within each image in the per-image form (scale-aware), over the batch otherwise', () => {
    // With one bin and weight 1 everywhere the scale-aware loss is the plain mean of per-image
    // losses; per-image OHEM differs from batch OHEM when the images differ in hardness.
    const flat = { binEdges: [1e9], binWeights: [1, 1] };
    const hard = { ...batch, logits: batch.logits.map((v, i) => (i < batch.logits.length / 2 ? v * 4 : v * 0.25)) };
    const spec: LossSpec = { name: 'combo', params: { diceWeight: 0, ceWeight: 1, ohemKeepRatio: 0.25 } };
    const perImage = valueAndGrad(spec, { scaleAware: flat }, hard).value;
    const batchValue = valueAndGrad(spec, {}, hard).value;
    const ohemPerImage = valueAndGrad({ name: 'ohem_ce', params: { keepRatio: 0.25 } }, { scaleAware: flat }, hard).value;
    expect(perImage).toBeCloseTo(ohemPerImage, 6);
    expect(Math.abs(perImage - batchValue)).toBeGreaterThan(1e-3);
  });

  it('keepRatio 1 is exactly the combo loss without the parameter (value and gradient)', () => {
    for (const ctx of [{}, { classWeights: weights }, { scaleAware }]) {
      const params = { diceWeight: 0.7, ceWeight: 0.3, labelSmoothing: 0.05 };
      const old = valueAndGrad({ name: 'combo', params }, ctx);
      const one = valueAndGrad({ name: 'combo', params: { ...params, ohemKeepRatio: 1 } }, ctx);
      expect(one.value).toBe(old.value);
      expect([...one.grad]).toEqual([...old.grad]);
    }
  });

  it('mining changes the value (the parameter is not ignored)', () => {
    const plain = valueAndGrad({ name: 'combo', params: {} }).value;
    const mined = valueAndGrad({ name: 'combo', params: { ohemKeepRatio: 0.25 } }).value;
    expect(mined).toBeGreaterThan(plain + 1e-3); // the hardest pixels have more than the mean CE
  });
});

describe('range checks at construction', () => {
  it.each([
    [{ name: 'combo', params: { ohemKeepRatio: 0 } }, /loss "combo": parameter "ohemKeepRatio" must be > 0 and <= 1, got 0/],
    [{ name: 'combo', params: { ohemKeepRatio: -0.5 } }, /parameter "ohemKeepRatio" must be > 0 and <= 1/],
    [{ name: 'combo', params: { ohemKeepRatio: 1.01 } }, /parameter "ohemKeepRatio" must be > 0 and <= 1, got 1.01/],
    [{ name: 'combo', params: { ohemKeepRatio: null } }, /parameter "ohemKeepRatio" must not be null/],
    [{ name: 'combo', params: { ohemKeepRatio: '0.25' } }, /parameter "ohemKeepRatio" must be a finite number/],
    [{ name: 'focal', params: { labelSmoothing: -0.1 } }, /loss "focal": parameter "labelSmoothing" must be >= 0 and <= 1, got -0.1/],
    [{ name: 'focal', params: { labelSmoothing: 1.5 } }, /loss "focal": parameter "labelSmoothing" must be >= 0 and <= 1, got 1.5/],
    [{ name: 'focal', params: { labelSmoothing: Number.NaN } }, /parameter "labelSmoothing" must be a finite number/],
  ] as Array<[LossSpec, RegExp]>)('%j', (spec, message) => {
    expect(rejection(spec)).toMatch(message);
  });

  it('accepts the edges of the ranges', () => {
    expect(() => createLoss({ name: 'combo', params: { ohemKeepRatio: 1 } }, context)).not.toThrow();
    expect(() => createLoss({ name: 'combo', params: { ohemKeepRatio: 1e-3 } }, context)).not.toThrow();
    expect(() => createLoss({ name: 'focal', params: { labelSmoothing: 0 } }, context)).not.toThrow();
    expect(() => createLoss({ name: 'focal', params: { labelSmoothing: 1 } }, context)).not.toThrow();
  });
});
