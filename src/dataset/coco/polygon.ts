/**
 * A COCO polygon to RLE exactly as pycocotools' rleFrPoly (common/maskApi.c) does it, so every
 * pixel count matches what a pycocotools data loader produces (and the `area` field COCO ships):
 * the vertices are scaled by 5 and rounded, every edge is walked one step at a time on that fine
 * grid, each crossing of a pixel-centre column (x = 5k + 2 on the fine grid) becomes a boundary
 * point rounded up to a pixel row, and the sorted boundary points toggle the runs down each column.
 *
 * C semantics kept: `(int)` casts truncate toward zero (Math.trunc), and the walk is exact in
 * doubles as in C. The C code keeps the whole walk in arrays; here it is streamed (one previous
 * point), so memory grows with the number of pixel columns crossed, not the fine-grid length.
 */
import type { Rle } from './rle.js';

const SCALE = 5;

/**
 * Fine-grid steps the walk of this polygon takes (the C code's m): the cost of rasterising it.
 * Callers bound it before calling polygonToRle, since a vertex far outside the image makes it huge.
 */
export function polygonWalkLength(xy: ArrayLike<number>): number {
  const k = Math.floor(xy.length / 2);
  let m = 0;
  for (let j = 0; j < k; j++) {
    const n = (j + 1) % k;
    const dx = Math.abs(Math.trunc(SCALE * xy[2 * j] + 0.5) - Math.trunc(SCALE * xy[2 * n] + 0.5));
    const dy = Math.abs(Math.trunc(SCALE * xy[2 * j + 1] + 0.5) - Math.trunc(SCALE * xy[2 * n + 1] + 0.5));
    m += Math.max(dx, dy) + 1;
  }
  return m;
}

/** pycocotools' rleFrPoly: the mask of one polygon [x0, y0, x1, y1, ...] in an h x w image. */
export function polygonToRle(xy: ArrayLike<number>, height: number, width: number): Rle {
  const k = Math.floor(xy.length / 2);
  // Whole numbers as doubles: no int32 wrap-around for a far vertex (the caller bounds the walk).
  const x = new Float64Array(k + 1);
  const y = new Float64Array(k + 1);
  for (let j = 0; j < k; j++) {
    x[j] = Math.trunc(SCALE * xy[2 * j] + 0.5);
    y[j] = Math.trunc(SCALE * xy[2 * j + 1] + 0.5);
  }
  x[k] = x[0];
  y[k] = y[0];

  // Boundary points (column-major pixel index x*h + y) where the walk crosses a pixel centre column.
  const boundary: number[] = [];
  let hasPrevious = false;
  let pu = 0;
  let pv = 0;
  const visit = (u: number, v: number): void => {
    if (hasPrevious && u !== pu) {
      let xd = u < pu ? u : u - 1;
      xd = (xd + 0.5) / SCALE - 0.5;
      if (Math.floor(xd) === xd && xd >= 0 && xd <= width - 1) {
        let yd = v < pv ? v : pv;
        yd = (yd + 0.5) / SCALE - 0.5;
        if (yd < 0) yd = 0;
        else if (yd > height) yd = height;
        yd = Math.ceil(yd);
        boundary.push(xd * height + yd);
      }
    }
    hasPrevious = true;
    pu = u;
    pv = v;
  };

  for (let j = 0; j < k; j++) {
    let xs = x[j];
    let xe = x[j + 1];
    let ys = y[j];
    let ye = y[j + 1];
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      [xs, xe] = [xe, xs];
      [ys, ye] = [ye, ys];
    }
    // A zero-length edge (dx = dy = 0) gives 0/0 in C; its one point repeats its neighbours'
    // column, so it is never a crossing whatever its row: 0 keeps the arithmetic finite.
    const s = dx >= dy ? (dx === 0 ? 0 : (ye - ys) / dx) : (xe - xs) / dy;
    if (dx >= dy) {
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        visit(t + xs, Math.trunc(ys + s * t + 0.5));
      }
    } else {
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        visit(Math.trunc(xs + s * t + 0.5), t + ys);
      }
    }
  }

  // Sorted boundary points become run lengths; equal points cancel (a zero run is merged away).
  const a = Float64Array.from(boundary.concat(height * width)).sort();
  let previous = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j];
    a[j] -= previous;
    previous = t;
  }
  const counts: number[] = [a[0]];
  for (let j = 1; j < a.length; ) {
    if (a[j] > 0) counts.push(a[j++]);
    else {
      j++;
      if (j < a.length) counts[counts.length - 1] += a[j++];
    }
  }
  return { height, width, counts: Uint32Array.from(counts) };
}
