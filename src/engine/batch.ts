/**
 * Cuts a planned batch out of the training images: the crops, flips and per-channel
 * normalisation that every engine applies the same way (the Python runner does the same in numpy
 * from its cache; a test checks the two agree).
 */
import type { LabelledBatch } from './replica.js';
import type { BatchPlan, CropPlan, EngineImage, Normalisation } from './types.js';

export function materialiseBatch(plan: BatchPlan, images: readonly EngineImage[], normalisation: Normalisation, progress?: number): LabelledBatch {
  const { size, crops } = plan;
  const channels = images[0]?.channels ?? 1;
  const out: LabelledBatch = {
    images: new Float32Array(crops.length * size * size * channels),
    labels: new Int32Array(crops.length * size * size),
    n: crops.length,
    height: size,
    width: size,
    ...(progress !== undefined ? { progress } : {}),
  };
  crops.forEach((crop, slot) => writeCrop(images[crop.image], crop, size, normalisation, out, slot));
  return out;
}

function writeCrop(image: EngineImage, crop: CropPlan, size: number, norm: Normalisation, out: LabelledBatch, slot: number): void {
  if (!image || crop.x0 < 0 || crop.y0 < 0 || crop.x0 + size > image.width || crop.y0 + size > image.height) {
    throw new RangeError(`crop ${JSON.stringify(crop)} of ${size}px does not fit its image`);
  }
  const ch = image.channels;
  const base = slot * size * size;
  for (let y = 0; y < size; y++) {
    const sy = crop.y0 + (crop.flipY ? size - 1 - y : y);
    for (let x = 0; x < size; x++) {
      const sx = crop.x0 + (crop.flipX ? size - 1 - x : x);
      const src = sy * image.width + sx;
      const dst = base + y * size + x;
      out.labels[dst] = image.labels[src];
      for (let c = 0; c < ch; c++) out.images[dst * ch + c] = (image.pixels[src * ch + c] - norm.mean[c]) / norm.std[c];
    }
  }
}

/** Normalised HWC float copy of a whole image, zero-padded (= the channel mean) to padW x padH. */
export function normalisedImage(image: EngineImage, norm: Normalisation, padWidth: number, padHeight: number): Float32Array {
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
