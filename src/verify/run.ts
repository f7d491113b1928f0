/**
 * The verification run on data already in memory: the design (design.ts: folds and seeds per fold),
 * the split or cross-validation folds by group (split.ts), candidates, one engine with a run per
 * candidate x fold x seed, lockstep training with rungs and racing (lockstep.ts), the verdict from
 * the seed- or fold-paired table (verdict.ts), and the report. With folds the engine holds every
 * image as both its training and its validation data; a fold's runs cut crops from the fold's
 * training part only (their crop plan indexes those images) and predict the fold's validation part
 * only (RunSpec.validation). `runVerification` (index.ts) loads the data and
 * the recommendation and calls this. The engine is whatever the EngineFactory gives (tfjs or
 * PyTorch): this module only speaks the Engine contract (src/engine/types.ts).
 *
 * Budget mode (steps null): after the engine is up, a throw-away run times training steps and one
 * validation scoring (budget.ts calibrate), and the plan pays for every rung's scoring before it
 * gives steps; a budget that cannot cover MIN_BUDGET_STEPS is refused before training, saying what
 * it would take. Training then ends at a round boundary by the budget (re-planned at every rung)
 * or, at worst, the hard stop. --steps N: exactly N steps per run, no clock.
 */
import { TOOL_INFO } from '../common/version.js';
import { UserError } from '../common/errors.js';
import type { TrainingEvent } from '../contracts/events.js';
import type { Recommendation } from '../contracts/recommendation.js';
import { VERIFICATION_SCHEMA_VERSION, type BackendName, type CandidateResult, type FoldRecord, type FoldsSettings, type VerificationReport } from '../contracts/verification.js';
import type { Engine, EngineFactory, EngineRun } from '../engine/types.js';
import { calibrate, formatDuration, MIN_BUDGET_STEPS, planBudgetSteps, rungStepsFor, stepsThatFit, systemClock, timeLimitFor, type Calibration, type Clock, type StepPlanFit } from './budget.js';
import { planErrorBudget, type ErrorBudget } from './error-budget.js';
import { buildCandidates, type CandidatePlan } from './candidates.js';
import { recentSlope } from './curves.js';
import { channelStatistics, classPixelCounts, classPriorsOf, createCropPlanner, rareClassesOf, type CropPlanner, type VerifyImage } from './data.js';
import { trainInLockstep, type RacingCandidate } from './lockstep.js';
import { deriveSeed } from './random.js';
import { candidateMetrics, headline, HEADLINE_METRICS, poolSeeds, scoreImage, type HeadlineMetric, type ImageScore } from './scores.js';
import { seedMean, tableComparator, type StatsContext } from './seed-stats.js';
import { chooseDesign, fallbackDesigns, type Design } from './design.js';
import { foldsByGroup, splitByGroup, unitsOf } from './split.js';
import { downsample, lossStability, mean, std } from './stats.js';
import { createSeedRun, type SeedRun } from './train-candidate.js';
import { lossContextFor, trainableLoss } from './trainer.js';
import { withHeadline } from '../report/headline.js';
import { shortNames } from '../report/short-names.js';
import { decideVerdict, type VerdictCandidate } from './verdict.js';
import { DEFAULT_RUN_SETTINGS, MIN_SEEDS_FOR_CLAIM, type RunSettings } from './settings.js';

export { DEFAULT_RUN_SETTINGS, type RunSettings } from './settings.js';

export interface VerifyData {
  images: VerifyImage[];
  numClasses: number;
  classNames: string[];
  ignoreIndex: number | null;
  /** The background class id (--background, a format's); -1 = none. Absent = 0. */
  background?: number;
  /** --bands: the image bands trained on (1-based, in order); absent or null = every band. */
  bands?: number[] | null;
  /** Notes from loading (subset taken, pairs skipped), passed on as messages. */
  notes: string[];
  /** --group REGEX the images' groups came from (recorded in the report's grouping rule). */
  groupPattern?: string;
}

export interface RunHooks {
  createEngine: EngineFactory;
  onEvent: (event: TrainingEvent) => void;
  signal?: AbortSignal;
  /** Called with each candidate's val predictions of the first seed (at its last rung), to render overlays. */
  onPredictions?: (plan: CandidatePlan, images: VerifyImage[], predictions: Uint8Array[]) => Promise<string[]>;
  /** Monotonic seconds for the time budget (default: performance.now); tests drive it by hand. */
  clock?: Clock;
  /** Changes the candidate list after it is built (the validity benchmark adds an A/A copy). */
  adjustCandidates?: (plans: CandidatePlan[]) => CandidatePlan[];
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
  const splitSeed = deriveSeed(settings.seed, 'split');
  const groups = data.images.map((im) => im.group ?? im.id);
  const grouped = data.images.some((im) => im.group !== undefined);
  let design = chooseDesign({ units: unitsOf(groups).keys.length, folds: settings.folds, seeds: settings.seeds, grouped });
  const splitsFor = (d: Design) => (d.folds > 1 ? foldsByGroup(counts, groups, { folds: d.folds, seed: splitSeed }) : [splitByGroup(counts, groups, { valFraction: settings.valFraction, seed: splitSeed })]);
  let splits = splitsFor(design);
  if (splits[0].val.length === 0) {
    const n = data.images.length;
    throw new UserError(
      `verify has ${n} usable image/mask pair${n === 1 ? '' : 's'} and no image can be held out for validation` +
        (n > 1 ? ` without leaving a class that only it${grouped ? ' (or its group)' : ''} contains out of training` : ''),
      { fix: `give verify more images (at least 25 for a verdict)${data.notes.some((n) => n.startsWith('skipped ')) ? ', or fix the skipped pairs listed above' : ''}` },
    );
  }
  const allImages = data.images;
  // Replicate r = fold x seedsPerFold + k trains with seed settings.seed + r (each fold its own seeds).
  const partsOf = (dSplits: typeof splits, perFold: number) => {
    const validatedIds = dSplits.flatMap((s) => s.val);
    const runs: Replicate[] = Array.from({ length: dSplits.length * perFold }, (_, r) => ({ fold: Math.floor(r / perFold), seed: settings.seed + r }));
    const runSeeds = runs.map((r) => r.seed);
    return {
      folds: dSplits.length, seedsPerFold: perFold, foldVal: dSplits.map((s) => s.val.map((i) => allImages[i])), validated: validatedIds,
      valImages: validatedIds.map((i) => allImages[i]), replicates: runs, seeds: runSeeds, cropSeeds: runSeeds.map((seed) => deriveSeed(seed, 'crops')),
    };
  };
  // The design's parts (let: a budget too small for the default design falls back to a smaller one
  // before training, applyDesign below; the engine's data and the rarest class stay the same).
  let { folds, seedsPerFold, foldVal, validated, valImages, replicates, seeds, cropSeeds } = partsOf(splits, design.seedsPerFold);
  // The rarest class: with one split, as before (present in train and val); with folds every image
  // is validated, so the rarest foreground class of the whole data.
  const totalsOf = (ids: readonly number[]) => sumCounts(ids.map((i) => counts[i]), numClasses);
  const background = data.background ?? 0;
  const rarestClassId = folds > 1 ? rarestClass(totalsOf(validated), totalsOf(validated), background) : rarestClass(totalsOf(splits[0].train), totalsOf(splits[0].val), background);
  // "Learned nothing": the background everywhere; with no background class, the most frequent training class.
  const trainedOn = totalsOf(folds > 1 ? validated : splits[0].train);
  const nothingLearnedClass = background >= 0 ? background : trainedOn.reduce((best, n, c) => (n > trainedOn[best] ? c : best), 0);
  const trainImages = (f: number) => splits[f].train.map((i) => allImages[i]);
  const cropSize = effectiveCropSize(settings.cropSize, folds > 1 ? allImages : trainImages(0), settings.model.depth);
  if (cropSize !== settings.cropSize) message(`crop size lowered from ${settings.cropSize} to ${cropSize} px to fit the smallest training image`);
  // With one split the normalisation and the head's class priors come from its training part, as
  // before. With folds, from all images, as nnU-Net's fingerprint does before its 5-fold CV: the
  // same for every candidate (so the pairing is untouched), and no more than the profile behind the
  // recommendation (class shares of the whole dataset) already used.
  const statsImages = folds > 1 ? allImages : trainImages(0);
  const normalisation = channelStatistics(statsImages);
  const built = buildCandidates(recommendation, settings.candidates);
  built.notes.forEach(message);
  const plans = hooks.adjustCandidates ? hooks.adjustCandidates(built.plans) : built.plans;
  for (const plan of plans) {
    const { unsupported } = trainableLoss(plan.recipe);
    if (unsupported.length) message(`${plan.id}: the loss library cannot train ${unsupported.join(' or ')}; this candidate trains without it`);
  }
  const units = folds > 1 ? folds : seedsPerFold;
  const groupText = grouped ? `, grouped (${unitsOf(groups).keys.length} groups, none on both sides)` : '';
  message(
    folds > 1
      ? `${folds}-fold cross-validation: every one of the ${allImages.length} images validated once (${splits.map((s) => s.val.length).join('/')} per fold)${groupText}; rarest class ${data.classNames[rarestClassId] ?? rarestClassId}; ${plans.length} candidates x ${folds} folds x ${seedsPerFold} seed${seedsPerFold > 1 ? 's' : ''} in lockstep (${design.why})`
      : `${splits[0].train.length} training and ${splits[0].val.length} validation images${groupText}; rarest class ${data.classNames[rarestClassId] ?? rarestClassId}; ${plans.length} candidates x ${seedsPerFold} seed${seedsPerFold > 1 ? 's' : ''} in lockstep (${design.why})`,
  );
  if (units < MIN_SEEDS_FOR_CLAIM) {
    message(
      folds > 1
        ? `${folds} folds: verify can say what it saw but not "beaten" or "confirmed" (the fold-to-fold spread is not known well enough); use --folds ${MIN_SEEDS_FOR_CLAIM} or more, or --folds 1 --seeds ${MIN_SEEDS_FOR_CLAIM}`
        : `${units} seed${units === 1 ? '' : 's'}: verify can say what it saw but not "beaten" or "confirmed" (the seed-to-seed spread is not known well enough)${units < 2 ? ', and racing stops no one' : ''}; use --seeds ${MIN_SEEDS_FOR_CLAIM}`,
    );
  }

  const clock = hooks.clock ?? systemClock;
  // The engine's data: with one split its train and val parts, as before; with folds every image as
  // both, each fold's runs using their own parts (crop indices mapped, RunSpec.validation).
  const engineTrain = folds > 1 ? allImages : trainImages(0);
  const engineVal = folds > 1 ? allImages : foldVal[0];
  const foldRunsFor = (): FoldRun[] => splits.map((split, f) => ({
    trainImages: trainImages(f),
    valImages: foldVal[f],
    rareClasses: rareClassesOf(totalsOf(split.train), background),
    toEngineIndex: folds > 1 ? split.train : null,
    validation: folds > 1 ? split.val : undefined,
  }));
  let foldRuns = foldRunsFor();
  /** Makes `d` the run's design (a fallback found before training; `d` keeps folds > 1 or one split as before). */
  const applyDesign = (d: Design, dSplits: typeof splits) => {
    design = d;
    splits = dSplits;
    ({ folds, seedsPerFold, foldVal, validated, valImages, replicates, seeds, cropSeeds } = partsOf(dSplits, d.seedsPerFold));
    foldRuns = foldRunsFor();
    stats.folds = folds;
  };
  const engine = await startEngine(hooks.createEngine, settings, { train: engineTrain, val: engineVal, normalisation, numClasses, ignoreIndex, classPriors: classPriorsOf(totalsOf(folds > 1 ? validated : splits[0].train)) });
  const stats: StatsContext = { numClasses, rarestClassId, seed: deriveSeed(settings.seed, 'bootstrap'), folds };
  const samplerBase = { cropSize, batchSize: settings.batchSize, numClasses, flips: settings.flips };
  const score = async (run: Pick<EngineRun, 'predictValidation'>, fold = 0) => {
    const predictions = await run.predictValidation();
    return { predictions, scores: foldVal[fold].map((image, i) => scoreImage(image.labels, predictions[i], image.width, image.height, numClasses, ignoreIndex, background)) };
  };
  /** The first fallback design (design.ts) whose runs fit MIN_BUDGET_STEPS steps: scoring a run costs in proportion to its validation images. */
  const smallerDesignThatFits = (current: Design, c: Calibration, spentSeconds: number) => {
    for (const candidate of fallbackDesigns(current, MIN_SEEDS_FOR_CLAIM)) {
      const candidateSplits = splitsFor(candidate);
      if (candidateSplits[0].val.length === 0 || (candidate.folds > 1) !== (folds > 1)) continue;
      const scaled: Calibration = { ...c, evalSeconds: (c.evalSeconds * candidateSplits[0].val.length) / Math.max(1, foldVal[0].length) };
      const runs = plans.length * candidateSplits.length * candidate.seedsPerFold;
      const plan = stepsThatFit(settings.budgetSeconds - spentSeconds, runs, scaled);
      if (plan.steps >= MIN_BUDGET_STEPS) return { design: candidate, splits: candidateSplits, calibration: scaled, plan };
    }
    return null;
  };
  let racingCandidates: RacingCandidate[] = [];
  let calibration: Calibration | null = null;
  const timeLimit = settings.steps === null ? timeLimitFor(settings.budgetSeconds) : null;
  try {
    let totalSteps = settings.steps ?? 0;
    let maxRungs: number | undefined;
    let budget: { calibration: Calibration; endsAt: number; hardStopAt: number } | null = null;
    if (settings.steps === null) {
      // The clock starts after the engine is up (its start-up, seconds on a GPU, is not what the
      // budget shares out); the timing counts against the budget.
      const startedAt = clock();
      const spec = { id: 'calibration', seed: seeds[0], recipe: plans[0].recipe, loss: { name: 'ce' as const, params: {} }, lossContext: { numClasses, ignoreIndex, classWeights: null, scaleAware: null }, ...(foldRuns[0].validation ? { validation: foldRuns[0].validation } : {}) };
      const timed = await calibrate(engine, spec, foldPlanner(foldRuns[0], { ...samplerBase, rareClasses: foldRuns[0].rareClasses, rareClassOversampling: 0, seed: deriveSeed(settings.seed, 'calibration') }), (run) => score(run, 0), clock, settings.budgetSeconds);
      // The engine trains and scores `concurrency` runs side by side: what a run-step costs in wall time.
      calibration = { secondsPerStep: timed.secondsPerStep / engine.concurrency, evalSeconds: timed.evalSeconds / engine.concurrency };
      let runs = plans.length * seeds.length;
      const spentSeconds = clock() - startedAt;
      let plan: StepPlanFit;
      try {
        plan = planBudgetSteps({ budgetSeconds: settings.budgetSeconds, spentSeconds, runs, candidates: plans.length, seeds: seedsPerFold, folds, calibration });
      } catch (error) {
        // The default design does not fit: the largest smaller one that does (issue 22), said in the plan.
        const chosen = settings.folds === null && settings.seeds === null ? smallerDesignThatFits(design, calibration, spentSeconds) : null;
        if (!chosen) throw error;
        applyDesign(chosen.design, chosen.splits);
        calibration = chosen.calibration;
        runs = plans.length * seeds.length;
        plan = chosen.plan;
        message(`budget ${formatDuration(settings.budgetSeconds)}: ${design.why}`);
      }
      ({ steps: totalSteps, maxRungs } = plan);
      budget = { calibration, endsAt: startedAt + settings.budgetSeconds, hardStopAt: startedAt + timeLimit! };
      message(
        `budget ${formatDuration(settings.budgetSeconds)}: ${totalSteps} steps per run planned for ${runs} runs in lockstep (${timed.secondsPerStep.toFixed(3)}s a step, ${timed.evalSeconds.toFixed(1)}s to score a run on validation${engine.concurrency > 1 ? `, ${engine.concurrency} runs side by side` : ''}, at each of up to ${maxRungs} rung${maxRungs === 1 ? '' : 's'}); ` +
          `training ends between rounds, by the hard stop at ${formatDuration(timeLimit!)} at the latest, so every surviving run trains the same steps`,
      );
    }
    // One error budget for racing and the verdict, fixed before training (error-budget.ts).
    const errorBudget = planErrorBudget({ racing: settings.racing, plannedRungs: rungStepsFor(totalSteps, maxRungs).length, candidates: plans.length });
    racingCandidates = await createRuns(engine, plans, replicates, cropSeeds, totalSteps, { foldRuns, samplerBase, numClasses, ignoreIndex, onEvent: hooks.onEvent, budgetSeconds: settings.steps === null ? settings.budgetSeconds : null });
    const lockstep = await trainInLockstep({
      engine, candidates: racingCandidates, totalSteps, maxRungs, budget, score, stats, tieMargin: settings.tieMargin, errorBudget,
      recommendedId: plans.find((p) => p.isRecommended)?.id ?? null, racing: settings.racing, onEvent: hooks.onEvent, signal: hooks.signal, clock,
    });
    runNotes.push(...lockstep.notes);
    const foldRecords = splits.map((split, f) => ({
      fold: f, seeds: replicates.filter((r) => r.fold === f).map((r) => r.seed), trainImages: split.train.length, valImageIds: split.val.map((i) => allImages[i].id),
    }));
    const grouping = { rule: grouped ? ('group' as const) : ('image' as const), groups: unitsOf(groups).keys.length, ...(data.groupPattern ? { pattern: data.groupPattern } : {}) };
    return await buildReport({
      data, settings, engine, plans, seeds, cropSeeds, splitSeed, trainCount: folds > 1 ? Math.round(mean(splits.map((s) => s.train.length))) : splits[0].train.length, val: valImages, firstFoldVal: foldVal[0],
      design: { folds, seedsPerFold, why: design.why, records: foldRecords, grouping }, rarestClassId, nothingLearnedClass, cropSize, errorBudget, stats, timeLimit, calibration, lockstep, racingCandidates, message, runNotes, onPredictions: hooks.onPredictions,
    });
  } finally {
    for (const c of racingCandidates) for (const r of c.runs) await r.run.dispose().catch(() => undefined);
    await engine.dispose();
  }
}

/** One fold's data as its runs use it. */
interface FoldRun {
  trainImages: VerifyImage[];
  valImages: VerifyImage[];
  /** Rare classes of the fold's training part (the crop sampler centres crops on them). */
  rareClasses: number[];
  /** Fold training image -> the engine's train index (null: the same, one split). */
  toEngineIndex: readonly number[] | null;
  /** The fold's validation images as indices into the engine's val (absent: all, one split). */
  validation?: readonly number[];
}

/** One fold x seed of every candidate. */
interface Replicate {
  fold: number;
  seed: number;
}

/** A crop planner over a fold's training part whose crops index the engine's train images. */
function foldPlanner(fold: FoldRun, options: Parameters<typeof createCropPlanner>[1]): CropPlanner {
  const inner = createCropPlanner(fold.trainImages, options);
  const map = fold.toEngineIndex;
  if (!map) return inner;
  return {
    nextBatchPlan() {
      const plan = inner.nextBatchPlan();
      return { ...plan, crops: plan.crops.map((crop) => ({ ...crop, image: map[crop.image] })) };
    },
  };
}

async function startEngine(
  createEngine: EngineFactory,
  settings: RunSettings,
  d: { train: VerifyImage[]; val: VerifyImage[]; normalisation: ReturnType<typeof channelStatistics>; numClasses: number; ignoreIndex: number | null; classPriors: number[] },
): Promise<Engine> {
  const { depth, baseWidth } = settings.model;
  try {
    return await createEngine({
      backend: settings.backend,
      threads: settings.threads,
      ...(settings.torch ? { torch: settings.torch } : {}),
      model: { numClasses: d.numClasses, inputChannels: d.train[0].channels, depth, baseWidth, classPriors: d.classPriors },
      data: { train: d.train, val: d.val, normalisation: d.normalisation, numClasses: d.numClasses, ignoreIndex: d.ignoreIndex },
    });
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`could not start training a U-Net of depth ${depth}, width ${baseWidth} for ${d.numClasses} classes: ${error instanceof Error ? error.message : String(error)}`, {
      fix: 'lower --model-width or --model-depth (defaults 8 and 3), or try another --backend',
      exitCode: 1,
      cause: error,
    });
  }
}

/** A run per candidate x fold x seed; a candidate whose loss the engine rejects fails alone. */
async function createRuns(
  engine: Engine,
  plans: CandidatePlan[],
  replicates: readonly Replicate[],
  cropSeeds: number[],
  totalSteps: number,
  c: { foldRuns: FoldRun[]; samplerBase: Omit<Parameters<typeof createCropPlanner>[1], 'rareClassOversampling' | 'seed' | 'rareClasses'>; numClasses: number; ignoreIndex: number | null; onEvent: (e: TrainingEvent) => void; budgetSeconds: number | null },
): Promise<RacingCandidate[]> {
  const out: RacingCandidate[] = [];
  for (const plan of plans) {
    c.onEvent({ kind: 'candidate-start', candidateId: plan.id, label: plan.label, shortName: shortNames(plans).get(plan.id), totalSteps, budgetSeconds: c.budgetSeconds, seeds: replicates.map((r) => r.seed) });
    const candidate: RacingCandidate = { plan, runs: [], state: 'racing', detail: null, scored: null, curve: [] };
    out.push(candidate);
    try {
      for (const [k, replicate] of replicates.entries()) {
        const seed = replicate.seed + (plan.seedOffset ?? 0);
        const fold = c.foldRuns[replicate.fold];
        const run = await engine.createRun({
          id: `${plan.id}#${seed}`, seed, recipe: plan.recipe, loss: trainableLoss(plan.recipe).loss, lossContext: lossContextFor(plan.recipe, c.numClasses, c.ignoreIndex),
          ...(fold.validation ? { validation: fold.validation } : {}),
        });
        const planner = foldPlanner(fold, { ...c.samplerBase, rareClasses: fold.rareClasses, rareClassOversampling: plan.recipe.rareClassOversampling, seed: plan.seedOffset ? deriveSeed(seed, 'crops') : cropSeeds[k] });
        candidate.runs.push(createSeedRun({ id: run.id, plan, seed, fold: replicate.fold, run, planner, totalSteps }));
      }
    } catch (error) {
      candidate.state = 'failed';
      candidate.detail = error instanceof Error ? error.message : String(error);
      c.onEvent({ kind: 'candidate-end', candidateId: plan.id, status: 'failed', detail: candidate.detail });
      for (const r of candidate.runs) await r.run.dispose().catch(() => undefined);
    }
  }
  return out;
}

interface ReportInput {
  data: VerifyData;
  errorBudget: ErrorBudget;
  settings: RunSettings;
  engine: Engine;
  plans: CandidatePlan[];
  seeds: number[];
  cropSeeds: number[];
  splitSeed: number;
  /** Training images (one split), or the mean over folds. */
  trainCount: number;
  /** Every validated image, fold by fold (one split: its val part). */
  val: VerifyImage[];
  /** The first fold's validation images (what the first run's predictions, the overlays, show). */
  firstFoldVal: VerifyImage[];
  design: { folds: number; seedsPerFold: number; why: string; records: FoldRecord[]; grouping: FoldsSettings['grouping'] };
  rarestClassId: number;
  /** The class a model that learned nothing predicts everywhere (the background, else the most frequent). */
  nothingLearnedClass: number;
  cropSize: number;
  stats: StatsContext;
  timeLimit: number | null;
  calibration: Calibration | null;
  lockstep: Awaited<ReturnType<typeof trainInLockstep>>;
  racingCandidates: RacingCandidate[];
  message: (text: string) => void;
  runNotes: string[];
  onPredictions?: RunHooks['onPredictions'];
}

async function buildReport(r: ReportInput): Promise<VerificationReport> {
  const { data, settings, val, stats, lockstep, seeds } = r;
  const { numClasses, rarestClassId } = stats;
  const finalSteps = lockstep.finalSteps;
  const overlays = new Map<string, string[]>();
  for (const c of r.racingCandidates) {
    if (!c.scored || !r.onPredictions) continue;
    // Overlays are a picture of the results: failing to write one must not lose the results.
    try {
      overlays.set(c.plan.id, await r.onPredictions(c.plan, r.firstFoldVal, c.scored.firstSeedPredictions));
    } catch (error) {
      r.message(`${c.plan.id}: overlays not written: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const candidates: CandidateResult[] = r.racingCandidates.map((c) => candidateResult(c, r, overlays.get(c.plan.id) ?? []));

  // The seed-paired table at the final steps: the survivors scored there.
  const finalTable = new Map<string, ImageScore[][]>();
  for (const c of r.racingCandidates) if (c.scored && c.state !== 'eliminated' && c.scored.steps === finalSteps) finalTable.set(c.plan.id, c.scored.scores);
  const verdictCandidates: VerdictCandidate[] = r.racingCandidates.map((c) => ({
    id: c.plan.id, label: c.plan.label, isRecommended: c.plan.isRecommended, status: candidates.find((x) => x.id === c.plan.id)!.status, statusDetail: c.detail,
    scores: c.scored ? (Object.fromEntries(HEADLINE_METRICS.map((m) => [m, seedMean(c.scored!.scores, m, stats)])) as Record<HeadlineMetric, number>) : null,
    ...(c.scored ? { stepsDone: c.scored.steps } : {}),
  }));
  const everywhere = r.nothingLearnedClass;
  const backgroundScores = val.map((im) => scoreImage(im.labels, new Uint8Array(im.labels.length).fill(everywhere), im.width, im.height, numClasses, data.ignoreIndex, data.background ?? 0));
  const allBackgroundMeanDice = val.length ? headline(backgroundScores, backgroundScores.map((_, i) => i), numClasses, rarestClassId).meanDice : Number.NaN;
  const verdict = decideVerdict({
    candidates: verdictCandidates,
    compare: tableComparator(finalTable, { ...stats, confidence: r.errorBudget.verdictConfidence }),
    valImages: val.length,
    seeds: r.design.folds > 1 ? r.design.folds : seeds.length,
    design: { folds: r.design.folds, seedsPerFold: r.design.seedsPerFold },
    steps: finalSteps,
    tieMargin: settings.tieMargin,
    confidence: r.errorBudget.verdictConfidence,
    curves: lockstep.curves,
    eliminations: lockstep.eliminations,
    interrupted: lockstep.interrupted,
    allBackgroundMeanDice,
  });
  for (const c of candidates) {
    if (c.metrics && Number.isFinite(allBackgroundMeanDice) && c.metrics.meanDice.value <= allBackgroundMeanDice) {
      verdict.details.push(`${c.label} is no better than predicting background everywhere (mean Dice ${c.metrics.meanDice.value.toFixed(3)} vs ${allBackgroundMeanDice.toFixed(3)}): it has not learned in this budget`);
    }
  }
  if (lockstep.interrupted) verdict.details.unshift('The run was interrupted (Ctrl-C): every candidate is compared at its last rung, where all survivors had trained the same steps.');

  return {
    schemaVersion: VERIFICATION_SCHEMA_VERSION,
    kind: 'VerificationReport',
    createdAt: new Date().toISOString(),
    tool: { ...TOOL_INFO },
    backend: { ...r.engine.backend },
    settings: {
      steps: finalSteps,
      budgetSeconds: settings.steps === null ? settings.budgetSeconds : null,
      ...(r.timeLimit !== null ? { timeLimitSeconds: r.timeLimit } : {}),
      seeds,
      cropSize: r.cropSize,
      batchSize: settings.batchSize,
      model: { ...settings.model, parameters: r.engine.parameterCount },
      trainImages: r.trainCount,
      valImages: val.length,
      rarestClassId,
      primaryMetric: 'meanDice',
      classNames: data.classNames,
      ...(Number.isFinite(allBackgroundMeanDice) ? { allBackgroundMeanDice } : {}),
      valImageIds: val.map((im) => im.id),
      folds: { count: r.design.folds, seedsPerFold: r.design.seedsPerFold, design: r.design.why, grouping: r.design.grouping, assignment: r.design.records },
      valFraction: settings.valFraction,
      ignoreIndex: data.ignoreIndex,
      inputChannels: data.images[0]?.channels ?? 1,
      bands: data.bands ?? null,
      cropSeeds: r.cropSeeds,
      splitSeed: r.splitSeed,
      roundSteps: lockstep.roundSteps,
      rungs: lockstep.rungs,
      tieMargin: settings.tieMargin,
      errorBudget: { ...r.errorBudget, racingSpent: lockstep.racingSpent },
      measured: lockstep.measured && settings.steps === null ? lockstep.measured : null,
    },
    candidates,
    verdict: withHeadline(verdict, candidates), // the one-line verdict first (src/report/headline.ts)
    interrupted: lockstep.interrupted,
    notes: r.runNotes,
  };
}

function candidateResult(c: RacingCandidate, r: ReportInput, overlays: string[]): CandidateResult {
  const { stats } = r;
  const first = c.runs[0];
  const status: CandidateResult['status'] = c.state === 'racing' ? 'ok' : c.state;
  const slope = recentSlope({ id: c.plan.id, points: c.curve.map((p) => ({ steps: p.steps, value: p.meanDice })) });
  return {
    id: c.plan.id,
    label: c.plan.label,
    isRecommended: c.plan.isRecommended,
    recipe: c.plan.recipe,
    status,
    statusDetail: c.detail,
    stepsDone: c.runs.length ? Math.min(...c.runs.map((run) => run.stepsDone)) : 0,
    wallSeconds: c.runs.reduce((s, run) => s + run.trainSeconds, 0),
    lossCurve: first ? downsample(first.losses) : [],
    // All seeds' predictions pooled (confusion counts summed), CIs over validation images; the
    // seed-paired comparisons are in verdict.comparisons, the seed spread in seedSpread.
    metrics: c.scored ? candidateMetrics(poolReplicates(c.scored.scores, r.design.folds), { numClasses: stats.numClasses, classNames: r.data.classNames, rarestClassId: stats.rarestClassId, seed: stats.seed, stability: first ? lossStability(first.losses) : null }) : null,
    seedSpread: c.scored && c.scored.scores.length > 1 ? seedSpread(c.scored.scores, c.runs, stats) : null,
    ...(c.scored && r.design.folds > 1 ? { perFold: perFoldScores(c.scored.scores, r.design.folds, stats) } : {}),
    overlays,
    derivation: c.plan.derivation,
    curve: c.curve,
    slopePerDoubling: slope?.perDoubling ?? null,
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
export function rarestClass(trainTotals: number[], valTotals: number[], background = 0): number {
  const pick = (ids: number[]) => (ids.length ? ids.reduce((a, b) => (trainTotals[b] < trainTotals[a] ? b : a)) : null);
  const foreground = trainTotals.map((_, c) => c).filter((c) => c !== background && trainTotals[c] > 0);
  return pick(foreground.filter((c) => valTotals[c] > 0)) ?? pick(foreground) ?? Math.max(0, background);
}

/** The crop size, lowered to fit the smallest training image and to a multiple of 2^depth. */
export function effectiveCropSize(requested: number, train: readonly VerifyImage[], depth: number): number {
  const multiple = 2 ** depth;
  const smallest = Math.min(requested, ...train.map((im) => Math.min(im.width, im.height)));
  const size = Math.floor(smallest / multiple) * multiple;
  if (size < multiple) throw new UserError(`training images are smaller than ${multiple} px, the least the U-Net (depth ${depth}) can take`, { fix: 'use larger images' });
  return size;
}

function seedSpread(perSeed: ImageScore[][], runs: SeedRun[], stats: StatsContext): Record<string, { mean: number; std: number }> {
  const out: Record<string, { mean: number; std: number }> = {};
  for (const metric of HEADLINE_METRICS) {
    const values = perSeed.map((scores) => headline(scores, scores.map((_, i) => i), stats.numClasses, stats.rarestClassId)[metric]).filter(Number.isFinite);
    if (values.length) out[metric] = { mean: mean(values), std: std(values) };
  }
  const stabilities = runs.map((r) => lossStability(r.losses)).filter((v): v is number => v !== null);
  if (stabilities.length) out.stability = { mean: mean(stabilities), std: std(stabilities) };
  return out;
}

/**
 * Every replicate's per-image scores pooled into one row per validated image: seeds summed per
 * image (poolSeeds) within each fold, then the folds' images one after another (each image once).
 */
export function poolReplicates(runs: ReadonlyArray<readonly ImageScore[]>, folds: number): ImageScore[] {
  const perFold = runs.length / folds;
  return Array.from({ length: folds }, (_, f) => poolSeeds(runs.slice(f * perFold, (f + 1) * perFold))).flat();
}

/** Mean Dice per fold (mean over the fold's seeds), in fold order: the report's per-fold scores. */
function perFoldScores(runs: ReadonlyArray<readonly ImageScore[]>, folds: number, stats: StatsContext): number[] {
  const perFold = runs.length / folds;
  return Array.from({ length: folds }, (_, f) => seedMean(runs.slice(f * perFold, (f + 1) * perFold), 'meanDice', stats));
}
