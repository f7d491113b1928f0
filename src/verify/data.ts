/**
 * In-memory training data for verify: decoded images with their label maps, per-channel
 * normalisation, and the seeded crop plan (rare-class-aware crops and flips). The plan is
 * verify's: engines only cut the planned crops (src/engine/batch.ts), so every backend trains on
 * the same crops in the same order.
 */
import { materialiseBatch, normalisedImage } from '../engine/batch.js';
import type { LabelledBatch } from '../engine/replica.js';
import type { BatchPlan, CropPlan, EngineImage, Normalisation } from '../engine/types.js';
import { createRng } from './random.js';

export { normalisedImage };

/**
 * An image and its labels as verify holds them (the engine's input type), with its group (scene,
 * case, sequence: DecodedPair.group) that splits keep on one side; absent = its own id.
 */
export type VerifyImage = EngineImage & { group?: string };
export type { Normalisation };

/** Batch in the layout the training engine takes. */
export type TrainingBatch = LabelledBatch;

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

export interface CropPlanner {
  nextBatchPlan(): BatchPlan;
}

export interface CropSampler {
  nextBatch(): TrainingBatch;
}

/**
 * Seeded crop plan. Each crop: with probability `rareClassOversampling` (and when a rare class
 * exists in train) pick a rare class uniformly, an image containing it uniformly, and one of its
 * pixels uniformly, and centre the crop there (clamped to the image); otherwise a uniformly placed
 * crop of a uniformly chosen image. Then optional flips. Two planners with the same seed and data
 * yield identical plans in the same order.
 */
export function createCropPlanner(images: readonly VerifyImage[], options: CropSamplerOptions): CropPlanner {
  const { cropSize: size, batchSize } = options;
  for (const image of images) {
    if (image.width < size || image.height < size) throw new Error(`image ${image.id} (${image.width}x${image.height}) is smaller than the ${size}px crop`);
  }
  const rng = createRng(options.seed);
  const classCounts = images.map((image) => classPixelCounts(image.labels, options.numClasses));
  const rareHolders = options.rareClasses
    .map((c) => ({ c, holders: images.map((_, i) => i).filter((i) => classCounts[i][c] > 0) }))
    .filter((r) => r.holders.length > 0);

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
    nextBatchPlan() {
      const crops: CropPlan[] = [];
      for (let b = 0; b < batchSize; b++) {
        const crop = pickCrop();
        const flipX = options.flips && rng.next() < 0.5;
        const flipY = options.flips && rng.next() < 0.5;
        crops.push({ ...crop, flipX, flipY });
      }
      return { crops, size };
    },
  };
}

/** The planner with its crops cut and normalised: batches in the engine's layout. */
export function createCropSampler(images: readonly VerifyImage[], normalisation: Normalisation, options: CropSamplerOptions): CropSampler {
  const planner = createCropPlanner(images, options);
  return { nextBatch: () => materialiseBatch(planner.nextBatchPlan(), images, normalisation) };
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
