/**
 * Deterministic validation prediction: each val image is zero-padded (after normalisation, so
 * padding is the channel mean) to a multiple of 2^depth; images up to MAX_TILE pixels a side are
 * predicted whole, larger ones as a fixed grid of MAX_TILE tiles (the last row/column aligned to
 * the far edge, later tiles overwriting the overlap). Returns the argmax label map per image at
 * its original size.
 */
import { normalisedImage } from './batch.js';
import type { EngineImage, Normalisation } from './types.js';

/** Argmax labels (NHW) of a normalised NHWC batch. */
export type PredictBatch = (images: Float32Array, n: number, height: number, width: number) => Promise<Uint8Array>;

export const MAX_TILE = 256;

export async function predictImage(predict: PredictBatch, image: EngineImage, norm: Normalisation, depth: number): Promise<Uint8Array> {
  const multiple = 2 ** depth;
  const padW = Math.ceil(image.width / multiple) * multiple;
  const padH = Math.ceil(image.height / multiple) * multiple;
  const input = normalisedImage(image, norm, padW, padH);
  const ch = image.channels;
  const tileW = Math.min(padW, MAX_TILE);
  const tileH = Math.min(padH, MAX_TILE);
  const padded = new Uint8Array(padW * padH);
  for (const y0 of tileStarts(padH, tileH)) {
    for (const x0 of tileStarts(padW, tileW)) {
      const tile = tileW === padW && tileH === padH ? input : cropHWC(input, padW, ch, x0, y0, tileW, tileH);
      const pred = await predict(tile, 1, tileH, tileW);
      for (let y = 0; y < tileH; y++) padded.set(pred.subarray(y * tileW, (y + 1) * tileW), (y0 + y) * padW + x0);
    }
  }
  const out = new Uint8Array(image.width * image.height);
  for (let y = 0; y < image.height; y++) out.set(padded.subarray(y * padW, y * padW + image.width), y * image.width);
  return out;
}

/** Tile origins covering [0, size) with tiles of `tile` (multiple of 2^depth since size is). */
export function tileStarts(size: number, tile: number): number[] {
  const starts: number[] = [];
  for (let s = 0; s + tile < size; s += tile) starts.push(s);
  starts.push(size - tile);
  return starts;
}

function cropHWC(data: Float32Array, width: number, ch: number, x0: number, y0: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h * ch);
  for (let y = 0; y < h; y++) out.set(data.subarray(((y0 + y) * width + x0) * ch, ((y0 + y) * width + x0 + w) * ch), y * w * ch);
  return out;
}
