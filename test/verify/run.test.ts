import { describe, expect, it } from 'vitest';
import type { TrainingEvent } from '../../src/contracts/events.js';
import type { LossSpec } from '../../src/contracts/losses.js';
import { DEFAULT_RUN_SETTINGS, runOnData, type VerifyData } from '../../src/verify/run.js';
import type { Trainer, TrainerOptions } from '../../src/verify/trainer.js';
import { createRng } from '../../src/verify/random.js';
import { channelStatistics } from '../../src/verify/data.js';
import { recommendationFor, satelliteRecipe } from './fixtures.js';

/** 12 small 3-class images: class 1 a block, class 2 a 3x3 speck in a third of them. */
function syntheticData(): VerifyData {
  const rng = createRng(11);
  const images = Array.from({ length: 12 }, (_, k) => {
    const width = 40;
    const height = 32;
    const labels = new Uint8Array(width * height);
    const pixels = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let c = x > 10 + k && x < 25 && y > 5 && y < 20 ? 1 : 0;
        if (k % 3 === 0 && x >= 30 && x < 33 && y >= 25 && y < 28) c = 2;
        labels[y * width + x] = c;
        pixels[y * width + x] = 30 + c * 80 + rng.int(20);
      }
    }
    return { id: `img${k}`, width, height, channels: 1, pixels, labels };
  });
  return { images, numClasses: 3, classNames: ['background', 'block', 'speck'], ignoreIndex: 255, notes: [] };
}

/**
 * A scripted trainer: the loss falls as 1/(1+step); a Dice loss returns NaN at step 6 (to test
 * divergence); predictions threshold the normalised grey value (it "learned" the classes).
 * Records the label crops and learning rates it was given per candidate.
 */
function scriptedTrainer(log: { crops: Map<string, string[]>; lrs: Map<string, number[]>; created: TrainerOptions[] }) {
  // raw grey levels are 30-50 / 110-130 / 190-210 per class: threshold at 80 and 160, normalised
  // with the statistics of all images (close to the train statistics the run uses)
  const norm = channelStatistics(syntheticData().images);
  const [t1, t2] = [80, 160].map((v) => (v - norm.mean[0]) / norm.std[0]);
  return async (options: TrainerOptions): Promise<Trainer> => {
    log.created.push(options);
    let current: LossSpec = options.loss;
    let step = 0;
    return {
      backend: { name: 'cpu', detail: 'scripted', threads: 1, skipped: [] },
      parameterCount: 1234,
      async trainStep(batch, lr) {
        const key = current.name;
        if (!log.crops.has(key)) log.crops.set(key, []);
        if (!log.lrs.has(key)) log.lrs.set(key, []);
        log.crops.get(key)!.push(Buffer.from(batch.labels.buffer).toString('base64').slice(0, 200) + batch.images[17]);
        log.lrs.get(key)!.push(lr);
        step++;
        if (current.name === 'dice' && step === 6) return Number.NaN;
        return 1 / (1 + step);
      },
      async predict(images, n, height, width) {
        const out = new Uint8Array(n * height * width);
        for (let i = 0; i < out.length; i++) out[i] = images[i] > t2 ? 2 : images[i] > t1 ? 1 : 0;
        return out;
      },
      async reset(loss) {
        current = loss;
        step = 0;
      },
      async dispose() {},
    };
  };
}

describe('runOnData with a scripted trainer', () => {
  it('gives every candidate the same crops, honours the schedule, and isolates a diverged candidate', async () => {
    const log = { crops: new Map<string, string[]>(), lrs: new Map<string, number[]>(), created: [] as TrainerOptions[] };
    const events: TrainingEvent[] = [];
    const recipe = satelliteRecipe({ schedule: { name: 'cosine', warmupFraction: 0.2, power: null, minLrFactor: 0 } });
    const report = await runOnData(syntheticData(), recommendationFor(recipe, 3), { ...DEFAULT_RUN_SETTINGS, steps: 20, cropSize: 16, batchSize: 4 }, {
      createTrainer: scriptedTrainer(log),
      onEvent: (e) => events.push(e),
    });
    expect(report.candidates.map((c) => c.id)).toEqual(['recommended', 'ce', 'focal', 'dice']);
    // same crops in the same order for every candidate that ran the full 20 steps
    const ce = log.crops.get('ce')!;
    expect(ce).toHaveLength(20);
    expect(log.crops.get('focal')).toEqual(ce);
    expect(log.crops.get('combo')).toEqual(ce);
    expect(log.crops.get('dice')).toEqual(ce.slice(0, 6));
    // warm-up 4 steps to 1e-3 then cosine to 0
    const lrs = log.lrs.get('ce')!;
    expect(lrs[0]).toBeCloseTo(2.5e-4, 12);
    expect(lrs[3]).toBeCloseTo(1e-3, 12);
    expect(lrs[19]).toBeLessThan(1e-5);
    // the scripted Dice loss turns NaN at step 6
    const dice = report.candidates.find((c) => c.id === 'dice')!;
    expect(dice.status).toBe('diverged');
    expect(dice.statusDetail).toMatch(/NaN at step 6/);
    expect(dice.metrics).toBeNull();
    expect(dice.stepsDone).toBe(5);
    for (const c of report.candidates.filter((c) => c.id !== 'dice')) {
      expect(c.status).toBe('ok');
      expect(c.stepsDone).toBe(20);
      expect(c.metrics!.meanDice.value).toBeGreaterThan(0.95);
      expect(c.metrics!.stability).not.toBeNull();
    }
    // classes and the rarest class
    expect(report.settings.rarestClassId).toBe(2);
    expect(report.settings.trainImages + report.settings.valImages).toBe(12);
    expect(report.settings.valImages).toBeGreaterThanOrEqual(2);
    // one trainer for one seed, created with the recommended recipe and this model
    expect(log.created).toHaveLength(1);
    expect(log.created[0].model).toEqual({ numClasses: 3, inputChannels: 1, depth: 3, baseWidth: 8, seed: 0 });
    expect(log.created[0].loss).toEqual({ name: 'ce', params: {} });
    // events: start, 20 steps, end, evaluating per finished candidate
    const ceEvents = events.filter((e) => 'candidateId' in e && e.candidateId === 'ce');
    expect(ceEvents[0]).toMatchObject({ kind: 'candidate-start', totalSteps: 20 });
    expect(ceEvents.filter((e) => e.kind === 'step')).toHaveLength(20);
    expect(ceEvents.at(-2)).toMatchObject({ kind: 'evaluating' });
    expect(ceEvents.at(-1)).toMatchObject({ kind: 'candidate-end', status: 'ok' });
    const lastStep = ceEvents.filter((e) => e.kind === 'step').at(-1)!;
    expect(lastStep).toMatchObject({ step: 20, etaSeconds: 0 });
    expect(report.verdict.outcome).not.toBe('beaten');
  });

  it('stops at Ctrl-C, keeps finished candidates and marks the rest interrupted', async () => {
    const controller = new AbortController();
    const log = { crops: new Map<string, string[]>(), lrs: new Map<string, number[]>(), created: [] as TrainerOptions[] };
    const report = await runOnData(syntheticData(), recommendationFor(satelliteRecipe(), 3), { ...DEFAULT_RUN_SETTINGS, steps: 10, cropSize: 16, batchSize: 2 }, {
      createTrainer: scriptedTrainer(log),
      onEvent: (e) => {
        if (e.kind === 'step' && e.candidateId === 'ce' && e.step === 4) controller.abort();
      },
      signal: controller.signal,
    });
    expect(report.interrupted).toBe(true);
    expect(report.candidates.map((c) => c.status)).toEqual(['ok', 'interrupted', 'interrupted', 'interrupted']);
    expect(report.candidates[0].metrics).not.toBeNull();
    expect(report.candidates[1].stepsDone).toBe(4);
    expect(report.candidates[2].statusDetail).toMatch(/not started/);
    expect(report.verdict.details[0]).toMatch(/interrupted/);
  });

  it('runs K seeds and reports their spread', async () => {
    const log = { crops: new Map<string, string[]>(), lrs: new Map<string, number[]>(), created: [] as TrainerOptions[] };
    const report = await runOnData(syntheticData(), recommendationFor(satelliteRecipe(), 3), { ...DEFAULT_RUN_SETTINGS, candidates: ['recommended', 'ce'], steps: 6, seeds: 2, seed: 5, cropSize: 16, batchSize: 2 }, {
      createTrainer: scriptedTrainer(log),
      onEvent: () => {},
    });
    expect(log.created.map((o) => o.model.seed)).toEqual([5, 6]);
    expect(report.settings.seeds).toEqual([5, 6]);
    const spread = report.candidates[0].seedSpread!;
    expect(spread.meanDice.std).toBe(0); // the scripted predictions do not depend on the seed
    expect(spread.meanDice.mean).toBeCloseTo(report.candidates[0].metrics!.meanDice.value, 12);
  });
});

describe('time budget', () => {
  const sleepyTrainer = (msPerStep: number) => async (): Promise<Trainer> => ({
    backend: { name: 'cpu', detail: 'scripted', threads: 1, skipped: [] },
    parameterCount: 1,
    async trainStep() {
      await new Promise((r) => setTimeout(r, msPerStep));
      return 0.5;
    },
    async predict(_images, n, h, w) {
      return new Uint8Array(n * h * w);
    },
    async reset() {},
    async dispose() {},
  });

  it('turns the budget into an equal step count per candidate that fits in it', async () => {
    const started = performance.now();
    const report = await runOnData(syntheticData(), recommendationFor(satelliteRecipe(), 3), { ...DEFAULT_RUN_SETTINGS, candidates: ['recommended', 'ce'], budgetSeconds: 3, cropSize: 16, batchSize: 2 }, {
      createTrainer: sleepyTrainer(20),
      onEvent: () => {},
    });
    const wall = (performance.now() - started) / 1000;
    // 2 slices of 1.5 s, 85% for training at >= 20 ms a step: at most 64 steps each (fewer when
    // timers run late on a loaded machine; the calibration measures real time)
    expect(report.settings.steps).toBeGreaterThanOrEqual(10);
    expect(report.settings.steps).toBeLessThanOrEqual(64);
    expect(report.settings.budgetSeconds).toBe(3);
    expect(report.candidates.every((c) => c.stepsDone === report.settings.steps)).toBe(true);
    expect(wall).toBeLessThan(3 * 1.5);
  });

  it('refuses a budget too small for 10 steps, saying what would do', async () => {
    await expect(
      runOnData(syntheticData(), recommendationFor(satelliteRecipe(), 3), { ...DEFAULT_RUN_SETTINGS, budgetSeconds: 0.2, cropSize: 16, batchSize: 2 }, { createTrainer: sleepyTrainer(20), onEvent: () => {} }),
    ).rejects.toThrow(/leaves \d+ training steps per candidate/);
  });
});
