import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import type { LossContext, LossSpec } from '../../src/contracts/losses.js';
import { createLoss, resolveLossParams } from '../../src/losses/index.js';

const context: LossContext = { numClasses: 3, ignoreIndex: 255, classWeights: null, scaleAware: null };

function rejection(spec: LossSpec, ctx: Partial<LossContext> = {}): UserError {
  try {
    createLoss(spec, { ...context, ...ctx });
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error(`createLoss accepted ${JSON.stringify(spec)} ${JSON.stringify(ctx)}`);
}

describe('createLoss validates at construction', () => {
  it.each([
    [{ name: 'lovasz', params: {} }, /unknown loss "lovasz"/],
    [{ name: 'focal', params: { gama: 2 } }, /loss "focal": unknown parameter "gama"/],
    [{ name: 'focal', params: { gamma: -1 } }, /loss "focal": parameter "gamma" must be >= 0, got -1/],
    [{ name: 'focal', params: { gamma: '2' } }, /parameter "gamma" must be a finite number/],
    [{ name: 'focal', params: { gamma: Number.NaN } }, /parameter "gamma" must be a finite number/],
    [{ name: 'focal', params: { alpha: 1.5 } }, /loss "focal": parameter "alpha" must be >= 0 and <= 1, got 1.5/],
    [{ name: 'focal', params: { alpha: -0.1 } }, /parameter "alpha"/],
    [{ name: 'tversky', params: { beta: 2 } }, /loss "tversky": parameter "beta"/],
    [{ name: 'ohem_ce', params: { keepRatio: 0 } }, /loss "ohem_ce": parameter "keepRatio" must be > 0 and <= 1, got 0/],
    [{ name: 'ohem_ce', params: { keepRatio: 1.2 } }, /parameter "keepRatio"/],
    [{ name: 'dice', params: { batch: 'yes' } }, /loss "dice": parameter "batch" must be true or false/],
    [{ name: 'dice', params: { includeBackground: null } }, /parameter "includeBackground" must not be null/],
    [{ name: 'generalized_dice', params: { weightType: 'cube' } }, /parameter "weightType" must be one of "square", "simple", "uniform"/],
    [{ name: 'combo', params: { diceForm: 'stable_log_dice', squaredPred: true } }, /parameter "squaredPred" applies only to diceForm "dice"/],
  ] as Array<[LossSpec, RegExp]>)('%j', (spec, message) => {
    expect(rejection(spec).message).toMatch(message);
  });

  it('rejects class weights of the wrong length, negative or all zero', () => {
    expect(rejection({ name: 'ce', params: {} }, { classWeights: [1, 2] }).message).toMatch(/loss "ce": classWeights must have one weight per class \(3\), got 2/);
    expect(rejection({ name: 'ce', params: {} }, { classWeights: [1, -2, 1] }).message).toMatch(/classWeights\[1\] must be a finite number >= 0, got -2/);
    expect(rejection({ name: 'ce', params: {} }, { classWeights: [0, 0, 0] }).message).toMatch(/all zero/);
  });

  it('rejects bad scale-aware bins and scale-aware weighting of a batch loss', () => {
    expect(rejection({ name: 'dice', params: {} }, { scaleAware: { binEdges: [100, 1000, 10000], binWeights: [1, 1.5, 2] } }).message).toMatch(
      /binWeights needs one weight per bin \(4 for 3 edges\)/,
    );
    expect(rejection({ name: 'dice', params: {} }, { scaleAware: { binEdges: [1000, 100], binWeights: [1, 1, 1] } }).message).toMatch(/strictly increasing/);
    expect(rejection({ name: 'dice', params: { batch: true } }, { scaleAware: { binEdges: [100], binWeights: [2, 1] } }).message).toMatch(
      /loss "dice": scale-aware weighting needs a per-image loss/,
    );
  });

  it('rejects a context with fewer than two classes', () => {
    expect(rejection({ name: 'ce', params: {} }, { numClasses: 1 }).message).toMatch(/numClasses must be an integer >= 2/);
  });

  it('fills defaults (MONAI) and keeps given values', () => {
    expect(resolveLossParams({ name: 'focal', params: { gamma: 1.5 } })).toEqual({ gamma: 1.5, alpha: null, labelSmoothing: 0 });
    expect(resolveLossParams({ name: 'combo', params: {} })).toMatchObject({ labelSmoothing: 0, ohemKeepRatio: 1 });
    expect(resolveLossParams({ name: 'dice', params: {} })).toEqual({
      includeBackground: true,
      squaredPred: false,
      jaccard: false,
      batch: false,
      smoothNr: 1e-5,
      smoothDr: 1e-5,
    });
  });

  it('rejects labels outside the classes and logits of the wrong class count at call time', () => {
    const loss = createLoss({ name: 'ce', params: {} }, context);
    tf.tidy(() => {
      const logits = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
      expect(() => loss(logits, tf.tensor3d([0, 1, 7, 255], [1, 2, 2], 'int32'))).toThrow(/label 7 is outside 0..2/);
      expect(() => loss(tf.zeros([1, 2, 2, 4]) as tf.Tensor4D, tf.tensor3d([0, 1, 2, 255], [1, 2, 2], 'int32'))).toThrow(/3 classes/);
      expect(loss(logits, tf.tensor3d([0, 1, 2, 255], [1, 2, 2], 'int32')).dataSync()[0]).toBeCloseTo(Math.log(3), 6);
    });
  });
});
