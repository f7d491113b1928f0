import { describe, expect, it } from 'vitest';
import { defaultFixturesDir, loadReferenceCases } from '../../src/losses/conformance.js';
import { argmaxClasses, boundaryDilation, boundaryIoU, boundaryIoUPerClass, erodeMask, maskBoundary, roundHalfEven, uniformWindows } from '../../src/metrics/index.js';

/** Naive erosion as cv2 does it on a zero-padded mask: repeat a 3x3 min, outside = 0. */
function naiveErode(mask: Uint8Array, w: number, h: number, d: number): Uint8Array {
  let current = mask;
  for (let it = 0; it < d; it++) {
    const next = new Uint8Array(current.length);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let keep = 1;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= h || xx < 0 || xx >= w || !current[yy * w + xx]) keep = 0;
          }
        next[y * w + x] = keep;
      }
    current = next;
  }
  return current;
}

function square(w: number, h: number, x0: number, y0: number, size: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) m[y * w + x] = 1;
  return m;
}

const count = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);

describe('Boundary IoU', () => {
  it('rounds like Python: halves to even', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4, 2.6, 4].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3, 4]);
    expect(boundaryDilation(100, 75)).toBe(2); // 0.02 * 125 = 2.5 -> 2 (Math.round would say 3)
    expect(boundaryDilation(16, 16)).toBe(1); // 0.45 rounds to 0, at least 1
    expect(boundaryDilation(256, 256)).toBe(7);
  });

  it('boundary = mask minus erosion, the image border counting as outside', () => {
    expect(count(maskBoundary(square(7, 7, 1, 1, 5), 7, 7, 1))).toBe(16); // 25 - inner 3x3
    expect(count(maskBoundary(new Uint8Array(16).fill(1), 4, 4, 1))).toBe(12); // border ring
    expect(count(maskBoundary(square(9, 9, 0, 0, 9), 9, 9, 2))).toBe(81 - 25);
  });

  it('separable erosion equals repeated 3x3 erosion on random masks', () => {
    let seed = 11;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let trial = 0; trial < 40; trial++) {
      const w = 3 + Math.floor(random() * 20);
      const h = 3 + Math.floor(random() * 20);
      const d = 1 + Math.floor(random() * 3);
      const mask = Uint8Array.from({ length: w * h }, () => (random() < 0.8 ? 1 : 0));
      const naive = Array.from(naiveErode(mask, w, h, d));
      expect(Array.from(erodeMask(mask, w, h, d))).toEqual(naive);
      const uniform = uniformWindows(mask, w, h, d);
      expect(Array.from(mask, (m, i) => m & uniform[i])).toEqual(naive);
    }
  });

  it('scores identical, disjoint and empty masks', () => {
    const a = square(20, 20, 2, 2, 8);
    expect(boundaryIoU(a, a, 20, 20)).toBe(1);
    expect(boundaryIoU(a, square(20, 20, 12, 12, 6), 20, 20)).toBe(0);
    expect(boundaryIoU(new Uint8Array(400), new Uint8Array(400), 20, 20)).toBeNull();
    // shifted by one pixel: boundaries (d = 1) of 8x8 squares overlap partly
    const shifted = square(20, 20, 3, 2, 8);
    expect(boundaryIoU(a, shifted, 20, 20)).toBeCloseTo(14 / 42, 12);
  });

  it('per class: null for a class in neither mask, ignore pixels in no label mask', () => {
    const labels = [0, 0, 1, 1, 255, 1, 0, 0, 0];
    const predictions = [0, 0, 1, 1, 1, 1, 0, 0, 0];
    const result = boundaryIoUPerClass(labels, predictions, 3, 3, 3, 255);
    expect(result[2]).toBeNull();
    expect(result[1]).toBeCloseTo(3 / 4, 12);
  });

  it('per class in one pass equals Boundary IoU of each class mask pair', () => {
    let seed = 5;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let trial = 0; trial < 30; trial++) {
      const w = 4 + Math.floor(random() * 40);
      const h = 4 + Math.floor(random() * 40);
      const classes = 2 + Math.floor(random() * 4);
      // blocky maps so that interiors exist, with a few ignored pixels in the labels
      const block = 1 + Math.floor(random() * 6);
      const blockClass = new Map<number, number>();
      const labelAt = (x: number, y: number) => {
        const key = Math.floor(x / block) * 1000 + Math.floor(y / block);
        if (!blockClass.has(key)) blockClass.set(key, Math.floor(random() * classes));
        return blockClass.get(key)!;
      };
      const labels = Int32Array.from({ length: w * h }, (_, i) => (random() < 0.03 ? 255 : labelAt(i % w, Math.floor(i / w))));
      const predictions = Uint8Array.from(labels, (l) => (l === 255 || random() < 0.1 ? Math.floor(random() * classes) : l));
      const fast = boundaryIoUPerClass(labels, predictions, w, h, classes, 255);
      for (let c = 0; c < classes; c++) {
        const labelMask = Uint8Array.from(labels, (l) => (l === c ? 1 : 0));
        const predMask = Uint8Array.from(predictions, (p) => (p === c ? 1 : 0));
        expect(fast[c]).toBe(boundaryIoU(labelMask, predMask, w, h));
      }
    }
  });

  it('matches the reference cases', () => {
    for (const referenceCase of loadReferenceCases(defaultFixturesDir())) {
      if (!referenceCase.boundaryIoU) continue;
      const [n, h, w, c] = referenceCase.shape;
      const predictions = argmaxClasses(referenceCase.logits, c);
      for (let image = 0; image < n; image++) {
        const from = image * h * w;
        const ours = boundaryIoUPerClass(referenceCase.labels.slice(from, from + h * w), predictions.subarray(from, from + h * w), w, h, c, referenceCase.ignoreIndex);
        for (const [cls, values] of Object.entries(referenceCase.boundaryIoU)) {
          const expected = values[image];
          if (expected === null) expect(ours[Number(cls)]).toBeNull();
          else expect(ours[Number(cls)]).toBeCloseTo(expected, 12);
        }
      }
    }
  });
});
