/**
 * The Engine contract on the tfjs engine (wasm, two data-parallel workers): runs are isolated
 * (interleaving two runs with different losses gives each the numbers it gets alone), the same
 * seed and plan give the same losses and predictions, a bad loss fails its run at creation, an
 * aborted signal stops between steps, and the training progress reaches the loss.
 */
import { describe, expect, it } from 'vitest';
import { createTfjsEngine } from '../../src/engine/tfjs-engine.js';
import type { Engine, RunSpec, StepPlan, TrainingData } from '../../src/engine/types.js';
import { createCropPlanner } from '../../src/verify/data.js';
import { createRng } from '../../src/verify/random.js';
import { satelliteRecipe } from '../verify/fixtures.js';

function data(): TrainingData {
  const rng = createRng(5);
  const image = (k: number) => {
    const width = 32;
    const height = 32;
    const labels = new Uint8Array(width * height);
    const pixels = new Uint8Array(width * height);
    for (let i = 0; i < labels.length; i++) {
      const x = i % width;
      const y = Math.floor(i / width);
      labels[i] = x > 8 + k && y > 10 ? 1 : 0;
      pixels[i] = labels[i] ? 200 - rng.int(40) : 40 + rng.int(40);
    }
    return { id: `i${k}`, width, height, channels: 1, pixels, labels };
  };
  return { train: [image(0), image(1), image(2)], val: [image(3)], normalisation: { mean: [110], std: [70] }, numClasses: 2, ignoreIndex: 255 };
}

const recipe = satelliteRecipe({ optimizer: { name: 'adam', lr: 3e-3, weightDecay: 0, momentum: null, nesterov: false } });
const spec = (id: string, seed: number, loss: RunSpec['loss']): RunSpec => ({
  id, seed, recipe, loss, lossContext: { numClasses: 2, ignoreIndex: 255, classWeights: null, scaleAware: null },
});

function plan(seed: number, count: number, training: TrainingData): StepPlan[] {
  const planner = createCropPlanner(training.train, { cropSize: 16, batchSize: 4, rareClassOversampling: 0, rareClasses: [], numClasses: 2, flips: true, seed });
  return Array.from({ length: count }, (_, i) => ({ batch: planner.nextBatchPlan(), learningRate: 3e-3, progress: i / count }));
}

async function withEngine<T>(work: (engine: Engine, training: TrainingData) => Promise<T>): Promise<T> {
  const training = data();
  const engine = await createTfjsEngine({ backend: 'wasm', threads: 2, model: { numClasses: 2, inputChannels: 1, depth: 2, baseWidth: 4, classPriors: null }, data: training });
  try {
    return await work(engine, training);
  } finally {
    await engine.dispose();
  }
}

describe('tfjs engine: many runs, crops as plans', () => {
  it('interleaved runs with different losses each get what they get alone; same seed, same numbers', async () => {
    const alone = await withEngine(async (engine, training) => {
      const dice = await engine.createRun(spec('dice', 1, { name: 'dice', params: {} }));
      const losses = await dice.train(plan(9, 6, training));
      return { losses, predictions: await dice.predictValidation() };
    });
    const interleaved = await withEngine(async (engine, training) => {
      const dice = await engine.createRun(spec('dice', 1, { name: 'dice', params: {} }));
      const ce = await engine.createRun(spec('ce', 1, { name: 'ce', params: {} }));
      const steps = plan(9, 6, training);
      const losses: number[] = [];
      for (let round = 0; round < 3; round++) {
        losses.push(...(await dice.train(steps.slice(round * 2, round * 2 + 2))));
        await ce.train(steps.slice(round * 2, round * 2 + 2));
      }
      return { losses, predictions: await dice.predictValidation() };
    });
    expect(interleaved.losses).toEqual(alone.losses);
    expect(interleaved.predictions).toEqual(alone.predictions);
    expect(alone.predictions[0]).toHaveLength(32 * 32);
    expect(alone.losses.every(Number.isFinite)).toBe(true);
    expect(alone.losses[5]).toBeLessThan(alone.losses[0]);
  });

  it('runs with different seeds start from different weights; a bad loss fails at createRun', async () => {
    await withEngine(async (engine, training) => {
      const steps = plan(2, 1, training);
      const a = await (await engine.createRun(spec('a', 1, { name: 'ce', params: {} }))).train(steps);
      const b = await (await engine.createRun(spec('b', 2, { name: 'ce', params: {} }))).train(steps);
      expect(a[0]).not.toBe(b[0]);
      await expect(engine.createRun(spec('bad', 1, { name: 'focal', params: { gamma: -1 } }))).rejects.toThrow(/gamma/);
    });
  });

  it('stops between steps when the signal aborts, returning the losses of the steps done', async () => {
    await withEngine(async (engine, training) => {
      const run = await engine.createRun(spec('ce', 1, { name: 'ce', params: {} }));
      const controller = new AbortController();
      controller.abort();
      expect(await run.train(plan(3, 4, training), controller.signal)).toEqual([]);
    });
  });

  it('passes each step\'s progress to the loss, through the data-parallel workers', async () => {
    const training = data();
    const moduleUrl = new URL('./fixtures/progress-loss.ts', import.meta.url).href;
    const engine = await createTfjsEngine({ backend: 'wasm', threads: 2, lossModule: moduleUrl, model: { numClasses: 2, inputChannels: 1, depth: 2, baseWidth: 4, classPriors: null }, data: training });
    try {
      const run = await engine.createRun(spec('p', 1, { name: 'ce', params: {} }));
      const steps = plan(4, 3, training).map((s, i) => ({ ...s, progress: [0.25, 0.5, 1][i] }));
      expect(await run.train(steps)).toEqual([0.25, 0.5, 1]);
    } finally {
      await engine.dispose();
    }
  });
});
