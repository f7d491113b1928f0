/**
 * Ground truth of a generated layout, computed from the mask and the construction record.
 *
 * Ambiguous-boundary rule (also in SampleTruth's doc comment and `ambiguityRule` of truth.json):
 * a label-boundary pixel is a pixel with at least one 4-neighbour of another class. Every pair of
 * 4-neighbours p, q of different classes lies on the edge between the object of p and the object
 * of q (the ground counts as one object). That edge was rendered low-contrast when the object on
 * top was: the building for a building-ground edge, the solar panel for a panel-roof edge
 * (equivalently: the object with the larger object number). A boundary pixel is ambiguous when at
 * least one of its different-class 4-neighbours is across a low-contrast edge.
 */
import type { Layout } from './layout.js';

export const AMBIGUITY_RULE =
  'A label-boundary pixel has at least one 4-neighbour of another class. Each such neighbour pair lies on the edge between ' +
  'their two objects (the ground is one object); the edge is low-contrast when the object on top was rendered low-contrast ' +
  '(the building on a building-ground edge, the solar panel on a panel-roof edge). A boundary pixel is ambiguous when at least ' +
  'one of its different-class 4-neighbours is across a low-contrast edge. ambiguousBoundaryShare = ambiguous / boundary pixels.';

export interface LayoutTruth {
  pixelCounts: number[];
  /** Object areas per class id. */
  objectAreas: number[][];
  boundaryPixels: number[];
  ambiguousPixels: number[];
}

export function measureLayout(layout: Layout, classCount: number): LayoutTruth {
  const { width, height, mask, objectIds, objects } = layout;
  const pixelCounts = new Array<number>(classCount).fill(0);
  const boundaryPixels = new Array<number>(classCount).fill(0);
  const ambiguousPixels = new Array<number>(classCount).fill(0);
  const lowContrast = Uint8Array.from([0, ...objects.map((o) => (o.lowContrast ? 1 : 0))]);
  const areas = new Array<number>(objects.length + 1).fill(0);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const c = mask[i];
      const id = objectIds[i];
      pixelCounts[c]++;
      areas[id]++;
      // Up to four different-class neighbours; -1 where there is none.
      const left = x > 0 && mask[i - 1] !== c ? i - 1 : -1;
      const right = x < width - 1 && mask[i + 1] !== c ? i + 1 : -1;
      const up = y > 0 && mask[i - width] !== c ? i - width : -1;
      const down = y < height - 1 && mask[i + width] !== c ? i + width : -1;
      const boundary = left >= 0 || right >= 0 || up >= 0 || down >= 0;
      const ambiguous =
        boundary &&
        ((left >= 0 && lowContrast[Math.max(id, objectIds[left])] === 1) ||
          (right >= 0 && lowContrast[Math.max(id, objectIds[right])] === 1) ||
          (up >= 0 && lowContrast[Math.max(id, objectIds[up])] === 1) ||
          (down >= 0 && lowContrast[Math.max(id, objectIds[down])] === 1));
      if (boundary) boundaryPixels[c]++;
      if (ambiguous) ambiguousPixels[c]++;
    }
  }
  const objectAreas: number[][] = Array.from({ length: classCount }, () => []);
  objects.forEach((o, k) => objectAreas[o.classId].push(areas[k + 1]));
  return { pixelCounts, objectAreas, boundaryPixels, ambiguousPixels };
}
