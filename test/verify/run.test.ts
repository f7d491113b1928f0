import { describe, expect, it } from 'vitest';
import type { TrainingEvent } from '../../src/contracts/events.js';
import type { LossSpec } from '../../src/contracts/losses.js';
import { DEFAULT_RUN_SETTINGS, paceMessage, runOnData, type RunSettings, type VerifyData } from '../../src/verify/run.js';
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
/**
 * With `time`, every step and prediction also advances a fake clock (no real waiting): a step
 * takes time.stepSeconds(n, loss) seconds, n counting every step this trainer ran (calibration
 * included), and a prediction 1 ms.
 */
interface ScriptedLog { crops: Map<string, string[]>; lrs: Map<string, number[]>; created: TrainerOptions[]; disposed?: number }
interface FakeTime { now: number; stepSeconds: (n: number, loss: string) => number }
function scriptedTrainer(log: ScriptedLog, time?: FakeTime) {
  // raw grey levels are 30-50 / 110-130 / 190-210 per class: threshold at 80 and 160, normalised
  // with the statistics of all images (close to the train statistics the run uses)
  const norm = channelStatistics(syntheticData().images);
  const [t1, t2] = [80, 160].map((v) => (v - norm.mean[0]) / norm.std[0]);
  return async (options: TrainerOptions): Promise<Trainer> => {
    log.created.push(options);
    let current: LossSpec = options.loss;
    let step = 0;
    let stepsRun = 0;
    return {
      backend: { name: 'cpu', detail: 'scripted', threads: 1, skipped: [] },
      parameterCount: 1234,
      async trainStep(batch, lr) {
        const key = current.name;
        if (!log.crops.has(key)) log.crops.set(key, []);
        if (!log.lrs.has(key)) log.lrs.set(key, []);
        log.crops.get(key)!.push(Buffer.from(batch.labels.buffer).toString('base64').slice(0, 200) + batch.images[17]);
        log.lrs.get(key)!.push(lr);
        if (time) time.now += time.stepSeconds(stepsRun, current.name);
        stepsRun++;
        step++;
        if (current.name === 'dice' && step === 6) return Number.NaN;
        return 1 / (1 + step);
      },
      async predict(images, n, height, width) {
        if (time) time.now += 0.001;
        const out = new Uint8Array(n * height * width);
        for (let i = 0; i < out.length; i++) out[i] = images[i] > t2 ? 2 : images[i] > t1 ? 1 : 0;
        return out;
      },
      async reset(loss) {
        current = loss;
        step = 0;
      },
      async dispose() {
        log.disposed = (log.disposed ?? 0) + 1;
      },
    };
  };
}

const newLog = (): ScriptedLog => ({ crops: new Map(), lrs: new Map(), created: [], disposed: 0 });

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
    expect(log.created[0].model).toMatchObject({ numClasses: 3, inputChannels: 1, depth: 3, baseWidth: 8, seed: 0 });
    // The head bias starts at the training class shares (floored, renormalised).
    const priors = log.created[0].model.classPriors!;
    expect(priors).toHaveLength(3);
    expect(priors.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(Math.min(...priors)).toBeGreaterThan(0);
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

  it('hears a Ctrl-C that arrives as an event-loop task while a single-thread trainer never yields', async () => {
    // A signal handler runs as a macrotask. With --threads 1 the engine trains on the main thread
    // and its steps resolve as microtasks only, so the loop must yield or SIGINT is never heard.
    const controller = new AbortController();
    const log = newLog();
    let scheduled = false;
    const report = await runOnData(syntheticData(), recommendationFor(satelliteRecipe(), 3), { ...DEFAULT_RUN_SETTINGS, candidates: ['recommended', 'ce'], steps: 50, cropSize: 16, batchSize: 2 }, {
      createTrainer: scriptedTrainer(log),
      onEvent: (e) => {
        if (e.kind === 'step' && !scheduled) {
          scheduled = true;
          setImmediate(() => controller.abort());
        }
      },
      signal: controller.signal,
    });
    expect(report.interrupted).toBe(true);
    expect(report.candidates[0].status).toBe('interrupted');
    expect(report.candidates[0].stepsDone).toBeLessThan(5);
  });

  it('stops before training when no image can be held out for validation', async () => {
    // One or two usable pairs (the rest skipped as corrupt) trained every candidate and reported
    // n/a everywhere with exit 0: nothing could ever be scored.
    const data = syntheticData();
    for (const images of [data.images.slice(0, 1), [data.images[0], data.images[1]].map((im, k) => ({ ...im, labels: im.labels.map((v) => (v === 0 ? 0 : k + 1)) }))]) {
      const log = newLog();
      const run = runOnData({ ...data, images }, recommendationFor(satelliteRecipe(), 3), { ...DEFAULT_RUN_SETTINGS, candidates: ['recommended', 'ce'], steps: 3, cropSize: 16, batchSize: 2 }, {
        createTrainer: scriptedTrainer(log),
        onEvent: () => {},
      });
      await expect(run).rejects.toThrow(/no image can be held out for validation/);
      await expect(run).rejects.toMatchObject({ exitCode: 2, fix: expect.stringMatching(/more images/) });
      expect(log.created).toHaveLength(0);
    }
  });

  it('says which model could not be built when the trainer cannot start', async () => {
    // --model-width 1000000 ended with a bare "Invalid typed array length: 1899000121000006" (exit 1)
    const run = runOnData(syntheticData(), recommendationFor(satelliteRecipe(), 3), { ...DEFAULT_RUN_SETTINGS, candidates: ['recommended', 'ce'], steps: 2, cropSize: 16, batchSize: 2, model: { depth: 3, baseWidth: 1_000_000 } }, {
      createTrainer: async () => {
        throw new RangeError('Invalid typed array length: 1899000121000006');
      },
      onEvent: () => {},
    });
    await expect(run).rejects.toThrow(/could not start training a U-Net of depth 3, width 1000000 .*Invalid typed array length/);
    await expect(run).rejects.toMatchObject({ exitCode: 1, fix: expect.stringMatching(/--model-width/) });
  });

  it('keeps the results when an overlay cannot be written', async () => {
    // A failed overlay write (disk full, a file where the overlays folder should be) threw out of
    // the run after training: no report, no verification.json.
    const events: TrainingEvent[] = [];
    const report = await runOnData(syntheticData(), recommendationFor(satelliteRecipe(), 3), { ...DEFAULT_RUN_SETTINGS, candidates: ['recommended', 'ce'], steps: 3, cropSize: 16, batchSize: 2 }, {
      createTrainer: scriptedTrainer(newLog()),
      onEvent: (e) => events.push(e),
      onPredictions: async () => {
        throw new Error("ENOSPC: no space left on device, open 'out/overlays/ce/img1.png'");
      },
    });
    expect(report.candidates.map((c) => c.status)).toEqual(['ok', 'ok']);
    expect(report.candidates.every((c) => c.metrics !== null && c.overlays.length === 0)).toBe(true);
    expect(report.notes).toContainEqual(expect.stringMatching(/recommended: overlays not written: ENOSPC/));
    expect(events).toContainEqual(expect.objectContaining({ kind: 'message', text: expect.stringMatching(/overlays not written/) }));
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

describe('time budget (fake clock: no real waiting)', () => {
  const budgetRun = (time: FakeTime, over: Partial<RunSettings>, log = newLog(), events: TrainingEvent[] = []) =>
    runOnData(syntheticData(), recommendationFor(satelliteRecipe(), 3), { ...DEFAULT_RUN_SETTINGS, candidates: ['recommended', 'ce', 'focal'], cropSize: 16, batchSize: 2, ...over }, {
      createTrainer: scriptedTrainer(log, time),
      onEvent: (e) => events.push(e),
      clock: () => time.now,
    });
  const messages = (events: TrainingEvent[]) => events.flatMap((e) => (e.kind === 'message' ? [e.text] : []));

  it('turns the budget into an equal step count per candidate that fits in it', async () => {
    const time: FakeTime = { now: 1000, stepSeconds: () => 0.02 };
    const events: TrainingEvent[] = [];
    const report = await budgetRun(time, { candidates: ['recommended', 'ce'], budgetSeconds: 3 }, newLog(), events);
    // 2 slices of 1.5 s, 85% for training at 20 ms a step, minus the evaluation estimate
    expect(report.settings.steps).toBeGreaterThanOrEqual(55);
    expect(report.settings.steps).toBeLessThanOrEqual(63);
    expect(report.settings.budgetSeconds).toBe(3);
    expect(report.settings.timeLimitSeconds).toBe(13); // 1.25 x 3 s is under the 10 s floor
    expect(report.candidates.every((c) => c.status === 'ok' && c.stepsDone === report.settings.steps)).toBe(true);
    expect(time.now - 1000).toBeLessThanOrEqual(3);
    // the pace matched the calibration: no warning
    expect(messages(events).filter((m) => m.startsWith('time budget:'))).toEqual([]);
  });

  it('refuses a budget too small for 10 steps, saying what would do', async () => {
    const time: FakeTime = { now: 0, stepSeconds: () => 0.02 };
    await expect(budgetRun(time, { budgetSeconds: 0.2 })).rejects.toThrow(/leaves \d+ training steps per candidate/);
  });

  it('stops at the hard stop when the machine slows down after calibration, evaluates what trained and warns after the first candidate', async () => {
    // 0.1 s a step while calibrating, then 3x slower (another process took the CPU)
    const time: FakeTime = { now: 1000, stepSeconds: (n) => (n < 8 ? 0.1 : 0.3) };
    const log = newLog();
    const events: TrainingEvent[] = [];
    const report = await budgetRun(time, { budgetSeconds: 100 }, log, events);
    const n = report.settings.steps!;
    expect(n).toBeGreaterThan(250);
    expect(report.settings.timeLimitSeconds).toBe(125);
    // the run ended by the hard stop (the clock starts with the calibration, at t = 1000)
    expect(time.now - 1000).toBeLessThanOrEqual(125);
    // every candidate is kept, stopped early with fewer than N steps, and still evaluated
    expect(report.candidates.map((c) => c.id)).toEqual(['recommended', 'ce', 'focal']);
    for (const c of report.candidates) {
      expect(c.status).toBe('stopped');
      expect(c.stepsDone).toBeGreaterThan(100);
      expect(c.stepsDone).toBeLessThan(n);
      expect(c.statusDetail).toBe(`stopped at the time budget after ${c.stepsDone} of ${n} steps`);
      expect(c.metrics).not.toBeNull();
    }
    // no slice ate another's time: their steps are within a few of each other
    const steps = report.candidates.map((c) => c.stepsDone);
    expect(Math.max(...steps) - Math.min(...steps)).toBeLessThanOrEqual(5);
    // after the first candidate: a message that the run will reach the hard stop
    const firstEnd = events.findIndex((e) => e.kind === 'candidate-end');
    const secondStart = events.findIndex((e, i) => i > firstEnd && e.kind === 'candidate-start');
    const warning = events.slice(firstEnd, secondStart).find((e) => e.kind === 'message');
    expect(warning).toMatchObject({ kind: 'message', text: expect.stringMatching(/3\.0x slower .* past the hard stop at 2m5s: candidates will be stopped/) });
    expect(report.notes).toContain((warning as { text: string }).text);
    // the live events say so too
    expect(events.filter((e) => e.kind === 'candidate-end').map((e) => (e as { status: string }).status)).toEqual(['stopped', 'stopped', 'stopped']);
    // a clean end: not interrupted, the trainer disposed, and the verdict says the comparison is unequal
    expect(report.interrupted).toBe(false);
    expect(log.disposed).toBe(1);
    expect(report.verdict.details.some((d) => d.startsWith('Unequal comparison'))).toBe(true);
  });

  it('gives one slow candidate only its own share: the ones after it still train all N steps', async () => {
    // the plain-CE candidate is 5x slower than the others (calibration, also CE, ran at full speed)
    const time: FakeTime = { now: 0, stepSeconds: (n, loss) => (n >= 8 && loss === 'ce' ? 0.5 : 0.1) };
    const events: TrainingEvent[] = [];
    const report = await budgetRun(time, { budgetSeconds: 100 }, newLog(), events);
    const n = report.settings.steps!;
    const [rec, ce, focal] = report.candidates;
    expect(rec).toMatchObject({ status: 'ok', stepsDone: n });
    expect(ce.status).toBe('stopped');
    expect(ce.stepsDone).toBeGreaterThan(50);
    expect(ce.stepsDone).toBeLessThan(n);
    expect(ce.metrics).not.toBeNull();
    expect(focal).toMatchObject({ status: 'ok', stepsDone: n });
    expect(time.now).toBeLessThanOrEqual(125);
    // the verdict does not compare the stopped candidate as an equal, and says so
    expect(report.verdict.details).toContain(`${ce.label}: stopped at the time budget after ${ce.stepsDone} of ${n} steps`);
    expect(report.verdict.details.find((d) => d.startsWith('Unequal comparison'))).toContain(ce.label);
    // the first candidate ran as calibrated: no pace warning
    expect(messages(events).filter((m) => m.startsWith('time budget:'))).toEqual([]);
  });

  it('past the hard stop, lists the runs left as not started and never creates the next seed\'s trainer', async () => {
    // the CE candidate's first step hangs for 200 s (well past the 125 s hard stop)
    const time: FakeTime = { now: 0, stepSeconds: (n, loss) => (n >= 8 && loss === 'ce' ? 200 : 0.1) };
    const log = newLog();
    const events: TrainingEvent[] = [];
    const report = await budgetRun(time, { candidates: ['recommended', 'ce'], seeds: 2, seed: 5, budgetSeconds: 100 }, log, events);
    const n = report.settings.steps!;
    expect(log.created.map((o) => o.model.seed)).toEqual([5]);
    expect(log.disposed).toBe(1);
    const [rec, ce] = report.candidates;
    // seed 5: the recommended recipe trained all N steps; CE was stopped after its one long step and still evaluated
    expect(rec.stepsDone).toBe(n);
    expect(rec.metrics).not.toBeNull();
    expect(ce.stepsDone).toBe(1);
    // Two seeds: the detail names the seed it comes from.
    expect(ce.statusDetail).toBe(`seed 5: stopped at the time budget after 1 of ${n} steps`);
    expect(ce.metrics).not.toBeNull();
    // seed 6: both listed (status stopped), never dropped
    expect(rec.status).toBe('stopped');
    expect(rec.statusDetail).toMatch(/^seed 6: not started: no time was left before the hard stop at 2m5s/);
    const seed6 = events.filter((e) => e.kind === 'candidate-end' && e.candidateId.endsWith('#6'));
    expect(seed6).toEqual([
      { kind: 'candidate-end', candidateId: 'recommended#6', status: 'stopped', detail: expect.stringMatching(/^not started/) },
      { kind: 'candidate-end', candidateId: 'ce#6', status: 'stopped', detail: expect.stringMatching(/^not started/) },
    ]);
    expect(events.some((e) => e.kind === 'candidate-start' && e.candidateId === 'ce#6')).toBe(true);
    // no candidate finished every seed: nothing to compare (the sentence for this is in verdict.test.ts)
    expect(report.verdict.outcome).toBe('inconclusive');
    expect(report.verdict.details).toContain(`${rec.label}: ${rec.statusDetail}`);
    expect(report.interrupted).toBe(false);
  });

  it('--steps N has no deadline: a slow machine only takes longer', async () => {
    const time: FakeTime = { now: 0, stepSeconds: () => 100 };
    const events: TrainingEvent[] = [];
    const report = await budgetRun(time, { steps: 12, budgetSeconds: 1 }, newLog(), events);
    expect(report.candidates.map((c) => [c.status, c.stepsDone])).toEqual([['ok', 12], ['ok', 12], ['ok', 12]]);
    expect(report.settings).toMatchObject({ steps: 12, budgetSeconds: null });
    expect(report.settings.timeLimitSeconds).toBeUndefined();
    expect(time.now).toBeCloseTo(3 * 12 * 100 + 0.001 * 3 * report.settings.valImages, 6);
    expect(messages(events).some((m) => /budget|hard stop/.test(m))).toBe(false);
  });
});

describe('paceMessage', () => {
  const base = { estimate: 0.1, budgetSeconds: 300, timeLimit: 375, steps: 200 };
  it('says nothing when the first candidate ran about as timed', () => {
    expect(paceMessage({ ...base, secondsPerStep: 0.11, projectedSeconds: 290 })).toBeNull();
  });
  it('warns that the budget will be exceeded, or the hard stop reached, keeping N', () => {
    expect(paceMessage({ ...base, secondsPerStep: 0.13, projectedSeconds: 340 })).toMatch(/1\.3x slower .* about 5m40s, over the 5m budget but inside the hard stop at 6m15s \(the step count stays 200/);
    expect(paceMessage({ ...base, secondsPerStep: 0.2, projectedSeconds: 500 })).toMatch(/2\.0x slower .* past the hard stop at 6m15s: candidates will be stopped at their share of the time with fewer than 200 steps/);
  });
  it('notes a much faster pace', () => {
    expect(paceMessage({ ...base, secondsPerStep: 0.05, projectedSeconds: 150 })).toMatch(/2\.0x faster .* about 2m30s of the 5m budget/);
  });
});
