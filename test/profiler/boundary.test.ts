import { describe, expect, it } from 'vitest';
import { generateSample } from '../../src/dataset/index.js';
import { estimateNoise, toGrey } from '../../src/profiler/boundary.js';
import { measureMask, type MaskStats } from '../../src/profiler/mask-stats.js';
import { seededRandom } from '../../src/profiler/sampling.js';

type Item = ReturnType<typeof generateSample>['items'][number];

function ambiguousShare(items: Item[], transform: (rgb: Uint8Array, i: number) => Uint8Array = (rgb) => rgb): number {
  let boundary = 0;
  let ambiguous = 0;
  items.forEach((item, i) => {
    const stats: MaskStats = measureMask(
      { id: item.id, width: item.width, height: item.height, labels: item.mask, image: { channels: 3, data: transform(item.image, i) } },
      { ignoreIndex: 255, numClasses: 6 },
    );
    for (const c of stats.boundary!.perClass) {
      boundary += c.boundaryPixels;
      ambiguous += c.ambiguousPixels;
    }
  });
  return ambiguous / boundary;
}

const mapBytes = (rgb: Uint8Array, f: (v: number, k: number) => number): Uint8Array => Uint8Array.from(rgb, (v, k) => Math.max(0, Math.min(255, Math.round(f(v, k)))));

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

describe('boundary ambiguity', () => {
  const mixed = generateSample({ seed: 21, images: 4, size: 192, blurredShare: 0.3 });
  const sharp = generateSample({ seed: 22, images: 3, size: 192, blurredShare: 0 });
  const blurred = generateSample({ seed: 23, images: 3, size: 192, blurredShare: 1 });

  it('estimates the noise sigma of an image', () => {
    const random = seededRandom(5);
    const width = 128;
    const data = new Uint8Array(width * width).map(() => Math.round(120 + 6 * gaussian(random)));
    expect(estimateNoise(toGrey({ channels: 1, data }, width * width), width, width)).toBeGreaterThan(5.4);
    expect(estimateNoise(toGrey({ channels: 1, data }, width * width), width, width)).toBeLessThan(6.6);
  });

  it('does not depend on brightness or exposure', () => {
    const base = ambiguousShare(mixed.items);
    expect(Math.abs(base - mixed.truth.ambiguousBoundaryShare)).toBeLessThan(0.1);
    expect(Math.abs(ambiguousShare(mixed.items, (rgb) => mapBytes(rgb, (v) => 0.7 * v + 40)) - base)).toBeLessThan(0.03);
    expect(Math.abs(ambiguousShare(mixed.items, (rgb) => mapBytes(rgb, (v) => 1.2 * v - 20)) - base)).toBeLessThan(0.03);
  });

  it('keeps sharp edges sharp and low-contrast edges ambiguous under extra noise', () => {
    const random = seededRandom(9);
    const noisy = (rgb: Uint8Array): Uint8Array => {
      const out = new Uint8Array(rgb.length);
      for (let i = 0; i < rgb.length; i += 3) {
        const n = 3 * gaussian(random);
        for (let k = 0; k < 3; k++) out[i + k] = Math.max(0, Math.min(255, Math.round(rgb[i + k] + n)));
      }
      return out;
    };
    expect(ambiguousShare(sharp.items, noisy)).toBeLessThan(0.1);
    expect(ambiguousShare(blurred.items, noisy)).toBeGreaterThan(0.9);
  });

  it('is 0 for sharp-only and ~1 for low-contrast-only samples', () => {
    expect(ambiguousShare(sharp.items)).toBeLessThan(0.05);
    expect(ambiguousShare(blurred.items)).toBeGreaterThan(0.9);
  });
});
