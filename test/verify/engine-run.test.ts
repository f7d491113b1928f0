/**
 * The verification run on the real training engines (wasm backend; torch when a Python with torch
 * is found), tiny U-Net, synthetic data, candidates in lockstep: every candidate learns something
 * and the same seed gives the same numbers twice.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, findTorchPython } from '../../src/engine/index.js';
import { DEFAULT_RUN_SETTINGS, runOnData, type RunSettings, type VerifyData } from '../../src/verify/run.js';
import { createRng } from '../../src/verify/random.js';
import { headline, scoreImage } from '../../src/verify/scores.js';
import { splitByImage } from '../../src/verify/split.js';
import { classPixelCounts } from '../../src/verify/data.js';
import { deriveSeed } from '../../src/verify/random.js';
import { recommendationFor, satelliteRecipe } from './fixtures.js';

/** 15 grey 48x48 images: a bright rectangle (class 1) and, in every third, a small bright dot (class 2). */
function blocks(): VerifyData {
  const rng = createRng(21);
  const images = Array.from({ length: 15 }, (_, k) => {
    const width = 48;
    const height = 48;
    const x0 = rng.int(20);
    const y0 = rng.int(20);
    const labels = new Uint8Array(width * height);
    const pixels = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let c = x >= x0 && x < x0 + 20 && y >= y0 && y < y0 + 16 ? 1 : 0;
        if (k % 3 === 0 && x >= 40 && x < 44 && y >= 40 && y < 44) c = 2;
        labels[y * width + x] = c;
        pixels[y * width + x] = [40, 140, 230][c] + rng.int(30);
      }
    }
    return { id: `b${k}`, width, height, channels: 1, pixels, labels };
  });
  return { images, numClasses: 3, classNames: ['background', 'block', 'dot'], ignoreIndex: 255, notes: [] };
}

const settings: RunSettings = {
  ...DEFAULT_RUN_SETTINGS,
  candidates: ['recommended', 'ce', 'dice'],
  steps: 30,
  seeds: 1, // keeps the test short; lockstep still interleaves the three candidates' runs on one engine
  folds: 1, // one split, as above (the CLI test trains folds on the real engine)
  seed: 3,
  cropSize: 32,
  batchSize: 4,
  backend: 'wasm',
  threads: 2, // the default data-parallel path: reproducibility must hold there too
  model: { depth: 2, baseWidth: 8 },
};
const recipe = satelliteRecipe({ optimizer: { name: 'adam', lr: 3e-3, weightDecay: 0, momentum: null, nesterov: false }, rareClassOversampling: 0.5 });

describe('verification on the real engine', () => {
  it('every candidate beats the all-background baseline, and a rerun with the same seed gives the same metrics', async () => {
    const data = blocks();
    const run = () => runOnData(data, recommendationFor(recipe, 3), settings, { createEngine, onEvent: () => {} });
    const first = await run();
    const second = await run();

    const split = splitByImage(data.images.map((im) => classPixelCounts(im.labels, 3)), { valFraction: settings.valFraction, seed: deriveSeed(settings.seed, 'split') });
    const val = split.val.map((i) => data.images[i]);
    const background = val.map((im) => scoreImage(im.labels, new Uint8Array(im.labels.length), im.width, im.height, 3, 255));
    const baseline = headline(background, background.map((_, i) => i), 3, first.settings.rarestClassId).meanDice;

    expect(first.settings.allBackgroundMeanDice).toBeCloseTo(baseline, 12);
    expect(first.backend.name).toBe('wasm');
    expect(first.candidates.map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
    for (const c of first.candidates) expect(c.metrics!.meanDice.value).toBeGreaterThan(baseline + 0.05);
    expect(second.candidates.map((c) => c.metrics)).toEqual(first.candidates.map((c) => c.metrics));
    expect(second.candidates.map((c) => c.lossCurve)).toEqual(first.candidates.map((c) => c.lossCurve));
    expect(second.verdict).toEqual(first.verdict);
  });
});

const torchFound = await findTorchPython().then(() => true, () => false);

describe.skipIf(!torchFound)('verification on the torch engine (runs side by side in lockstep)', () => {
  it('two seeds, racing on: every run trains the same steps, and a rerun gives the same metrics', async () => {
    const data = blocks();
    const torchSettings: RunSettings = { ...settings, backend: 'torch', threads: 1, seeds: 2 };
    const run = () => runOnData(data, recommendationFor(recipe, 3), torchSettings, { createEngine, onEvent: () => {} });
    const first = await run();
    const second = await run();
    expect(first.backend.name).toBe('torch');
    // verification.json names how the torch backend trained (--precision, --deterministic).
    expect(first.backend.torch).toEqual({ precision: 'fp32', deterministic: true, dataOnDevice: true });
    for (const c of first.candidates) expect(c.status === 'eliminated' || c.stepsDone === 30).toBe(true);
    expect(second.candidates.map((c) => c.metrics?.meanDice)).toEqual(first.candidates.map((c) => c.metrics?.meanDice));
    expect(second.candidates.map((c) => c.curve)).toEqual(first.candidates.map((c) => c.curve));
  });
});
