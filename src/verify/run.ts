/**
 * The verification run on data already in memory: split, candidates, budget, training of every
 * candidate under every seed, evaluation, verdict. `runVerification` (index.ts) loads the data
 * and the recommendation and calls this.
 *
 * Budget mode (steps null) is fair first and bounded second. Fair: a few timed steps fix one step
 * count N for every candidate (same steps, same crops), and N never changes afterwards. Bounded:
 * the run has a hard stop at timeLimitFor(budget) (1.25 x budget, see budget.ts) from the start of
 * training, and each candidate x seed run gets a deadline for its own slice (sliceDeadline: an
 * equal share of the time left, minus its evaluation). A candidate that reaches its deadline stops
 * training, is still evaluated, and ends `stopped` ("stopped at the time budget after k of N
 * steps"); one with no time left is `stopped` with 0 steps ("not started ...") and is listed, never
 * dropped. The verdict does not count a difference that the shorter training could explain and says
 * the comparison is unequal. After the first candidate its measured pace is compared with the
 * estimate and a message says when the budget will be exceeded or the hard stop reached.
 * --steps N has no deadline at all.
 */
import { TOOL_INFO } from '../common/version.js';
import { UserError } from '../common/errors.js';
import type { TrainingEvent } from '../contracts/events.js';
import type { Recommendation } from '../contracts/recommendation.js';
import { VERIFICATION_SCHEMA_VERSION, type BackendName, type CandidateResult, type VerificationReport } from '../contracts/verification.js';
import { formatDuration, MIN_BUDGET_STEPS, sliceDeadline, stepsForBudget, systemClock, timeLimitFor, type BudgetPlan, type Clock } from './budget.js';
import { buildCandidates, type CandidatePlan } from './candidates.js';
import { UNET_DEFAULTS, type TorchSettings } from '../engine/index.js';
import { channelStatistics, classPixelCounts, classPriorsOf, rareClassesOf, type VerifyImage } from './data.js';
import { predictImage } from '../engine/predict.js';
import { deriveSeed } from './random.js';
import { candidateMetrics, headline, HEADLINE_METRICS, scoreImage, type HeadlineMetric, type ImageScore } from './scores.js';
import { seedMean, tableComparator } from './seed-stats.js';
import { splitByImage } from './split.js';
import { downsample, lossStability, mean, std } from './stats.js';
import { trainCandidate, type TrainingOutcome } from './train-candidate.js';
import { trainableLoss, type TrainerFactory } from './trainer.js';
import { decideVerdict, type VerdictCandidate } from './verdict.js';

export interface VerifyData {
  images: VerifyImage[];
  numClasses: number;
  classNames: string[];
  ignoreIndex: number | null;
  /** Notes from loading (subset taken, pairs skipped), passed on as messages. */
  notes: string[];
}

/** Settings of a run; every field has a documented default in DEFAULT_RUN_SETTINGS. */
export interface RunSettings {
  /** Steps per candidate (per seed); null = derive from budgetSeconds. */
  steps: number | null;
  /** Total wall-clock budget for all candidates and seeds, in seconds (used when steps is null). */
  budgetSeconds: number;
  candidates: string[];
  backend: 'auto' | BackendName;
  threads?: number;
  /** The torch backend's settings (--python, --device, --devices, --model): passed to createEngine as EngineSetup.torch. */
  torch?: TorchSettings;
  /** Number of seeds K; seeds are seed, seed+1, ..., seed+K-1. */
  seeds: number;
  seed: number;
  cropSize: number;
  batchSize: number;
  valFraction: number;
  flips: boolean;
  model: { depth: number; baseWidth: number };
  /** Val images per candidate rendered as overlay PNGs when an overlay directory is given. */
  overlayImages: number;
}

export const DEFAULT_RUN_SETTINGS: RunSettings = {
  steps: null,
  budgetSeconds: 300,
  candidates: ['recommended', 'ce', 'focal', 'dice', 'combo'],
  backend: 'auto',
  seeds: 1,
  seed: 0,
  cropSize: 64,
  batchSize: 8,
  valFraction: 0.2,
  flips: true,
  // Width 8 (122k parameters at 6 classes) rather than the engine's 16: a 64x64 batch of 8 costs
  // ~0.3 CPU-s a step on wasm here vs ~0.8, which is what lets `--steps 200` of five candidates
  // finish in minutes on a laptop CPU. Raise --model-width on a GPU backend.
  model: { depth: UNET_DEFAULTS.depth, baseWidth: 8 },
  overlayImages: 4,
};


export interface RunHooks {
  createTrainer: TrainerFactory;
  onEvent: (event: TrainingEvent) => void;
  signal?: AbortSignal;
  /** Called with each candidate's val predictions of the first seed, to render overlays. */
  onPredictions?: (plan: CandidatePlan, images: VerifyImage[], predictions: Uint8Array[]) => Promise<string[]>;
  /** Monotonic seconds for the time budget (default: performance.now); tests drive it by hand. */
  clock?: Clock;
}

/** A first candidate this many times slower (or faster) a step than calibrated triggers a pace message. */
export const PACE_WARNING_RATIO = 1.2;

interface SeedRun {
  seed: number;
  outcome: TrainingOutcome;
  stepsDone: number;
  scores: ImageScore[] | null;
}

export async function runOnData(data: VerifyData, recommendation: Recommendation, settings: RunSettings, hooks: RunHooks): Promise<VerificationReport> {
  const { numClasses, ignoreIndex } = data;
  const runNotes: string[] = [];
  const message = (text: string) => {
    runNotes.push(text);
    hooks.onEvent({ kind: 'message', text });
  };
  data.notes.forEach(message);
  if (data.images.length === 0) throw new UserError('verify found no usable image/mask pairs', { fix: 'check the dataset folder (see `segloss profile` for what was skipped)' });

  const counts = data.images.map((im) => classPixelCounts(im.labels, numClasses));
  const split = splitByImage(counts, { valFraction: settings.valFraction, seed: deriveSeed(settings.seed, 'split') });
  if (split.val.length === 0) {
    const n = data.images.length;
    throw new UserError(
      `verify has ${n} usable image/mask pair${n === 1 ? '' : 's'} and no image can be held out for validation` +
        (n > 1 ? ' without leaving a class that only it contains out of training' : ''),
      { fix: `give verify more images (at least 25 for a verdict)${data.notes.some((n) => n.startsWith('skipped ')) ? ', or fix the skipped pairs listed above' : ''}` },
    );
  }
  const train = split.train.map((i) => data.images[i]);
  const val = split.val.map((i) => data.images[i]);
  const trainTotals = sumCounts(split.train.map((i) => counts[i]), numClasses);
  const valTotals = sumCounts(split.val.map((i) => counts[i]), numClasses);
  const rarestClassId = rarestClass(trainTotals, valTotals);
  const cropSize = effectiveCropSize(settings.cropSize, train, settings.model.depth);
  if (cropSize !== settings.cropSize) message(`crop size lowered from ${settings.cropSize} to ${cropSize} px to fit the smallest training image`);
  const normalisation = channelStatistics(train);
  const { plans, notes } = buildCandidates(recommendation, settings.candidates);
  notes.forEach(message);
  for (const plan of plans) {
    const { unsupported } = trainableLoss(plan.recipe);
    if (unsupported.length) message(`${plan.id}: the loss library cannot train ${unsupported.join(' or ')}; this candidate trains without it`);
  }
  const seeds = Array.from({ length: settings.seeds }, (_, k) => settings.seed + k);
  message(`${train.length} training and ${val.length} validation images; rarest class ${data.classNames[rarestClassId] ?? rarestClassId}; ${plans.length} candidates x ${seeds.length} seed${seeds.length > 1 ? 's' : ''}`);

  const runs = new Map<string, SeedRun[]>(plans.map((p) => [p.id, []]));
  const overlays = new Map<string, string[]>();
  let totalSteps = settings.steps ?? 0;
  let backend: VerificationReport['backend'] | null = null;
  let parameterCount = 0;
  let interrupted = false;

  // Budget mode only (see the header comment): the calibration, the hard stop, the pace.
  const clock = hooks.clock ?? systemClock;
  const totalSlices = plans.length * seeds.length;
  const timeLimit = settings.steps === null ? timeLimitFor(settings.budgetSeconds) : null;
  let budget: BudgetPlan | null = null;
  let trainingStarted = 0;
  let runDeadline: number | null = null;
  /** Measured seconds per step over the calibrated ones (at least 1: reserves are never shrunk). */
  let pace = 1;
  let paceChecked = false;
  let slicesDone = 0;
  const notStarted = (plan: CandidatePlan, eventId: string, seed: number) => {
    const detail = `not started: no time was left before the hard stop at ${formatDuration(timeLimit ?? 0)} (budget ${formatDuration(settings.budgetSeconds)})`;
    hooks.onEvent({ kind: 'candidate-start', candidateId: eventId, label: plan.label, totalSteps, budgetSeconds: null });
    hooks.onEvent({ kind: 'candidate-end', candidateId: eventId, status: 'stopped', detail });
    runs.get(plan.id)!.push({ seed, outcome: { status: 'stopped', statusDetail: detail, losses: [], stepsRun: 0, wallSeconds: 0 }, stepsDone: 0, scores: null });
    slicesDone++;
  };
  const classPriors = classPriorsOf(trainTotals);
  const modelFor = (seed: number) => ({ numClasses, inputChannels: train[0].channels, depth: settings.model.depth, baseWidth: settings.model.baseWidth, seed, classPriors });

  for (const seed of seeds) {
    if (hooks.signal?.aborted) break;
    if (runDeadline !== null && clock() >= runDeadline) {
      // Past the hard stop: do not even start this seed's trainer; its runs are listed as not started.
      for (const plan of plans) notStarted(plan, seeds.length > 1 ? `${plan.id}#${seed}` : plan.id, seed);
      continue;
    }
    // Created with plain CE so that a recipe the loss library rejects fails only its own candidate
    // (each candidate resets the trainer to its own loss).
    const trainer = await hooks.createTrainer({
      backend: settings.backend,
      threads: settings.threads,
      model: modelFor(seed),
      loss: { name: 'ce', params: {} },
      lossContext: { numClasses, ignoreIndex, classWeights: null, scaleAware: null },
      optimizer: plans[0].recipe.optimizer,
      gradientClipNorm: null,
    }).catch((error: unknown) => {
      if (error instanceof UserError) throw error;
      const { depth, baseWidth } = settings.model;
      throw new UserError(`could not start training a U-Net of depth ${depth}, width ${baseWidth} for ${numClasses} classes: ${error instanceof Error ? error.message : String(error)}`, {
        fix: 'lower --model-width or --model-depth (defaults 8 and 3), or try another --backend',
        exitCode: 1,
        cause: error,
      });
    });
    try {
      backend ??= { ...trainer.backend };
      parameterCount = trainer.parameterCount;
      const sampler = { cropSize, batchSize: settings.batchSize, rareClasses: rareClassesOf(trainTotals), numClasses, flips: settings.flips, seed: deriveSeed(seed, 'crops') };
      if (timeLimit !== null && budget === null) {
        // The clock starts here, after the backend is up (its start-up, seconds on a GPU, is not
        // what the budget shares out); calibration counts against the budget.
        trainingStarted = clock();
        runDeadline = trainingStarted + timeLimit;
        budget = await stepsForBudget(trainer, { train, normalisation, sampler, numClasses, ignoreIndex, valPixels: val.reduce((s, im) => s + im.width * im.height, 0), budgetSeconds: settings.budgetSeconds, slices: totalSlices, clock });
        totalSteps = budget.steps;
        message(`budget ${formatDuration(settings.budgetSeconds)}: ${totalSteps} steps per candidate; hard stop at ${formatDuration(timeLimit)} of training: a candidate still training at its share of the time stops early and is evaluated on the steps it did`);
      }
      for (const plan of plans) {
        if (hooks.signal?.aborted) break;
        const eventId = seeds.length > 1 ? `${plan.id}#${seed}` : plan.id;
        const sliceStarted = clock();
        let deadline: number | null = null;
        if (budget && runDeadline !== null) {
          deadline = sliceDeadline(sliceStarted, runDeadline, totalSlices - slicesDone, budget.evalSeconds * pace, budget.secondsPerStep * pace);
          if (deadline === null) {
            notStarted(plan, eventId, seed);
            continue;
          }
        }
        hooks.onEvent({ kind: 'candidate-start', candidateId: eventId, label: plan.label, totalSteps, budgetSeconds: settings.steps === null ? settings.budgetSeconds / totalSlices : null });
        const outcome = await trainCandidate({ trainer, plan, eventId, train, normalisation, sampler, totalSteps, numClasses, ignoreIndex, onEvent: hooks.onEvent, signal: hooks.signal, deadline, expectedStepSeconds: budget ? budget.secondsPerStep * pace : undefined, clock });
        if (outcome.status === 'stopped' && outcome.stepsRun === 0) {
          outcome.statusDetail = `not started: its share of the time ran out before the first step (hard stop at ${formatDuration(timeLimit ?? 0)})`;
        }
        let scores: ImageScore[] | null = null;
        if (outcome.status === 'ok' || (outcome.status === 'stopped' && outcome.stepsRun > 0)) {
          hooks.onEvent({ kind: 'evaluating', candidateId: eventId });
          const predictions: Uint8Array[] = [];
          for (const image of val) predictions.push(await predictImage((...args) => trainer.predict(...args), image, normalisation, settings.model.depth));
          scores = val.map((image, i) => scoreImage(image.labels, predictions[i], image.width, image.height, numClasses, ignoreIndex));
          if (seed === seeds[0] && hooks.onPredictions) {
            // Overlays are a picture of the results: failing to write one must not lose the results.
            try {
              overlays.set(plan.id, await hooks.onPredictions(plan, val, predictions));
            } catch (error) {
              message(`${eventId}: overlays not written: ${error instanceof Error ? error.message : String(error)}`);
            }
          }
        }
        hooks.onEvent({ kind: 'candidate-end', candidateId: eventId, status: outcome.status, detail: outcome.statusDetail });
        runs.get(plan.id)!.push({ seed, outcome, stepsDone: outcome.losses.length, scores });
        slicesDone++;
        if (outcome.status === 'interrupted') interrupted = true;
        if (budget && timeLimit !== null && outcome.stepsRun > 0) {
          pace = Math.max(1, outcome.wallSeconds / outcome.stepsRun / budget.secondsPerStep);
          // Re-check the estimate once, on the first candidate with enough steps to time.
          if (!paceChecked && outcome.stepsRun >= Math.min(MIN_BUDGET_STEPS, totalSteps)) {
            paceChecked = true;
            // What the slices left need at this pace for all N steps and their evaluation.
            const measured = outcome.wallSeconds / outcome.stepsRun;
            const sliceNeeds = measured * totalSteps + budget.evalSeconds * (measured / budget.secondsPerStep);
            const warning = paceMessage({
              secondsPerStep: measured,
              estimate: budget.secondsPerStep,
              projectedSeconds: clock() - trainingStarted + sliceNeeds * (totalSlices - slicesDone),
              budgetSeconds: settings.budgetSeconds,
              timeLimit,
              steps: totalSteps,
            });
            if (warning) message(warning);
          }
        }
      }
    } finally {
      await trainer.dispose();
    }
  }
  if (hooks.signal?.aborted) interrupted = true;

  const metricSeed = deriveSeed(settings.seed, 'bootstrap');
  const candidates: CandidateResult[] = plans.map((plan) => {
    const planRuns = runs.get(plan.id)!;
    const firstRun = planRuns[0];
    const finished = planRuns.filter((r) => r.scores !== null);
    const status = firstRun ? worstStatus(planRuns) : 'interrupted';
    const metrics = firstRun?.scores
      ? candidateMetrics(firstRun.scores, { numClasses, classNames: data.classNames, rarestClassId, seed: metricSeed, stability: lossStability(firstRun.outcome.losses) })
      : null;
    return {
      id: plan.id,
      label: plan.label,
      isRecommended: plan.isRecommended,
      recipe: plan.recipe,
      status,
      statusDetail: firstRun ? firstProblem(planRuns, seeds.length > 1) : 'not started: the run was interrupted',
      stepsDone: firstRun?.stepsDone ?? 0,
      wallSeconds: planRuns.reduce((s, r) => s + r.outcome.wallSeconds, 0),
      lossCurve: firstRun ? downsample(firstRun.outcome.losses) : [],
      metrics,
      seedSpread: seeds.length > 1 && finished.length > 0 ? seedSpread(finished, numClasses, rarestClassId) : null,
      overlays: overlays.get(plan.id) ?? [],
      derivation: plan.derivation,
    };
  });

  // The seed-paired score table: candidates that finished every seed (see seed-stats.ts).
  const table = new Map<string, ImageScore[][]>();
  for (const p of plans) {
    const finished = runs.get(p.id)!.filter((r) => r.scores !== null).map((r) => r.scores!);
    if (finished.length === seeds.length && finished.length > 0) table.set(p.id, finished);
  }
  const statsContext = { numClasses, rarestClassId, seed: metricSeed };
  const verdictCandidates: VerdictCandidate[] = candidates.map((c) => {
    const perSeed = table.get(c.id);
    // The fewest steps any of its seeds trained: what the verdict compares when a run was stopped.
    const stepsDone = Math.min(...runs.get(c.id)!.map((r) => r.outcome.stepsRun));
    return {
      id: c.id, label: c.label, isRecommended: c.isRecommended, status: c.status, statusDetail: c.statusDetail,
      scores: perSeed ? (Object.fromEntries(HEADLINE_METRICS.map((m) => [m, seedMean(perSeed, m, statsContext)])) as Record<HeadlineMetric, number>) : null,
      ...(Number.isFinite(stepsDone) ? { stepsDone } : {}),
    };
  });
  const background = val.map((im) => scoreImage(im.labels, new Uint8Array(im.labels.length), im.width, im.height, numClasses, ignoreIndex));
  const allBackgroundMeanDice = val.length ? headline(background, background.map((_, i) => i), numClasses, rarestClassId).meanDice : Number.NaN;
  const recSteps = verdictCandidates.find((c) => c.isRecommended)?.stepsDone;
  const verdict = decideVerdict({
    candidates: verdictCandidates,
    compare: tableComparator(table, statsContext),
    valImages: val.length,
    seeds: seeds.length,
    steps: recSteps ?? (totalSteps || null),
    interrupted,
    allBackgroundMeanDice,
  });
  for (const c of candidates) {
    if (c.metrics && Number.isFinite(allBackgroundMeanDice) && c.metrics.meanDice.value <= allBackgroundMeanDice) {
      verdict.details.push(`${c.label} is no better than predicting background everywhere (mean Dice ${c.metrics.meanDice.value.toFixed(3)} vs ${allBackgroundMeanDice.toFixed(3)}): it has not learned in this budget`);
    }
  }
  if (interrupted) verdict.details.unshift('The run was interrupted (Ctrl-C): only finished candidates were evaluated.');

  return {
    schemaVersion: VERIFICATION_SCHEMA_VERSION,
    kind: 'VerificationReport',
    createdAt: new Date().toISOString(),
    tool: { ...TOOL_INFO },
    backend: backend ?? { name: 'cpu', detail: 'no backend was started (interrupted before training)', threads: 0, skipped: [] },
    settings: {
      steps: totalSteps || null,
      budgetSeconds: settings.steps === null ? settings.budgetSeconds : null,
      ...(timeLimit !== null ? { timeLimitSeconds: timeLimit } : {}),
      seeds,
      cropSize,
      batchSize: settings.batchSize,
      model: { ...settings.model, parameters: parameterCount },
      trainImages: train.length,
      valImages: val.length,
      rarestClassId,
      primaryMetric: 'meanDice',
      classNames: data.classNames,
      ...(Number.isFinite(allBackgroundMeanDice) ? { allBackgroundMeanDice } : {}),
    },
    candidates,
    verdict,
    interrupted,
    notes: runNotes,
  };
}

function sumCounts(rows: number[][], numClasses: number): number[] {
  const out = new Array<number>(numClasses).fill(0);
  for (const row of rows) row.forEach((v, c) => (out[c] += v));
  return out;
}

/**
 * The rarest class: the foreground class with the smallest share of training pixels among those
 * present in both train and val (so its recall is measurable); failing that, the rarest present
 * in train; failing that, class 0.
 */
export function rarestClass(trainTotals: number[], valTotals: number[]): number {
  const pick = (ids: number[]) => (ids.length ? ids.reduce((a, b) => (trainTotals[b] < trainTotals[a] ? b : a)) : null);
  const foreground = trainTotals.map((_, c) => c).filter((c) => c > 0 && trainTotals[c] > 0);
  return pick(foreground.filter((c) => valTotals[c] > 0)) ?? pick(foreground) ?? 0;
}

/** The crop size, lowered to fit the smallest training image and to a multiple of 2^depth. */
export function effectiveCropSize(requested: number, train: readonly VerifyImage[], depth: number): number {
  const multiple = 2 ** depth;
  const smallest = Math.min(requested, ...train.map((im) => Math.min(im.width, im.height)));
  const size = Math.floor(smallest / multiple) * multiple;
  if (size < multiple) throw new UserError(`training images are smaller than ${multiple} px, the least the U-Net (depth ${depth}) can take`, { fix: 'use larger images' });
  return size;
}

/** The detail of the first seed run that did not end ok, naming its seed when there are several. */
function firstProblem(runs: SeedRun[], severalSeeds: boolean): string | null {
  const problem = runs.find((r) => r.outcome.status !== 'ok');
  if (!problem?.outcome.statusDetail) return null;
  return severalSeeds ? `seed ${problem.seed}: ${problem.outcome.statusDetail}` : problem.outcome.statusDetail;
}

function worstStatus(runs: SeedRun[]): CandidateResult['status'] {
  for (const status of ['failed', 'diverged', 'interrupted', 'stopped'] as const) if (runs.some((r) => r.outcome.status === status)) return status;
  return 'ok';
}

function seedSpread(finished: SeedRun[], numClasses: number, rarestClassId: number): Record<string, { mean: number; std: number }> {
  const out: Record<string, { mean: number; std: number }> = {};
  for (const metric of HEADLINE_METRICS) {
    const values = finished.map((r) => headline(r.scores!, r.scores!.map((_, i) => i), numClasses, rarestClassId)[metric]).filter(Number.isFinite);
    if (values.length) out[metric] = { mean: mean(values), std: std(values) };
  }
  const stabilities = finished.map((r) => lossStability(r.outcome.losses)).filter((v): v is number => v !== null);
  if (stabilities.length) out.stability = { mean: mean(stabilities), std: std(stabilities) };
  return out;
}

/**
 * The message after the first timed candidate when its pace differs from the calibration by
 * PACE_WARNING_RATIO or more (null otherwise). N does not change (every candidate must train the
 * same steps); the message says whether the run will exceed the budget or reach the hard stop.
 */
export function paceMessage(p: { secondsPerStep: number; estimate: number; projectedSeconds: number; budgetSeconds: number; timeLimit: number; steps: number }): string | null {
  const ratio = p.secondsPerStep / p.estimate;
  if (ratio < PACE_WARNING_RATIO && ratio > 1 / PACE_WARNING_RATIO) return null;
  const pace = `the first candidate took ${p.secondsPerStep.toFixed(3)}s a step, ${ratio >= 1 ? `${ratio.toFixed(1)}x slower than` : `${(1 / ratio).toFixed(1)}x faster than`} the ${p.estimate.toFixed(3)}s timed at the start`;
  const projected = formatDuration(p.projectedSeconds);
  const limit = formatDuration(p.timeLimit);
  const budget = formatDuration(p.budgetSeconds);
  if (p.projectedSeconds > p.timeLimit) {
    return `time budget: ${pace}; at this pace the run needs about ${projected}, past the hard stop at ${limit}: candidates will be stopped at their share of the time with fewer than ${p.steps} steps (the step count stays ${p.steps} so the candidates stay comparable)`;
  }
  if (p.projectedSeconds > p.budgetSeconds) {
    return `time budget: ${pace}; at this pace the run needs about ${projected}, over the ${budget} budget but inside the hard stop at ${limit} (the step count stays ${p.steps} so the candidates stay comparable)`;
  }
  return `time budget: ${pace}; at this pace the run takes about ${projected} of the ${budget} budget (the step count stays ${p.steps} so the candidates stay comparable)`;
}
