/**
 * RunSpec.validation (verify --folds): a run predicts only its fold's validation images, in the
 * order given, and each prediction is the one the run would give that image among all of them.
 */
import { describe, expect, it } from 'vitest';
import { createTfjsEngine } from '../../src/engine/tfjs-engine.js';
import type { RunSpec, TrainingData } from '../../src/engine/types.js';
import { createRng } from '../../src/verify/random.js';
import { satelliteRecipe } from '../verify/fixtures.js';

function data(): TrainingData {
  const rng = createRng(3);
  const image = (k: number, width: number, height: number) => {
    const labels = Uint8Array.from({ length: width * height }, (_, i) => ((i % width) > 6 + k ? 1 : 0));
    const pixels = Uint8Array.from(labels, (c) => (c ? 190 : 50) + rng.int(30));
    return { id: `v${k}`, width, height, channels: 1, pixels, labels };
  };
  const images = [image(0, 16, 16), image(1, 24, 16), image(2, 16, 20)];
  return { train: images, val: images, normalisation: { mean: [110], std: [70] }, numClasses: 2, ignoreIndex: 255 };
}

const spec = (id: string, validation?: number[]): RunSpec => ({
  id, seed: 4, recipe: satelliteRecipe(), loss: { name: 'ce', params: {} }, lossContext: { numClasses: 2, ignoreIndex: 255, classWeights: null, scaleAware: null },
  ...(validation ? { validation } : {}),
});

describe('a run scored on its fold (RunSpec.validation)', () => {
  it('tfjs: predicts the listed validation images only, in that order, as among all of them', async () => {
    const engine = await createTfjsEngine({ backend: 'cpu', threads: 1, model: { numClasses: 2, inputChannels: 1, depth: 2, baseWidth: 4, classPriors: null }, data: data() });
    try {
      const all = await (await engine.createRun(spec('all'))).predictValidation();
      const fold = await (await engine.createRun(spec('fold', [2, 0]))).predictValidation();
      expect(all.map((p) => p.length)).toEqual([256, 384, 320]);
      expect(fold).toEqual([all[2], all[0]]);
    } finally {
      await engine.dispose();
    }
  }, 60_000);
});
