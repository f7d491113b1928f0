/**
 * In-memory training data for verify: decoded images with their label maps, per-channel
 * normalisation, seeded random crops with rare-class-aware sampling and flips.
 */
import { createRng } from './random.js';

export interface VerifyImage {
  id: string;
  width: number;
  height: number;
  /** Interleaved HWC pixels with `channels` channels (1 or 3). */
  pixels: Uint8Array;
  channels: number;
  /** Class id per pixel (row-major); the ignore index may appear. */
  labels: Uint8Array | Uint16Array;
}

export interface Normalisation {
  mean: number[];
  std: number[];
}

/** Batch in the layout the training engine takes. */
export interface TrainingBatch {
  images: Float32Array;
  labels: Int32Array;
  n: number;
  height: number;
  width: number;
}

/** Pixel count per class (ignore index and ids >= numClasses excluded) of one label map. */
export function classPixelCounts(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (c < numClasses) counts[c]++;
  }
  return counts;
}

/** Per-channel mean and standard deviation of the given images' pixels (std floored at 1e-6). */
export function channelStatistics(images: readonly VerifyImage[]): Normalisation {
  const channels = images[0]?.channels ?? 1;
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  let count = 0;
  for (const image of images) {
    const px = image.pixels;
    for (let i = 0; i < px.length; i += channels) {
      for (let c = 0; c < channels; c++) {
        const v = px[i + c];
        sum[c] += v;
        sumSq[c] += v * v;
      }
    }
    count += px.length / channels;
  }
  const mean = [...sum].map((s) => s / Math.max(1, count));
  const std = [...sumSq].map((s, c) => Math.max(1e-6, Math.sqrt(Math.max(0, s / Math.max(1, count) - mean[c] ** 2))));
  return { mean, std };
}

/**
 * Classes the crop sampler centres crops on: foreground classes (id >= 1) whose share of the
 * training pixels is below 1%; when none is, the rarest foreground class present in train.
 */
export const RARE_CLASS_SHARE = 0.01;
export function rareClassesOf(trainClassPixels: readonly number[]): number[] {
  const total = trainClassPixels.reduce((a, b) => a + b, 0);
  const present = trainClassPixels.map((count, id) => ({ id, count })).filter((c) => c.id > 0 && c.count > 0);
  if (present.length === 0 || total === 0) return [];
  const rare = present.filter((c) => c.count / total < RARE_CLASS_SHARE).map((c) => c.id);
  if (rare.length > 0) return rare;
  return [present.reduce((a, b) => (b.count < a.count ? b : a)).id];
}

/** Floor of every class's prior: keeps rare classes' softmax gradients alive (RetinaNet's pi = 0.01). */
export const MIN_CLASS_PRIOR = 0.01;

/**
 * Class priors for the U-Net's head-bias initialisation: each class's share of the training
 * pixels, floored at MIN_CLASS_PRIOR and renormalised. The untrained network then predicts the
 * class frequencies rather than 1/C each, so a short training spends its steps on telling the
 * classes apart instead of first learning how rare the foreground is.
 */
export function classPriorsOf(trainClassPixels: readonly number[]): number[] {
  const total = trainClassPixels.reduce((a, b) => a + b, 0);
  const floored = trainClassPixels.map((count) => Math.max(MIN_CLASS_PRIOR, total > 0 ? count / total : 0));
  const sum = floored.reduce((a, b) => a + b, 0);
  return floored.map((p) => p / sum);
}

export interface CropSamplerOptions {
  cropSize: number;
  batchSize: number;
  /** Share of crops centred on a pixel of a rare class (the recipe's rareClassOversampling). */
  rareClassOversampling: number;
  rareClasses: readonly number[];
  numClasses: number;
  /** Random horizontal and vertical flips, each with probability 0.5. */
  flips: boolean;
  seed: number;
}

export interface CropSampler {
  nextBatch(): TrainingBatch;
}

/**
 * Seeded crop sampler. Each crop: with probability `rareClassOversampling` (and when a rare class
 * exists in train) pick a rare class uniformly, an image containing it uniformly, and one of its
 * pixels uniformly, and centre the crop there (clamped to the image); otherwise a uniformly placed
 * crop of a uniformly chosen image. Then optional flips, then per-channel normalisation.
 * Two samplers with the same seed and data yield identical batches in the same order.
 */
export function createCropSampler(images: readonly VerifyImage[], normalisation: Normalisation, options: CropSamplerOptions): CropSampler {
  const { cropSize: size, batchSize } = options;
  for (const image of images) {
    if (image.width < size || image.height < size) throw new Error(`image ${image.id} (${image.width}x${image.height}) is smaller than the ${size}px crop`);
  }
  const rng = createRng(options.seed);
  const classCounts = images.map((image) => classPixelCounts(image.labels, options.numClasses));
  const rareHolders = options.rareClasses
    .map((c) => ({ c, holders: images.map((_, i) => i).filter((i) => classCounts[i][c] > 0) }))
    .filter((r) => r.holders.length > 0);
  const channels = images[0].channels;

  const pickCrop = (): { image: number; x0: number; y0: number } => {
    if (rareHolders.length > 0 && rng.next() < options.rareClassOversampling) {
      const { c, holders } = rareHolders[rng.int(rareHolders.length)];
      const index = holders[rng.int(holders.length)];
      const pixel = nthPixelOfClass(images[index].labels, c, rng.int(classCounts[index][c]));
      const { width, height } = images[index];
      const cx = pixel % width;
      const cy = Math.floor(pixel / width);
      return { image: index, x0: clamp(cx - (size >> 1), 0, width - size), y0: clamp(cy - (size >> 1), 0, height - size) };
    }
    const index = rng.int(images.length);
    const { width, height } = images[index];
    return { image: index, x0: rng.int(width - size + 1), y0: rng.int(height - size + 1) };
  };

  return {
    nextBatch() {
      const out: TrainingBatch = {
        images: new Float32Array(batchSize * size * size * channels),
        labels: new Int32Array(batchSize * size * size),
        n: batchSize,
        height: size,
        width: size,
      };
      for (let b = 0; b < batchSize; b++) {
        const crop = pickCrop();
        const flipX = options.flips && rng.next() < 0.5;
        const flipY = options.flips && rng.next() < 0.5;
        writeCrop(images[crop.image], crop.x0, crop.y0, size, flipX, flipY, normalisation, out, b);
      }
      return out;
    },
  };
}

function writeCrop(image: VerifyImage, x0: number, y0: number, size: number, flipX: boolean, flipY: boolean, norm: Normalisation, out: TrainingBatch, slot: number): void {
  const ch = image.channels;
  const base = slot * size * size;
  for (let y = 0; y < size; y++) {
    const sy = y0 + (flipY ? size - 1 - y : y);
    for (let x = 0; x < size; x++) {
      const sx = x0 + (flipX ? size - 1 - x : x);
      const src = sy * image.width + sx;
      const dst = base + y * size + x;
      out.labels[dst] = image.labels[src];
      for (let c = 0; c < ch; c++) out.images[dst * ch + c] = (image.pixels[src * ch + c] - norm.mean[c]) / norm.std[c];
    }
  }
}

function nthPixelOfClass(labels: ArrayLike<number>, c: number, n: number): number {
  let seen = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === c) {
      if (seen === n) return i;
      seen++;
    }
  }
  throw new Error(`class ${c} has fewer than ${n + 1} pixels`);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Normalised HWC float copy of a whole image, zero-padded (= the channel mean) to padW x padH. */
export function normalisedImage(image: VerifyImage, norm: Normalisation, padWidth: number, padHeight: number): Float32Array {
  const ch = image.channels;
  const out = new Float32Array(padWidth * padHeight * ch);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const src = (y * image.width + x) * ch;
      const dst = (y * padWidth + x) * ch;
      for (let c = 0; c < ch; c++) out[dst + c] = (image.pixels[src + c] - norm.mean[c]) / norm.std[c];
    }
  }
  return out;
}

