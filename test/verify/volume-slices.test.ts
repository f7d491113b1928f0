import { afterEach, describe, expect, it } from 'vitest';
import { loadVerifyData } from '../../src/verify/load.js';
import { chosenSlices } from '../../src/verify/volume-slices.js';
import { tempDir } from '../dataset/helpers.js';
import { writeNnunetDataset } from '../helpers/nnunet-dataset.js';
import { recommendationFor, satelliteRecipe } from './fixtures.js';

describe('verify on volumes: 2D slices, grouped by case', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('keeps every foreground slice and half as many background-only ones, evenly spaced', () => {
    expect(chosenSlices([false, false, true, true, false, false, false, false])).toEqual([2, 3, 5]);
    expect(chosenSlices([false, false, false, false])).toEqual([2]);
    expect(chosenSlices([true, true])).toEqual([0, 1]);
  });

  it('loads slices across the coarsest axis with every channel as an input channel and the case as group', async () => {
    const { dir, cleanup } = tempDir('segloss-volume-verify-');
    cleanups.push(cleanup);
    // 16x16x6 voxels, 3 mm slices across k; a sphere-ish blob of class 1 on slices 1..3, class 2 on slice 4.
    const label = (x: number, y: number, z: number): number => ((x - 8) ** 2 + (y - 8) ** 2 < 16 && z >= 1 && z <= 3 ? 1 : z === 4 && x < 4 ? 2 : 0);
    const cases = ['a', 'b', 'c'].map((id, n) => ({
      id: `case_${id}`,
      dims: [16, 16, 6] as [number, number, number],
      spacing: [0.8, 0.8, 3] as [number, number, number],
      label,
      channels: [(x: number, y: number, z: number) => label(x, y, z) * 100 + n, (x: number) => x * 10],
    }));
    writeNnunetDataset(dir, cases);
    const data = await loadVerifyData({ root: dir, ignoreIndex: 255, strict: false }, recommendationFor(satelliteRecipe(), 3), { maxImages: 400, seed: 0, minSize: 8 });
    // Per case: 4 slices with foreground (1..4) and 2 of the 2 without (0, 5).
    expect(data.images.map((im) => im.id)).toEqual(['a', 'b', 'c'].flatMap((id) => [0, 1, 2, 3, 4, 5].map((k) => `case_${id}@k${k}`)));
    for (const image of data.images) {
      expect(image.group).toBe(image.id.split('@')[0]);
      expect(image.channels).toBe(2);
      expect(image.width).toBe(16);
      expect(image.pixels.length).toBe(16 * 16 * 2);
    }
    const slice2 = data.images.find((im) => im.id === 'case_a@k2')!;
    expect(slice2.labels[8 * 16 + 8]).toBe(1);
    // Channel 1 (x * 10) windowed to 0..255 increases along x.
    expect(slice2.pixels[2 * 15 + 1]).toBeGreaterThan(slice2.pixels[1]);
    expect(data.notes.some((n) => /18 2D slices of 3 volumes.*its case as its group/.test(n))).toBe(true);
  });
});
