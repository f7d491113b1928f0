import { describe, expect, it } from 'vitest';
import { countAndBound, labelComponents } from '../../src/profiler/components.js';
import { labelRuns } from '../../src/profiler/runs.js';
import { seededRandom } from '../../src/profiler/sampling.js';

/** Random blobs plus salt noise and ignore pixels: many touching, diagonal and nested shapes. */
function randomMask(seed: number, width: number, height: number): Uint8Array {
  const random = seededRandom(seed);
  const labels = new Uint8Array(width * height);
  for (let k = 0; k < 30; k++) {
    const c = 1 + Math.floor(random() * 4);
    const w = 1 + Math.floor(random() * 20);
    const h = 1 + Math.floor(random() * 20);
    const x0 = Math.floor(random() * (width - w));
    const y0 = Math.floor(random() * (height - h));
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) labels[y * width + x] = c;
  }
  for (let i = 0; i < labels.length; i++) {
    const r = random();
    if (r < 0.05) labels[i] = Math.floor(random() * 5);
    else if (r < 0.06) labels[i] = 255;
  }
  return labels;
}

describe('run-length components', () => {
  it('match opencv-wasm connectedComponentsWithStats (8-connectivity) class by class', () => {
    for (const [seed, width, height] of [[1, 64, 48], [2, 97, 31], [3, 128, 128], [4, 1, 50], [5, 50, 1]]) {
      const labels = randomMask(seed, width, height);
      const isValid = new Uint8Array(256).fill(1);
      isValid[255] = 0;
      const objectIds = new Int32Array(width * height);
      const runs = labelRuns(labels, width, height, isValid, objectIds);
      const boxes = countAndBound(labels, width, height, 256);
      const classes = [0, 1, 2, 3, 4].filter((c) => boxes.counts[c] > 0);
      const reference = labelComponents(labels, width, boxes, classes, null);
      for (const { classId, areas } of reference) {
        const ours: number[] = [];
        for (let o = 1; o <= runs.objectCount; o++) if (runs.objectClass[o] === classId) ours.push(runs.objectArea[o]);
        expect(ours.sort((a, b) => a - b)).toEqual([...areas].sort((a, b) => a - b));
      }
      expect([...runs.counts.slice(0, 5)]).toEqual([...boxes.counts.slice(0, 5)]);
      // every valid pixel carries an object of its own class; ignore pixels none
      for (let i = 0; i < labels.length; i++) {
        if (labels[i] === 255) expect(objectIds[i]).toBe(0);
        else expect(runs.objectClass[objectIds[i]]).toBe(labels[i]);
      }
    }
  });
});
