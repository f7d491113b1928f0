/**
 * Exact Euclidean distance transforms of binary masks, the ground truth of the distance-based
 * losses (boundary.ts, hausdorff-dt.ts). Felzenszwalb & Huttenlocher's separable algorithm
 * ("Distance Transforms of Sampled Functions", 2012): a 1-D lower envelope of parabolas along the
 * columns, then along the rows, O(pixels) and exact (not a chamfer approximation). Pixel spacing 1.
 *
 * Conventions follow scipy.ndimage.distance_transform_edt, which the reference implementations
 * call: `edt(mask)` gives every nonzero pixel its distance to the nearest zero pixel, and 0 on zero
 * pixels. scipy answers garbage when there is no zero pixel (scipy issue #15585); callers here
 * never ask (they skip masks that are empty or full, as the references do).
 */

/**
 * Squared distance from every pixel of an h x w grid to the nearest pixel with `isSite` true
 * (row-major); Infinity everywhere when there is no site.
 */
export function squaredDistanceToSites(isSite: ArrayLike<boolean | number>, height: number, width: number): Float64Array {
  const out = new Float64Array(height * width);
  // Pass 1, along each column: squared distance to the nearest site in the same column.
  for (let i = 0; i < out.length; i++) out[i] = isSite[i] ? 0 : Infinity;
  const longest = Math.max(height, width);
  const line = new Float64Array(longest);
  const result = new Float64Array(longest);
  const scratch = { v: new Int32Array(longest), z: new Float64Array(longest + 1) };
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) line[y] = out[y * width + x];
    lowerEnvelope(line, height, result, scratch);
    for (let y = 0; y < height; y++) out[y * width + x] = result[y];
  }
  // Pass 2, along each row, over the column results.
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) line[x] = out[row + x];
    lowerEnvelope(line, width, result, scratch);
    for (let x = 0; x < width; x++) out[row + x] = result[x];
  }
  return out;
}

/**
 * 1-D transform d(q) = min_p ((q - p)^2 + f(p)) of the first n values of f, into `out`
 * (Felzenszwalb & Huttenlocher, algorithm DT(f)). Infinite f(p) are not parabolas and are skipped;
 * all infinite gives Infinity.
 */
function lowerEnvelope(f: Float64Array, n: number, out: Float64Array, scratch: { v: Int32Array; z: Float64Array }): void {
  const { v, z } = scratch;
  let k = -1;
  for (let q = 0; q < n; q++) {
    if (f[q] === Infinity) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    // z[0] = -Infinity stops the loop at k = 0: the first parabola is never popped.
    let s = intersection(f, q, v[k]);
    while (s <= z[k]) {
      k--;
      s = intersection(f, q, v[k]);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  if (k < 0) {
    out.fill(Infinity, 0, n);
    return;
  }
  let j = 0;
  for (let q = 0; q < n; q++) {
    while (z[j + 1] < q) j++;
    const d = q - v[j];
    out[q] = d * d + f[v[j]];
  }
}

/** Abscissa where the parabolas rooted at q and p (q > p) intersect. */
function intersection(f: Float64Array, q: number, p: number): number {
  return (f[q] + q * q - (f[p] + p * p)) / (2 * (q - p));
}

/**
 * scipy's distance_transform_edt of a binary mask: each pixel where `mask` is true gets its
 * Euclidean distance to the nearest false pixel; false pixels get 0. Needs a false pixel.
 */
export function euclideanDistanceTransform(mask: ArrayLike<boolean | number>, height: number, width: number): Float64Array {
  const background = new Uint8Array(height * width);
  for (let i = 0; i < background.length; i++) background[i] = mask[i] ? 0 : 1;
  const squared = squaredDistanceToSites(background, height, width);
  for (let i = 0; i < squared.length; i++) squared[i] = Math.sqrt(squared[i]);
  return squared;
}
