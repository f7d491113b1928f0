import { describe, expect, it } from 'vitest';
import { predictImage, tileStarts, MAX_TILE, type PredictBatch } from '../../src/engine/predict.js';
import type { VerifyImage } from '../../src/verify/data.js';

/** "Predicts" class 1 where the normalised pixel is positive; records the tile shapes it saw. */
function thresholdPredict(shapes: Array<[number, number, number]>): PredictBatch {
  return async (images, n, height, width) => {
    shapes.push([n, height, width]);
    return Uint8Array.from({ length: n * height * width }, (_, i) => (images[i] > 0 ? 1 : 0));
  };
}

describe('val prediction', () => {
  it('tiles cover the padded image with the last tile flush to the edge', () => {
    expect(tileStarts(256, 256)).toEqual([0]);
    expect(tileStarts(304, 256)).toEqual([0, 48]);
    expect(tileStarts(600, 256)).toEqual([0, 256, 344]);
  });

  it('pads to 2^depth, tiles large images, and stitches the prediction back at full size', async () => {
    const width = 300;
    const height = 203;
    const pixels = Uint8Array.from({ length: width * height }, (_, i) => ((i % width) * 7 + Math.floor(i / width) * 3) % 256);
    const image: VerifyImage = { id: 'x', width, height, channels: 1, pixels, labels: new Uint8Array(width * height) };
    const shapes: Array<[number, number, number]> = [];
    const pred = await predictImage(thresholdPredict(shapes), image, { mean: [128], std: [50] }, 3);
    expect(pred).toHaveLength(width * height);
    expect(pred).toEqual(Uint8Array.from(pixels, (v) => (v > 128 ? 1 : 0)));
    // padded to 304 x 208: two tiles of 256 x 208 side by side
    expect(shapes).toEqual([[1, 208, MAX_TILE], [1, 208, MAX_TILE]]);
  });
});
