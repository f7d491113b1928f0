/** COCO masks as pycocotools makes them: polygons (rleFrPoly), compressed and uncompressed RLE. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { polygonToRle, polygonWalkLength } from '../../../src/dataset/coco/polygon.js';
import { readAnnotation } from '../../../src/dataset/coco/entries.js';
import { decodeCountsString, encodeCountsString, encodeMask, rleArea, RleError, rleFromCountsList, rleToRowMajor, unionRle } from '../../../src/dataset/coco/rle.js';
import { createRng } from '../../../src/verify/random.js';

const REFERENCE = join(import.meta.dirname, 'polygon_reference.py');

function hasNumpy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A star-shaped polygon around (cx, cy) with `n` vertices at radii in [r/2, r]. */
function star(rng: ReturnType<typeof createRng>, cx: number, cy: number, r: number, n: number): number[] {
  const xy: number[] = [];
  for (let i = 0; i < n; i++) {
    const angle = (2 * Math.PI * i) / n;
    const radius = r * (0.5 + 0.5 * rng.next());
    xy.push(Math.round((cx + radius * Math.cos(angle)) * 100) / 100, Math.round((cy + radius * Math.sin(angle)) * 100) / 100);
  }
  return xy;
}

function shoelace(xy: number[]): number {
  let twice = 0;
  for (let i = 0; i < xy.length; i += 2) {
    const j = (i + 2) % xy.length;
    twice += xy[i] * xy[j + 1] - xy[j] * xy[i + 1];
  }
  return Math.abs(twice) / 2;
}

/** Row-major 0/1 mask as rows of text, for readable expectations. */
function rows(mask: Uint8Array, width: number): string[] {
  const out: string[] = [];
  for (let y = 0; y * width < mask.length; y++) out.push(Array.from(mask.subarray(y * width, (y + 1) * width)).join(''));
  return out;
}

describe('polygonToRle (pycocotools rleFrPoly)', () => {
  it('fills a square with integer corners exactly: pixels whose centres lie inside', () => {
    const rle = polygonToRle([2, 1, 6, 1, 6, 4, 2, 4], 6, 8);
    expect(Array.from(rle.counts)).toEqual([13, 3, 3, 3, 3, 3, 3, 3, 14]);
    expect(rleArea(rle)).toBe(12);
    expect(rows(rleToRowMajor(rle), 8)).toEqual(['00000000', '00111100', '00111100', '00111100', '00000000', '00000000']);
  });

  it('leaves out pixel centres on a slanted edge (a right triangle of legs 4: 6 pixels, not its area 8)', () => {
    // Worked by hand through the C code: the hypotenuse x + y = 4 passes through the centres of
    // (0,3), (1,2), (2,1), (3,0); each column's run ends at the row rounded up from the crossing.
    const rle = polygonToRle([0, 0, 4, 0, 0, 4], 5, 5);
    expect(Array.from(rle.counts)).toEqual([0, 3, 2, 2, 3, 1, 14]);
    expect(rows(rleToRowMajor(rle), 5)).toEqual(['11100', '11000', '10000', '00000', '00000']);
  });

  it('clips to the image: outside columns are dropped, outside rows are clamped', () => {
    const rle = polygonToRle([-3, -2, 3, -2, 3, 10, -3, 10], 4, 5);
    expect(rows(rleToRowMajor(rle), 5)).toEqual(['11100', '11100', '11100', '11100']);
  });

  it('reads 4-number outlines as boxes [x, y, w, h], as pycocotools\' frPyObjects does (frBbox), not as 2-point lines', () => {
    const annotation = readAnnotation({ image_id: 1, category_id: 1, segmentation: [[2, 1, 4, 3]] }, 0);
    expect(annotation.segmentation).toEqual({ kind: 'polygons', polygons: [[2, 1, 2, 4, 6, 4, 6, 1]] });
    const rle = polygonToRle((annotation.segmentation as { polygons: number[][] }).polygons[0], 6, 8);
    expect(rows(rleToRowMajor(rle), 8)).toEqual(['00000000', '00111100', '00111100', '00111100', '00000000', '00000000']); // the square above
    // every outline must then be a box, as pycocotools' n x 4 reshape requires
    expect(() => readAnnotation({ image_id: 1, category_id: 1, segmentation: [[2, 1, 4, 3], [0, 0, 3, 0, 3, 3]] }, 7)).toThrow(/annotations\[7\]\.segmentation\[1\]: the first outline has 4 numbers, which pycocotools reads as a box/);
    // a polygon first: 4-number entries after it stay (degenerate) polygons, as frPoly draws them
    expect(readAnnotation({ image_id: 1, category_id: 1, segmentation: [[0, 0, 3, 0, 3, 3], [1, 1, 2, 2]] }, 0).segmentation).toEqual({ kind: 'polygons', polygons: [[0, 0, 3, 0, 3, 3], [1, 1, 2, 2]] });
  });

  it('gives an empty mask for fewer than 3 points, and for a repeated point', () => {
    for (const xy of [[1, 1], [1, 1, 3, 3], [2, 2, 2, 2, 2, 2]]) expect(rleArea(polygonToRle(xy, 5, 5))).toBe(0);
  });

  it('counts within 1% of the geometric area for non-trivial polygons, without a bias', () => {
    const rng = createRng(3);
    let signed = 0;
    const n = 60;
    for (let k = 0; k < n; k++) {
      const xy = star(rng, 70 + rng.next() * 10, 60 + rng.next() * 10, 40 + rng.next() * 15, 5 + Math.floor(rng.next() * 20));
      const error = (rleArea(polygonToRle(xy, 130, 150)) - shoelace(xy)) / shoelace(xy);
      expect(Math.abs(error)).toBeLessThan(0.01);
      signed += error / n;
    }
    expect(Math.abs(signed)).toBeLessThan(0.002);
  });

  it('measures its walk on the 5x grid before walking it', () => {
    expect(polygonWalkLength([0, 0, 4, 0, 0, 4])).toBe(21 + 21 + 21);
    expect(polygonWalkLength([0, 0, 1e9, 0, 0, 1])).toBeGreaterThan(5e9);
  });

  it.skipIf(!hasNumpy())('matches a Python/numpy transcription of the C code on 300 random polygons', () => {
    const rng = createRng(7);
    const cases: Array<{ xy: number[]; h: number; w: number }> = [];
    for (let k = 0; k < 300; k++) {
      const h = 5 + Math.floor(rng.next() * 60);
      const w = 5 + Math.floor(rng.next() * 60);
      const n = 3 + Math.floor(rng.next() * 12);
      // Vertices a little outside the image too, some on exact half-pixels, some with two decimals.
      const xy = Array.from({ length: 2 * n }, (_, i) => {
        const size = i % 2 === 0 ? w : h;
        const v = -3 + rng.next() * (size + 6);
        return k % 3 === 0 ? Math.round(v * 2) / 2 : Math.round(v * 100) / 100;
      });
      cases.push({ xy, h, w });
    }
    const expected = JSON.parse(execFileSync('python3', [REFERENCE], { input: JSON.stringify(cases), encoding: 'utf8' })) as number[][];
    const got = cases.map((c) => Array.from(polygonToRle(c.xy, c.h, c.w).counts));
    expect(got).toEqual(expected);
  });
});

describe('RLE counts', () => {
  it('round-trips random masks through the compressed string (negative deltas, long runs)', () => {
    const rng = createRng(11);
    for (let k = 0; k < 50; k++) {
      const h = 1 + Math.floor(rng.next() * 300);
      const w = 1 + Math.floor(rng.next() * 300);
      const mask = new Uint8Array(h * w);
      let v = rng.next() < 0.5 ? 1 : 0;
      for (let i = 0; i < mask.length; i++) {
        if (rng.next() < (k % 2 ? 0.3 : 0.001)) v = 1 - v;
        mask[i] = v;
      }
      const rle = encodeMask(mask, h, w);
      const text = encodeCountsString(rle.counts);
      expect(text).toMatch(/^[0-o]*$/);
      const back = decodeCountsString(text, h, w);
      expect(Array.from(back.counts)).toEqual(Array.from(rle.counts));
      // Column-major runs: pixel x*h + y of the mask is row y, column x of the image.
      const rowMajor = rleToRowMajor(back);
      const columnMajor = Uint8Array.from(mask, (_, i) => rowMajor[(i % h) * w + Math.floor(i / h)]);
      expect(Buffer.from(columnMajor).equals(Buffer.from(mask))).toBe(true);
    }
  });

  it('encodes the hand example as pycocotools does (delta from two counts back after the third)', () => {
    // counts 0,3,2,2,3,1,14: the 4th on are stored as 2-3=-1, 3-2=1, 1-2=-1, 14-3=11.
    expect(encodeCountsString([0, 3, 2, 2, 3, 1, 14])).toBe('032O1O;');
    expect(Array.from(decodeCountsString('032O1O;', 5, 5).counts)).toEqual([0, 3, 2, 2, 3, 1, 14]);
  });

  it('refuses strings that are not RLE, with the reason', () => {
    expect(() => decodeCountsString('032O1', 5, 5)).toThrow(/sum to 10, but its size 5x5/);
    expect(() => decodeCountsString('03 2', 5, 5)).toThrow(/character 2 \(" "\) is outside the RLE alphabet/);
    expect(() => decodeCountsString('0j', 5, 5)).toThrow(/end in the middle of a number/);
    expect(() => decodeCountsString('0o', 5, 5)).toThrow(RleError);
    expect(() => decodeCountsString('0'.repeat(5000), 2, 2)).toThrow(/more than 5 runs for a mask of 4 pixels/);
    expect(() => rleFromCountsList([3, 30], 5, 5)).toThrow(/count 1 is 30/);
    expect(() => rleFromCountsList([3, 20], 5, 5)).toThrow(/sum to 23/);
  });

  it('merges several polygons of one annotation as their union', () => {
    const a = polygonToRle([0, 0, 3, 0, 3, 3, 0, 3], 6, 6);
    const b = polygonToRle([2, 2, 5, 2, 5, 5, 2, 5], 6, 6);
    const u = unionRle([a, b], 6, 6);
    expect(rleArea(u)).toBe(9 + 9 - 1);
    const ma = rleToRowMajor(a);
    const mb = rleToRowMajor(b);
    expect(Array.from(rleToRowMajor(u))).toEqual(Array.from(ma, (v, i) => v | mb[i]));
  });
});
