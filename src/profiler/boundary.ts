/**
 * Boundary ambiguity: how many label-boundary pixels lie on edges that the image barely shows.
 *
 * Rule (also written into every profile's `method.boundary.description`):
 * 1. Label-boundary pixel: a valid (non-ignored) pixel with a 4-neighbour of another valid class.
 * 2. Planes (measurementPlanes): a colour image's red, green and blue as one plane, their luma
 *    0.299 R + 0.587 G + 0.114 B; every other band (grey, NIR after RGB, each band of multi-band
 *    data, bands chosen with --bands) as a plane of its own. Samples above 8 bits were stretched to
 *    0..255 over each band's robust range when decoded (dataset/band-stretch.ts).
 * 3. Noise sigma of each plane: 1.4826 * median(|L|) / 6, where L is the 3x3 high-pass residual
 *    [1 -2 1; -2 4 -2; 1 -2 1] (zero on any linear ramp, unit noise gain 6) taken on every other
 *    pixel in each direction; floored at `minNoise` grey levels. Robust to edges (a minority of
 *    pixels) and independent of brightness.
 * 4. For every pair of 4-neighbours p, q of different valid classes and every plane, the step d = mean of the
 *    pixels 1..`radius` px beyond p, walking away from q and staying in p's class, minus the same
 *    beyond q walking away from p (the `skip` = 1 pixel right at the edge on each side is left out:
 *    it is a mixed pixel under anti-aliasing, blur or a 1 px label offset; a class too thin for
 *    that uses the pixels from the edge on). Steps are oriented from the lower to the higher
 *    object number and pooled per *edge*: the border between two objects (8-connected components
 *    of one class; the background is split into its own components).
 * 5. An edge's contrast-to-noise ratio in a plane: CNR = sqrt(max(0, mean(d)^2 - noise part)) / sigma,
 *    where the noise part = sigma^2 * sum(1/n_p + 1/n_q) / steps^2 is what pure noise adds to mean(d)^2;
 *    the edge's CNR is its best plane's (an edge visible in any band counts).
 *    The mean step is the object-versus-surroundings contrast along that edge; ground texture that
 *    is brighter on one side and darker on another averages out, as it does for the eye.
 * 6. A boundary pixel takes the lowest CNR of the edges it lies on; it is ambiguous when that is
 *    below `threshold` (1.5). Mean boundary contrast = mean of that CNR over boundary pixels.
 * Tuned on the sample generator (truth: edges rendered low-contrast, within 0.5 sigma): all-sharp
 * datasets give 0, all-low-contrast ~0.99-1.0, 30% mixed within 0.08 of truth over seeds and sizes.
 */
import { NEAR_TAIL, ROBUST_HIGH, ROBUST_LOW } from '../dataset/index.js';
import type { LabelArray } from './components.js';

export interface BoundaryOptions {
  /** Pixels averaged on each side of an edge. Default 2. */
  radius: number;
  /** Pixels right at the edge left out of each side's mean: mixed (anti-aliased, blurred, mislabelled) pixels. Default 1. */
  skip: number;
  /** CNR below which an object's edge is ambiguous. Default 1.5. */
  threshold: number;
  /** Smallest noise sigma in grey levels (a noiseless image still has 8-bit quantisation). Default 1. */
  minNoise: number;
}

export const DEFAULT_BOUNDARY_OPTIONS: BoundaryOptions = { radius: 2, skip: 1, threshold: 1.5, minNoise: 1 };

/** The rule in words, with the parameters filled in; goes into every profile's method section. */
export function boundaryDescription(o: BoundaryOptions): string {
  return (
    'Label-boundary pixels are valid pixels with a 4-neighbour of another valid class. ' +
    'The image is measured in planes: a colour image\'s red, green and blue as one plane, their luma 0.299 R + 0.587 G + 0.114 B; every other band (grey, NIR after RGB, each band of multi-band data, or the bands chosen with --bands) as a plane of its own; ' +
    `samples above 8 bits are first stretched linearly to 0..255 over each band's ${+(100 * ROBUST_LOW).toFixed(4)}-${+(100 * ROBUST_HIGH).toFixed(4)} percentile range in that image (one range pooled over a colour image's red, green and blue), widened to the band's minimum or maximum when that lies within ${NEAR_TAIL} x the range's width, values outside clipped. ` +
    `Noise sigma of each plane = 1.4826 * median |3x3 high-pass residual [1 -2 1; -2 4 -2; 1 -2 1]| / 6, floored at ${o.minNoise} grey level. ` +
    `For each pair of 4-neighbours p, q of different classes and each plane, the step d = mean of the pixels ${o.skip + 1}..${o.skip + o.radius} px beyond p away from q (within p's class; the ${o.skip} px at the edge is left out as a mixed pixel) minus the same beyond q. ` +
    'Steps are pooled per edge, an edge being the border between two objects (8-connected components of one class). ' +
    'Edge contrast-to-noise ratio in a plane CNR = sqrt(max(0, mean(d)^2 - sigma^2 * sum(1/n_p + 1/n_q) / steps^2)) / sigma: the mean step across the edge in units of that plane\'s noise, with the part noise alone adds removed; ' +
    'an edge\'s CNR is the largest over the planes (an edge visible in any band counts). ' +
    `A boundary pixel takes the lowest CNR of the edges it lies on and is ambiguous when that is below ${o.threshold}. ` +
    'Mean boundary contrast is the mean of that CNR over boundary pixels.'
  );
}

export interface ClassBoundaryCounts {
  boundaryPixels: number;
  ambiguousPixels: number;
  /** Sum over boundary pixels of their object's CNR. */
  contrastSum: number;
}

export interface BoundaryMeasure {
  /** Noise sigma of the first measured plane (the luma, or band 1). */
  noiseSigma: number;
  /** Noise sigma of every measured plane. */
  bandNoiseSigmas: number[];
  perClass: ClassBoundaryCounts[];
}

export type GreyImage = Uint8Array | Float32Array;

/** Grey levels: the single channel as is; RGB as luma 0.299 R + 0.587 G + 0.114 B in 8-bit fixed point. */
export function toGrey(image: { channels: 1 | 3; data: Uint8Array }, pixels: number): GreyImage {
  const d = image.data;
  if (image.channels === 1) return d.length === pixels ? d : d.subarray(0, pixels);
  const grey = new Uint8Array(pixels);
  for (let i = 0, j = 0; i < pixels; i++, j += 3) grey[i] = (77 * d[j] + 150 * d[j + 1] + 29 * d[j + 2] + 128) >> 8;
  return grey;
}

/** Robust noise sigma from the median absolute 3x3 high-pass residual (see the module comment). */
export function estimateNoise(grey: GreyImage, width: number, height: number): number {
  const scale = 4; // residual histogram in quarter grey levels
  const maxBin = 16 * 255 * scale;
  const histogram = new Uint32Array(maxBin + 1);
  let n = 0;
  for (let y = 1; y < height - 1; y += 2) {
    for (let x = 1; x < width - 1; x += 2) {
      const i = y * width + x;
      const up = i - width;
      const down = i + width;
      const r =
        grey[up - 1] - 2 * grey[up] + grey[up + 1] -
        2 * grey[i - 1] + 4 * grey[i] - 2 * grey[i + 1] +
        grey[down - 1] - 2 * grey[down] + grey[down + 1];
      const bin = Math.min(maxBin, Math.round(Math.abs(r) * scale));
      histogram[bin]++;
      n++;
    }
  }
  if (n === 0) return 0;
  const half = Math.ceil(n / 2);
  let seen = 0;
  for (let b = 0; b <= maxBin; b++) {
    seen += histogram[b];
    if (seen >= half) return (1.4826 * (b / scale)) / 6;
  }
  return (1.4826 * 16 * 255) / 6;
}

/**
 * The planes the measure runs on. A colour image's red, green and blue are one picture, measured
 * as its luma (as the eye sees it; per-band contrast there would count the tint of a roof in its
 * own shadow as an edge: on the sample dataset, whose truth is luma contrast, per-band read 0.22
 * ambiguous where the truth is 0.30 and luma 0.29). Every other band (NIR after RGB, all bands of
 * grey, 2-band or 13-band data, or bands chosen with --bands) is a measurement of its own.
 */
export function measurementPlanes(image: { channels: number; data: Uint8Array; rgb?: boolean }, pixels: number): GreyImage[] {
  const colour = image.channels >= 3 && (image.rgb ?? image.channels === 3);
  if (image.channels === 1) return [toGrey({ channels: 1, data: image.data }, pixels)];
  if (colour && image.channels === 3) return [toGrey({ channels: 3, data: image.data }, pixels)];
  const planes: GreyImage[] = [];
  const c = image.channels;
  const d = image.data;
  if (colour) {
    const grey = new Uint8Array(pixels);
    for (let i = 0, j = 0; i < pixels; i++, j += c) grey[i] = (77 * d[j] + 150 * d[j + 1] + 29 * d[j + 2] + 128) >> 8;
    planes.push(grey);
  }
  for (let b = colour ? 3 : 0; b < c; b++) {
    const plane = new Uint8Array(pixels);
    for (let i = 0, j = b; i < pixels; i++, j += c) plane[i] = d[j];
    planes.push(plane);
  }
  return planes;
}

/**
 * @param planes    the image planes to measure (measurementPlanes): an edge's CNR is its best plane's
 * @param objectIds per-pixel object number (1..objectCount) for every valid pixel
 * @param objectClass class id of each object number
 * @param isValid   label value -> counts (false for the ignore index)
 */
export function measureBoundary(
  labels: LabelArray,
  width: number,
  height: number,
  planes: GreyImage | readonly GreyImage[],
  objectIds: Int32Array,
  objectCount: number,
  isValid: Uint8Array,
  classCount: number,
  options: BoundaryOptions = DEFAULT_BOUNDARY_OPTIONS,
): BoundaryMeasure {
  const bands: readonly GreyImage[] = Array.isArray(planes) ? planes : [planes as GreyImage];
  const B = bands.length;
  const sigmas = bands.map((plane) => Math.max(options.minNoise, estimateNoise(plane, width, height)));
  const r = options.radius;
  const skip = options.skip;
  const edges = new EdgeTable(objectCount, B);
  // One entry per (boundary pixel, neighbouring edge): pixel index and edge number.
  let entryPixel: Int32Array = new Int32Array(8192);
  let entryEdge: Int32Array = new Int32Array(8192);
  let entries = 0;
  const innerMeans = new Float64Array(B);
  const steps = new Float64Array(B);
  let sideFrom = 0; // first pixel index and count of the last sideRange call
  let sideCount = 0;

  // The pixels at distances skip .. skip+r-1 from `start` along (dx, dy) while the label stays
  // `label`; when the class is too thin for that, the pixels from distance 0 instead.
  const sideRange = (start: number, x: number, y: number, dx: number, dy: number, label: number): void => {
    const step = dy * width + dx;
    let length = 0; // pixels of `label` from start, up to skip + r
    for (let cx = x, cy = y, i = start; length < skip + r && cx >= 0 && cx < width && cy >= 0 && cy < height && labels[i] === label; cx += dx, cy += dy, i += step) length++;
    const from = length > skip ? skip : 0;
    sideFrom = start + from * step;
    sideCount = Math.min(length, from + r) - from;
  };
  const sideMean = (plane: GreyImage, step: number): number => {
    let sum = 0;
    for (let k = 0, i = sideFrom; k < sideCount; k++, i += step) sum += plane[i];
    return sum / sideCount;
  };

  const visit = (i: number, x: number, y: number, c: number, dx: number, dy: number): void => {
    const q = i + dy * width + dx;
    const other = labels[q];
    if (other === c || !isValid[other]) return;
    const step = dy * width + dx;
    sideRange(i, x, y, -dx, -dy, c);
    const nIn = sideCount;
    for (let b = 0; b < B; b++) innerMeans[b] = sideMean(bands[b], -step);
    sideRange(q, x + dx, y + dy, dx, dy, other);
    const nOut = sideCount;
    // Orient every step of an edge the same way: from the lower object number to the higher.
    const sign = objectIds[i] < objectIds[q] ? 1 : -1;
    for (let b = 0; b < B; b++) steps[b] = sign * (innerMeans[b] - sideMean(bands[b], step));
    const edge = edges.edgeOf(objectIds[i], objectIds[q]);
    edges.add(edge, steps, 1 / nIn + 1 / nOut);
    if (entries === entryPixel.length) {
      entryPixel = grow(entryPixel);
      entryEdge = grow(entryEdge);
    }
    entryPixel[entries] = i;
    entryEdge[entries++] = edge;
  };

  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const c = labels[i];
      if (!isValid[c]) continue;
      // Fast path: interior pixels (all four neighbours share the class) are most of the mask.
      if (x > 0 && x < width - 1 && y > 0 && y < height - 1 && labels[i - 1] === c && labels[i + 1] === c && labels[i - width] === c && labels[i + width] === c) continue;
      if (x < width - 1) visit(i, x, y, c, 1, 0);
      if (x > 0) visit(i, x, y, c, -1, 0);
      if (y < height - 1) visit(i, x, y, c, 0, 1);
      if (y > 0) visit(i, x, y, c, 0, -1);
    }
  }

  const cnr = edges.contrastToNoise(sigmas);
  const perClass: ClassBoundaryCounts[] = Array.from({ length: classCount }, () => ({ boundaryPixels: 0, ambiguousPixels: 0, contrastSum: 0 }));
  for (let k = 0; k < entries; ) {
    const pixel = entryPixel[k];
    let contrast = Infinity;
    for (; k < entries && entryPixel[k] === pixel; k++) contrast = Math.min(contrast, cnr[entryEdge[k]]);
    const counts = perClass[labels[pixel]];
    counts.boundaryPixels++;
    counts.contrastSum += contrast;
    if (contrast < options.threshold) counts.ambiguousPixels++;
  }
  return { noiseSigma: sigmas[0], bandNoiseSigmas: sigmas, perClass };
}

function grow(array: Int32Array): Int32Array {
  const grown = new Int32Array(array.length * 2);
  grown.set(array);
  return grown;
}

/** Pooled step statistics per unordered object pair, one step sum per plane. */
class EdgeTable {
  private readonly index = new Map<number, number>();
  private sumSteps = new Float64Array(1024);
  private noiseFactor: number[] = [];
  private steps: number[] = [];

  constructor(
    private readonly objectCount: number,
    private readonly planes: number,
  ) {}

  edgeOf(a: number, b: number): number {
    const key = a < b ? a * (this.objectCount + 1) + b : b * (this.objectCount + 1) + a;
    let edge = this.index.get(key);
    if (edge === undefined) {
      edge = this.steps.length;
      this.index.set(key, edge);
      if ((edge + 1) * this.planes > this.sumSteps.length) {
        const grown = new Float64Array(Math.max(this.sumSteps.length * 2, (edge + 1) * this.planes));
        grown.set(this.sumSteps);
        this.sumSteps = grown;
      }
      this.noiseFactor.push(0);
      this.steps.push(0);
    }
    return edge;
  }

  add(edge: number, steps: Float64Array, noiseFactor: number): void {
    for (let b = 0, k = edge * this.planes; b < this.planes; b++, k++) this.sumSteps[k] += steps[b];
    this.noiseFactor[edge] += noiseFactor;
    this.steps[edge]++;
  }

  /** Per edge, the best plane's |mean step| / sigma, with the part noise alone adds to the squared mean removed. */
  contrastToNoise(sigmas: readonly number[]): Float64Array {
    const cnr = new Float64Array(this.steps.length);
    for (let e = 0; e < cnr.length; e++) {
      const n = this.steps[e];
      let best = 0;
      for (let b = 0; b < this.planes; b++) {
        const sigma = sigmas[b];
        const mean = this.sumSteps[e * this.planes + b] / n;
        const noiseVariance = (sigma * sigma * this.noiseFactor[e]) / (n * n);
        best = Math.max(best, Math.sqrt(Math.max(0, mean * mean - noiseVariance)) / sigma);
      }
      cnr[e] = best;
    }
    return cnr;
  }
}
