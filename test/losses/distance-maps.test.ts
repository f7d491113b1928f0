import { describe, expect, it } from 'vitest';
import { euclideanDistanceTransform, squaredDistanceToSites } from '../../src/losses/distance-transform.js';
import { signedDistanceMaps, unsignedDistanceField } from '../../src/losses/distance-maps.js';
import { bruteForceDistanceToOtherSide, referenceSignedDistance } from './reference.js';
import { randomBatch, rng } from './helpers.js';

function bruteSquared(sites: Uint8Array, h: number, w: number): Float64Array {
  const out = new Float64Array(h * w).fill(Infinity);
  for (let i = 0; i < h * w; i++) {
    for (let j = 0; j < h * w; j++) {
      if (!sites[j]) continue;
      const dy = Math.floor(i / w) - Math.floor(j / w);
      const dx = (i % w) - (j % w);
      out[i] = Math.min(out[i], dy * dy + dx * dx);
    }
  }
  return out;
}

describe('Felzenszwalb-Huttenlocher EDT', () => {
  it('equals brute force exactly on random masks of every density and shape', () => {
    const random = rng(11);
    const shapes: Array<[number, number]> = [[1, 1], [1, 9], [9, 1], [2, 2], [7, 5], [13, 17], [32, 24]];
    let checked = 0;
    for (const [h, w] of shapes) {
      for (const density of [0, 0.01, 0.1, 0.5, 0.95, 1]) {
        const sites = Uint8Array.from({ length: h * w }, () => (random() < density ? 1 : 0));
        const ours = squaredDistanceToSites(sites, h, w);
        const expected = bruteSquared(sites, h, w);
        expect(Array.from(ours), `${h}x${w} density ${density}`).toEqual(Array.from(expected));
        checked++;
      }
    }
    expect(checked).toBe(42);
  });

  it('follows scipy distance_transform_edt: nonzero pixels get the distance to the nearest zero pixel', () => {
    // A 3x4 block of ones in a 5x6 grid of zeros.
    const mask = Uint8Array.from({ length: 30 }, (_, i) => (Math.floor(i / 6) >= 1 && Math.floor(i / 6) <= 3 && i % 6 >= 1 && i % 6 <= 4 ? 1 : 0));
    const d = euclideanDistanceTransform(mask, 5, 6);
    expect(Array.from(d.slice(6, 12))).toEqual([0, 1, 1, 1, 1, 0]);
    expect(Array.from(d.slice(12, 18))).toEqual([0, 1, 2, 2, 1, 0]);
    expect(d[0]).toBe(0);
  });
});

describe('signed distance maps (one_hot2dist)', () => {
  it('a hand-checked 1x7 row: outside d, inside -(d - 1), rim 0', () => {
    // labels: 0 0 1 1 1 1 0 -> class 1 inside at x = 2..5
    const maps = signedDistanceMaps([0, 0, 1, 1, 1, 1, 0], [1, 1, 7], 2, null);
    const column = (k: number) => Array.from({ length: 7 }, (_, x) => maps[x * 2 + k] + 0); // + 0 turns -0 into 0
    expect(column(1)).toEqual([2, 1, 0, -1, -1, 0, 1]);
    expect(column(0)).toEqual([-1, 0, 1, 2, 2, 1, 0]);
  });

  it('absent classes, image-filling classes and ignored pixels give 0; ignored pixels are in no class', () => {
    const labels = [1, 1, 1, 1, 255, 1, 1, 1, 1];
    const maps = signedDistanceMaps(labels, [1, 3, 3], 3, 255);
    // class 0 and 2 absent: all zero; class 1 is everything but the ignored centre, whose
    // neighbours are therefore on the rim (0) and the corners one step in (-(sqrt 2 - 1)).
    for (let i = 0; i < 9; i++) {
      expect(maps[i * 3]).toBe(0);
      expect(maps[i * 3 + 2]).toBe(0);
    }
    expect(maps[4 * 3 + 1]).toBe(0);
    expect(maps[1 * 3 + 1]).toBeCloseTo(0, 12);
    expect(maps[0 * 3 + 1]).toBeCloseTo(-(Math.SQRT2 - 1), 6);
    const full = signedDistanceMaps([1, 1, 1, 1], [1, 2, 2], 2, null);
    expect(Array.from(full)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('equals the brute-force float64 reference on random label maps with ignored pixels and an absent class', () => {
    const batch = randomBatch({ seed: 5, shape: [3, 11, 13, 4], ignoreIndex: 255, ignoreShare: 0.1, classes: [0, 1, 2] });
    const context = { numClasses: 4, ignoreIndex: 255, classWeights: null, scaleAware: null };
    const maps = signedDistanceMaps(batch.labels, [3, 11, 13], 4, 255);
    let worst = 0;
    for (let img = 0; img < 3; img++) {
      for (let k = 0; k < 4; k++) {
        const expected = referenceSignedDistance(batch, context, img, k);
        for (let j = 0; j < 11 * 13; j++) {
          const ignored = batch.labels[img * 143 + j] === 255;
          const want = ignored || !expected ? 0 : expected[j];
          worst = Math.max(worst, Math.abs(maps[(img * 143 + j) * 4 + k] - want));
        }
      }
    }
    expect(worst).toBeLessThan(1e-6); // float32 storage of exact distances
  });

  it('MONAI distance field: each pixel\'s distance to the other side, null for empty or full masks', () => {
    const random = rng(3);
    const mask = Uint8Array.from({ length: 9 * 8 }, () => (random() < 0.3 ? 1 : 0));
    const field = unsignedDistanceField(mask, 9, 8)!;
    const expected = bruteForceDistanceToOtherSide(Array.from(mask, Boolean), 9, 8)!;
    expect(Array.from(field).map((v, i) => Math.abs(v - expected[i])).every((e) => e < 1e-12)).toBe(true);
    expect(unsignedDistanceField(new Uint8Array(4), 2, 2)).toBeNull();
    expect(unsignedDistanceField(new Uint8Array(4).fill(1), 2, 2)).toBeNull();
  });
});
