/**
 * Verify's torch results must not move when the runner gets faster: the losses of every step and
 * the validation predictions of a tiny fixed run (three recipes that exercise class weights,
 * gradient clipping, a progress-taking loss, AdamW, Adam and Nesterov SGD; 3-channel crops with
 * flips; rounds of uneven length) are compared with what the runner gave before issue 19's
 * rewrite (fixtures/torch-reproducible.json, recorded from commit 8baeb0f's runner by running this
 * file with SEGLOSS_RECORD_TORCH=1).
 *
 * Compared exactly: on the CPU, with one thread, the runner runs the same float32 operations in
 * the same order as before (crops are the same table look-ups, the loss module and optimiser are
 * the user's), so any difference at all means the arithmetic changed, not noise.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTorchEngine } from '../../src/engine/torch/engine.js';
import { findTorchPython, type FoundPython } from '../../src/engine/torch/python.js';
import type { EngineImage, RunSpec, StepPlan, TrainingData } from '../../src/engine/types.js';
import type { Recipe } from '../../src/contracts/recommendation.js';
import { createCropPlanner } from '../../src/verify/data.js';
import { createRng } from '../../src/verify/random.js';
import { satelliteRecipe } from '../verify/fixtures.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/torch-reproducible.json', import.meta.url));
const RECORD = process.env.SEGLOSS_RECORD_TORCH === '1';

let found: FoundPython | null = null;
try {
  found = await findTorchPython();
} catch (error) {
  process.stderr.write(`torch reproducibility test skipped: ${(error as Error).message}\n`);
}

function image(rng: ReturnType<typeof createRng>, k: number, width: number, height: number): EngineImage {
  const labels = new Uint8Array(width * height);
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < labels.length; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    labels[i] = (x - 10 - k) ** 2 + (y - 12) ** 2 < 40 ? 2 : x > 14 + k && y > 8 ? 1 : (x + 2 * y) % 31 === 0 ? 255 : 0;
    for (let c = 0; c < 3; c++) pixels[i * 3 + c] = Math.min(255, 30 + labels[i] * 60 + rng.int(70) + 5 * c);
  }
  return { id: `i${k}`, width, height, channels: 3, pixels, labels };
}

function data(): TrainingData {
  const rng = createRng(17);
  return {
    train: [image(rng, 0, 32, 32), image(rng, 1, 40, 34), image(rng, 2, 36, 32)],
    val: [image(rng, 3, 32, 32), image(rng, 4, 24, 28)],
    normalisation: { mean: [120, 110, 100], std: [70, 66.5, 61.25] },
    numClasses: 3,
    ignoreIndex: 255,
  };
}

const weights = { values: [0.5, 1, 2], method: 'article' as const, formula: 'test' };
const recipes: Recipe[] = [
  satelliteRecipe({ classWeights: weights }), // combo, class-weighted CE, AdamW, clip 1
  satelliteRecipe({ id: 'ce', loss: { name: 'ce', params: {} }, classWeights: null, optimizer: { name: 'adam', lr: 3e-3, weightDecay: 0, momentum: null, nesterov: false }, gradientClipNorm: null }),
  satelliteRecipe({ id: 'dice-boundary', loss: { name: 'dice_boundary', params: {} }, classWeights: null, optimizer: { name: 'sgd', lr: 1e-2, weightDecay: 1e-4, momentum: 0.9, nesterov: true }, gradientClipNorm: 0.5 }),
];

function plan(training: TrainingData, seed: number, count: number): StepPlan[] {
  const planner = createCropPlanner(training.train, { cropSize: 16, batchSize: 4, rareClassOversampling: 0.3, rareClasses: [2], numClasses: 3, flips: true, seed });
  return Array.from({ length: count }, (_, i) => ({ batch: planner.nextBatchPlan(), learningRate: 2e-3 * (1 - i / count), progress: i / count }));
}

interface Recorded { losses: number[]; predictions: string }

(found ? describe : describe.skip)('torch engine: same seeds, same losses as before the runner changed', () => {
  // The engine's cache folder in a private temp folder: torch-engine.test.ts checks that a crash leaves no segloss-torch-* folder in the shared one.
  const saved = process.env.TMPDIR;
  let privateTmp = '';
  beforeAll(() => {
    privateTmp = mkdtempSync(join(tmpdir(), 'segloss-repro-'));
    process.env.TMPDIR = privateTmp;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(privateTmp, { recursive: true, force: true });
  });
  it('losses per step and val predictions equal the recorded ones', async () => {
    const training = data();
    const model = { numClasses: 3, inputChannels: 3, depth: 2, baseWidth: 4, classPriors: [0.6, 0.3, 0.1] };
    const engine = await createTorchEngine({ backend: 'torch', model, data: training, threads: 1, torch: { found: found!, devices: ['cpu'] } });
    const got: Record<string, Recorded> = {};
    try {
      for (const [k, recipe] of recipes.entries()) {
        const spec: RunSpec = { id: recipe.id, seed: 3 + k, recipe, loss: recipe.loss, lossContext: { numClasses: 3, ignoreIndex: 255, classWeights: recipe.classWeights?.values ?? null, scaleAware: null } };
        const run = await engine.createRun(spec);
        const steps = plan(training, 40 + k, 12);
        const losses: number[] = [];
        for (const [from, to] of [[0, 5], [5, 6], [6, 12]]) losses.push(...(await run.train(steps.slice(from, to))));
        const predictions = await run.predictValidation();
        const hash = createHash('sha256');
        for (const p of predictions) hash.update(p);
        got[recipe.id] = { losses, predictions: hash.digest('hex') };
        await run.dispose();
      }
    } finally {
      await engine.dispose();
    }
    if (RECORD) writeFileSync(FIXTURE, `${JSON.stringify(got, null, 1)}\n`);
    expect(existsSync(FIXTURE)).toBe(true);
    const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Recorded>;
    for (const recipe of recipes) {
      expect(got[recipe.id].losses.every(Number.isFinite)).toBe(true);
      expect(got[recipe.id].losses).toHaveLength(12);
    }
    expect(got).toEqual(recorded);
  }, 120_000);
});
