import { describe, expect, it } from 'vitest';
import { generateSample } from '../../src/dataset/sample/index.js';
import { AREA_BIN_COUNT, countObjects, OBJECT_SUMMARY_LENGTH, objectRates, objectSummary, objectTotals, pickObjectStatistic, sumObjectCounts, summaryStatistic, type ObjectStatistic } from '../../src/metrics/objects.js';

/** A label map from rows of digits ('9' = the ignore index in these cases). */
function grid(rows: string[]): { labels: Uint8Array; width: number; height: number } {
  const width = rows[0].length;
  return { labels: Uint8Array.from(rows.join(''), (ch) => Number(ch)), width, height: rows.length };
}

/**
 * The brute-force float64 reference: objects by breadth-first flood fill (8 neighbours) per class,
 * every (truth, prediction) pair's IoU from explicit pixel sets, and the definitions written out.
 */
function reference(labels: ArrayLike<number>, prediction: ArrayLike<number>, width: number, height: number, numClasses: number, ignore: number | null) {
  const pred = Array.from(prediction, (p, i) => (ignore !== null && labels[i] === ignore ? -1 : p));
  const components = (values: ArrayLike<number>) => {
    const seen = new Uint8Array(values.length);
    const out: Array<{ cls: number; pixels: Set<number> }> = [];
    for (let start = 0; start < values.length; start++) {
      const cls = values[start];
      if (seen[start] || cls <= 0 || cls >= numClasses || cls === ignore) continue;
      const pixels = new Set<number>([start]);
      const queue = [start];
      seen[start] = 1;
      while (queue.length) {
        const i = queue.pop()!;
        const x = i % width;
        const y = (i - x) / width;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const nx = x + dx;
            const ny = y + dy;
            if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
            const j = ny * width + nx;
            if (!seen[j] && values[j] === cls) {
              seen[j] = 1;
              pixels.add(j);
              queue.push(j);
            }
          }
        }
      }
      out.push({ cls, pixels });
    }
    return out;
  };
  const truth = components(labels);
  const predicted = components(pred);
  const intersect = (a: Set<number>, b: Set<number>) => [...a].filter((i) => b.has(i)).length;
  const bin = (area: number) => (area < 100 ? 0 : area < 1000 ? 1 : area < 10000 ? 2 : 3);
  const truthByArea = new Float64Array(numClasses * 4);
  const detected = new Float64Array(numClasses * 4);
  const overlapped = new Float64Array(numClasses * 4);
  let matchedPredictions = 0;
  for (const t of truth) {
    const same = predicted.filter((p) => p.cls === t.cls);
    const ious = same.map((p) => {
      const inter = intersect(t.pixels, p.pixels);
      return inter / (t.pixels.size + p.pixels.size - inter);
    });
    const at = t.cls * 4 + bin(t.pixels.size);
    truthByArea[at]++;
    if (ious.some((v) => v > 0.5)) detected[at]++;
    if (ious.some((v) => v > 0)) overlapped[at]++;
    matchedPredictions += ious.filter((v) => v > 0.5).length;
  }
  const spurious = new Float64Array(numClasses);
  const predictedCount = new Float64Array(numClasses);
  for (const p of predicted) {
    predictedCount[p.cls]++;
    if (!truth.some((t) => t.cls === p.cls && intersect(t.pixels, p.pixels) > 0)) spurious[p.cls]++;
  }
  const truthPixels = new Float64Array(numClasses);
  for (let i = 0; i < labels.length; i++) if (labels[i] > 0 && labels[i] < numClasses && labels[i] !== ignore) truthPixels[labels[i]]++;
  return { truth: truthByArea, detected, overlapped, spurious, predicted: predictedCount, truthPixels, matchedPredictions };
}

function randomMask(width: number, height: number, numClasses: number, seed: number, blobs: boolean): Uint8Array {
  let state = seed >>> 0;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const out = new Uint8Array(width * height);
  if (!blobs) {
    for (let i = 0; i < out.length; i++) out[i] = next() < 0.6 ? 0 : Math.floor(next() * numClasses);
    return out;
  }
  for (let k = 0; k < 25; k++) {
    const w = 1 + Math.floor(next() * 14);
    const h = 1 + Math.floor(next() * 14);
    const x0 = Math.floor(next() * width);
    const y0 = Math.floor(next() * height);
    const c = Math.floor(next() * numClasses);
    for (let y = y0; y < Math.min(height, y0 + h); y++) for (let x = x0; x < Math.min(width, x0 + w); x++) out[y * width + x] = c;
  }
  return out;
}

describe('object metrics', () => {
  it('equal a hand-checked case exactly (detected, touched, missed, spurious, ignored)', () => {
    const truth = grid(['11100022', '11100022', '11100000', '00000109', '00001000', '20000000']);
    const pred = grid(['11000022', '11000020', '11000000', '00000002', '00011000', '00000001']);
    const counts = countObjects(truth.labels, pred.labels, truth.width, truth.height, 3, 9);
    // Class 1: the 3x3 block is found by a 3x2 one (IoU 6/9); the diagonal pair (one 8-connected
    // object of 2 px) is touched by a 2 px component (IoU 1/3): overlapped, not detected; the pixel
    // at the bottom right is spurious. Class 2: the 2x2 block is found by 3 px (IoU 3/4); the pixel
    // at the bottom left is missed; the class-2 prediction on the ignored pixel is dropped.
    const t = objectTotals(counts);
    expect(t).toMatchObject({ truth: 4, detected: 2, overlapped: 3, predicted: 4, spurious: 1, truthPixels: 16, predictions: 1 });
    expect(t.truthByArea).toEqual([4, 0, 0, 0]);
    expect(objectTotals(counts, 1)).toMatchObject({ truth: 2, detected: 1, overlapped: 2, predicted: 3, spurious: 1, truthPixels: 11 });
    expect(objectTotals(counts, 2)).toMatchObject({ truth: 2, detected: 1, overlapped: 1, predicted: 1, spurious: 0, truthPixels: 5 });
    const rates = objectRates(counts);
    expect(rates.detectionRate).toBe(0.5);
    expect(rates.anyOverlapRate).toBe(0.75);
    expect(rates.detectionRateByArea[0]).toBe(0.5);
    expect(rates.detectionRateByArea.slice(1).every(Number.isNaN)).toBe(true);
    expect(rates.spuriousPerImage).toBe(1);
    expect(rates.spuriousPer1000Px).toBe(62.5);
    // Without an ignore index the '9' pixels are no class (outside 0..2) and the prediction there counts.
    const noIgnore = countObjects(truth.labels, pred.labels, truth.width, truth.height, 3, null);
    expect(objectTotals(noIgnore, 2)).toMatchObject({ predicted: 2, spurious: 1 });
  });

  it('needs IoU above 0.5: exactly half is touched, not found', () => {
    const truth = grid(['0110', '0000']);
    const half = countObjects(truth.labels, grid(['0100', '0000']).labels, 4, 2, 2, null); // IoU 1/2
    expect(objectTotals(half)).toMatchObject({ truth: 1, detected: 0, overlapped: 1, spurious: 0 });
    const more = countObjects(truth.labels, grid(['0111', '0000']).labels, 4, 2, 2, null); // IoU 2/3
    expect(objectTotals(more)).toMatchObject({ detected: 1, overlapped: 1 });
  });

  it('puts objects in the article area bins at their edges (99 | 100, 999 | 1000, 9999 | 10000 px)', () => {
    const width = 420;
    const height = 110;
    const truth = new Uint8Array(width * height);
    const rect = (mask: Uint8Array, x0: number, y0: number, w: number, h: number, c: number) => {
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) mask[y * width + x] = c;
    };
    rect(truth, 0, 0, 9, 11, 1); // 99
    rect(truth, 12, 0, 10, 10, 1); // 100
    rect(truth, 25, 0, 27, 37, 1); // 999
    rect(truth, 55, 0, 25, 40, 1); // 1000
    rect(truth, 85, 0, 99, 101, 1); // 9999
    rect(truth, 190, 0, 100, 100, 1); // 10000
    const pred = truth.slice();
    rect(pred, 12, 0, 10, 10, 0); // the 100 px object missed
    rect(pred, 55, 0, 25, 40, 0);
    rect(pred, 55, 0, 10, 40, 1); // 1000 px object: 400 px predicted, IoU 0.4, touched only
    const counts = countObjects(truth, pred, width, height, 2, null);
    const t = objectTotals(counts);
    expect(t.truthByArea).toEqual([1, 2, 2, 1]);
    expect(t.detectedByArea).toEqual([1, 1, 1, 1]);
    expect(t.overlappedByArea).toEqual([1, 1, 2, 1]);
    expect(t.spurious).toBe(0);
  });

  it('match a brute-force float64 reference on random masks, including the one-to-one matching', () => {
    for (let seed = 1; seed <= 24; seed++) {
      const width = 20 + (seed % 5) * 7;
      const height = 15 + (seed % 3) * 9;
      const numClasses = 2 + (seed % 4);
      const blobs = seed % 2 === 0;
      const labels = randomMask(width, height, numClasses, seed, blobs);
      const prediction = randomMask(width, height, numClasses, seed * 7919, blobs);
      // Some images share most of the truth, so IoU > 0.5 matches happen often.
      if (seed % 3 === 0) for (let i = 0; i < labels.length; i++) if (i % 5 !== 0) prediction[i] = labels[i];
      const ignore = seed % 4 === 0 ? 9 : null;
      if (ignore !== null) for (let i = 0; i < labels.length; i += 7) labels[i] = ignore;
      const counts = countObjects(labels, prediction, width, height, numClasses, ignore);
      const ref = reference(labels, prediction, width, height, numClasses, ignore);
      expect(Array.from(counts.truth)).toEqual(Array.from(ref.truth));
      expect(Array.from(counts.detected)).toEqual(Array.from(ref.detected));
      expect(Array.from(counts.overlapped)).toEqual(Array.from(ref.overlapped));
      expect(Array.from(counts.spurious)).toEqual(Array.from(ref.spurious));
      expect(Array.from(counts.predicted)).toEqual(Array.from(ref.predicted));
      expect(Array.from(counts.truthPixels)).toEqual(Array.from(ref.truthPixels));
      // One-to-one: as many predicted components matched as objects detected.
      expect(ref.matchedPredictions).toBe(objectTotals(counts).detected);
    }
  });

  it('match the reference on `segloss sample` masks against shifted, noisy predictions', () => {
    const sample = generateSample({ images: 3, size: 128, seed: 11, balanced: true });
    const numClasses = 6;
    for (const [k, item] of sample.items.entries()) {
      const { width, height, mask } = item;
      const prediction = new Uint8Array(mask.length);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) prediction[y * width + x] = mask[y * width + Math.max(0, x - 1 - k)];
      for (let i = 0; i < prediction.length; i += 37) prediction[i] = (prediction[i] + 1) % numClasses;
      const counts = countObjects(mask, prediction, width, height, numClasses, null);
      const ref = reference(mask, prediction, width, height, numClasses, null);
      expect(objectTotals(counts).truth).toBeGreaterThan(0);
      expect(Array.from(counts.detected)).toEqual(Array.from(ref.detected));
      expect(Array.from(counts.overlapped)).toEqual(Array.from(ref.overlapped));
      expect(Array.from(counts.spurious)).toEqual(Array.from(ref.spurious));
    }
  });

  it('pools by summing counts: rates of the sum, spurious per image over all predictions', () => {
    const truth = grid(['1100', '1100', '0000', '0001']);
    const hit = countObjects(truth.labels, truth.labels, 4, 4, 2, null);
    const miss = countObjects(truth.labels, grid(['0000', '0000', '0010', '0000']).labels, 4, 4, 2, null);
    const pooled = sumObjectCounts([hit, miss, miss], 2);
    expect(pooled.predictions).toBe(3);
    const r = objectRates(pooled);
    expect(r.detectionRate).toBeCloseTo(2 / 6, 15);
    expect(r.anyOverlapRate).toBeCloseTo(2 / 6, 15); // the miss's pixel sits diagonal to an object but shares no pixel with it
    expect(r.spuriousPerImage).toBeCloseTo(2 / 3, 15);
    expect(counts(pooled.truth)).toBe(6);
  });
});

describe('object summaries for the bootstrap', () => {
  it('give the same statistics as the full per-class counts, on any resample', () => {
    const images = Array.from({ length: 6 }, (_, k) => {
      const labels = randomMask(30, 20, 4, 100 + k, true);
      const prediction = randomMask(30, 20, 4, 200 + k, true);
      for (let i = 0; i < labels.length; i++) if (i % 3 !== 0) prediction[i] = labels[i];
      return countObjects(labels, prediction, 30, 20, 4, null);
    });
    const statistics: ObjectStatistic[] = ['detectionRate', 'anyOverlapRate', 'detectionRate:0', 'detectionRate:1', 'detectionRate:3', 'spuriousPerImage', 'spuriousPer1000Px'];
    for (const resample of [[0, 1, 2, 3, 4, 5], [2, 2, 5], [1]]) {
      const sum = new Float64Array(OBJECT_SUMMARY_LENGTH);
      for (const i of resample) objectSummary(images[i]).forEach((v, j) => (sum[j] += v));
      const rates = objectRates(sumObjectCounts(resample.map((i) => images[i]), 4));
      for (const statistic of statistics) expect(summaryStatistic(sum, statistic)).toEqual(pickObjectStatistic(rates, statistic));
    }
  });
});

function counts(array: Float64Array): number {
  expect(array.length % AREA_BIN_COUNT).toBe(0);
  return array.reduce((a, b) => a + b, 0);
}
