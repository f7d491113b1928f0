import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLoss } from '../../src/losses/index.js';
import { hardExampleMask, kthLargest, ohemKeepCount } from '../../src/losses/ohem-ce.js';
import { areaBin, imageScaleWeights, smallestObjectArea } from '../../src/losses/scale-aware.js';
import { rng, useBackend } from './helpers.js';

beforeAll(() => useBackend('cpu'));

describe('OHEM selection', () => {
  it('keeps ceil(ratio * valid) values, at least one, tolerant of float products', () => {
    expect(ohemKeepCount(512, 0.25)).toBe(128);
    expect(ohemKeepCount(30, 0.1)).toBe(3);
    expect(ohemKeepCount(7, 0.25)).toBe(2);
    expect(ohemKeepCount(3, 0.01)).toBe(1);
    expect(ohemKeepCount(0, 0.5)).toBe(0);
  });

  it('finds the k-th largest value like a sort does', () => {
    const random = rng(3);
    for (let trial = 0; trial < 50; trial++) {
      const values = Float32Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.round(random() * 20) / 4);
      const sorted = [...values].sort((a, b) => b - a);
      const k = 1 + Math.floor(random() * values.length);
      expect(kthLargest(values, k)).toBe(sorted[k - 1]);
    }
  });

  it('keeps exactly k values when the k-th largest is tied, skipping ignored pixels', () => {
    const losses = Float32Array.from([5, 1, 3, 3, 3, 9, 3, 0]);
    const valid = Uint8Array.from([1, 1, 1, 1, 1, 0, 1, 1]);
    // 7 valid, keep ceil(0.5 * 7) = 4: 5 and the first three 3s (the ignored 9 never counts).
    expect([...hardExampleMask(losses, valid, 8, 0.5)]).toEqual([1, 0, 1, 1, 1, 0, 0, 0]);
    // Per image (segments of 4): ceil(0.5*4)=2 of [5,1,3,3] and ceil(0.5*3)=2 of [3,_,3,0].
    expect([...hardExampleMask(losses, valid, 4, 0.5)]).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
  });

  it('averages exactly the kept values with ties (equal logits give equal CE)', () => {
    const loss = createLoss({ name: 'ohem_ce', params: { keepRatio: 0.5 } }, { numClasses: 2, ignoreIndex: null, classWeights: null, scaleAware: null });
    const value = tf.tidy(() => {
      // Pixels 0-2 have CE log 2 (tied), pixel 3 is confidently right: keep 2 of the tied ones.
      const logits = tf.tensor4d([0, 0, 0, 0, 0, 0, 5, -5], [1, 2, 2, 2]);
      return loss(logits, tf.tensor3d([0, 1, 0, 0], [1, 2, 2], 'int32')).dataSync()[0];
    });
    expect(value).toBeCloseTo(Math.log(2), 6);
  });
});

describe('scale-aware weighting rule', () => {
  const weighting = { binEdges: [100, 1000, 10000], binWeights: [2, 1.5, 1.25, 1] };

  it('bins areas by upper edges, the last bin open-ended', () => {
    expect(areaBin(99, weighting.binEdges)).toBe(0);
    expect(areaBin(100, weighting.binEdges)).toBe(1);
    expect(areaBin(9999, weighting.binEdges)).toBe(2);
    expect(areaBin(10000, weighting.binEdges)).toBe(3);
  });

  it('measures 8-connected objects per class, ignoring background and the ignore index', () => {
    // 0 0 1 0
    // 0 1 0 2      class 1: one diagonal object of 3 px; class 2: one object of 2 px
    // 1 0 0 2      255 is ignored, not an object
    // 255 0 0 0
    const labels = [0, 0, 1, 0, 0, 1, 0, 2, 1, 0, 0, 2, 255, 0, 0, 0];
    expect(smallestObjectArea(labels, 0, 4, 4, 255)).toBe(2);
    expect(smallestObjectArea([0, 0, 0, 0], 0, 2, 2, 255)).toBeNull();
  });

  it('gives each image the weight of its smallest object, 1 without objects', () => {
    const h = 20;
    const w = 20;
    const labels = new Int32Array(3 * h * w);
    for (let i = 0; i < 150; i++) labels[i] = 1; // image 0: one 150 px object of class 1
    for (let i = 0; i < 120; i++) labels[h * w + i] = 2; // image 1: 120 px of class 2 ...
    labels[h * w + 399] = 1; // ... and a 1 px object of class 1
    expect([...imageScaleWeights(labels, [3, h, w], 255, weighting)]).toEqual([1.5, 2, 1]);
  });

  it('is the weighted mean of per-image losses', () => {
    const ctx = { numClasses: 2, ignoreIndex: 255, classWeights: null };
    const plain = createLoss({ name: 'ce', params: {} }, { ...ctx, scaleAware: null });
    const weighted = createLoss({ name: 'ce', params: {} }, { ...ctx, scaleAware: { binEdges: [2], binWeights: [3, 1] } });
    tf.tidy(() => {
      // image 0: a 1 px object (weight 3); image 1: a 4 px object (weight 1).
      const logits = tf.tensor4d([0.3, -0.2, 1, 0.5, 0.1, 0.9, -1, 2, 0.2, 0.2, -0.5, 0.7, 1.5, -0.3, 0, 0], [2, 2, 2, 2]);
      const labels = tf.tensor3d([1, 0, 0, 0, 1, 1, 1, 1], [2, 2, 2], 'int32');
      const perImage = [0, 1].map((i) => plain(tf.slice(logits, [i, 0, 0, 0], [1, 2, 2, 2]) as tf.Tensor4D, tf.slice(labels, [i, 0, 0], [1, 2, 2]) as tf.Tensor3D).dataSync()[0]);
      expect(weighted(logits, labels).dataSync()[0]).toBeCloseTo((3 * perImage[0] + perImage[1]) / 4, 6);
    });
  });
});
