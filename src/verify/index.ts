/**
 * verify/: a short real training of the recommended recipe and its alternatives on the user's
 * data, and a verdict with confidence. `runVerification` is what the CLI, the demo and the UI call.
 */
import { indexDataset, type DatasetOptions } from '../dataset/index.js';
import type { TrainingEvent } from '../contracts/events.js';
import type { Domain, Priority, Recommendation } from '../contracts/recommendation.js';
import type { VerificationReport } from '../contracts/verification.js';
import type { DatasetProfile } from '../contracts/profile.js';
import { profileDataset } from '../profiler/index.js';
import { recommend } from '../rules/engine.js';
import { loadRuleSet } from '../rules/load.js';
import { createEngine } from '../engine/index.js';
import type { EngineFactory } from '../engine/types.js';
import { loadVerifyData, requireImages } from './load.js';
import { DEFAULT_MAX_IMAGES } from './settings.js';
import { createPredictionPictures } from './overlays.js';
import { DEFAULT_RUN_SETTINGS, runOnData, type RunSettings } from './run.js';

export { DEFAULT_RUN_SETTINGS, runOnData, type RunSettings, type VerifyData } from './run.js';
export { CANDIDATE_NAMES, DEFAULT_CANDIDATES, parseCandidateNames } from './candidates.js';
export { parseBudget, formatDuration, timeLimitFor, BUDGET_GRACE, MIN_BUDGET_STEPS, MIN_GRACE_SECONDS } from './budget.js';
export { DEFAULT_TIE_MARGIN, MIN_SEEDS_FOR_CLAIM } from './settings.js';
export { DEFAULT_FOLDS, MAX_UNITS_FOR_FOLDS, MIN_REPLICATES, SMALL_DATA_FOLDS } from './design.js';
export { readRecommendationFile } from './recommendation-file.js';
export { DEFAULT_MAX_IMAGES } from './settings.js';

export interface VerifyOptions extends Partial<RunSettings> {
  /** The dataset to train on (dataset reader options). */
  dataset: DatasetOptions;
  /** The recommendation to verify; when absent the dataset is profiled and the rules recommend. */
  recommendation?: Recommendation | null;
  /** Used only when `recommendation` is absent: the user's intent and extra rule files. */
  recommend?: { domain?: Domain | null; priority?: Priority | null; ruleFiles?: string[] };
  /** At most this many images are loaded (a seeded subset beyond it; default 400). */
  maxImages?: number;
  /** Write val prediction overlay PNGs under DIR/overlays (default: none). */
  outDir?: string | null;
  /** The training engine (default: src/engine's createEngine). */
  createEngine?: EngineFactory;
  /** Called with the profile and recommendation verify made itself (no `recommendation` given), so --out can write them and the report. */
  onRecommended?: (profile: DatasetProfile, recommendation: Recommendation) => void;
}

export async function runVerification(options: VerifyOptions, onEvent: (e: TrainingEvent) => void = () => {}, signal?: AbortSignal): Promise<VerificationReport> {
  const settings: RunSettings = { ...DEFAULT_RUN_SETTINGS, ...definedOnly(options) };
  const recommendation = options.recommendation ?? (await recommendFor(options, onEvent));
  const data = await loadVerifyData(options.dataset, recommendation, { maxImages: options.maxImages ?? DEFAULT_MAX_IMAGES, seed: settings.seed, minSize: 2 ** settings.model.depth });
  const outDir = options.outDir ?? null;
  const pictures = outDir ? createPredictionPictures(outDir, { numClasses: data.numClasses, classNames: data.classNames, count: settings.overlayImages, background: data.background ?? 0 }) : null;
  const report = await runOnData(data, recommendation, settings, {
    createEngine: options.createEngine ?? createEngine,
    onEvent,
    signal,
    onPredictions: pictures?.onPredictions,
  });
  if (pictures) {
    // A picture of the results: failing to write it must not lose the results.
    try {
      const path = await pictures.writeContactSheet(report.candidates.map((c) => c.id));
      if (path) report.contactSheet = path;
    } catch (error) {
      const text = `contact sheet not written: ${error instanceof Error ? error.message : String(error)}`;
      (report.notes ??= []).push(text);
      onEvent({ kind: 'message', text });
    }
  }
  return report;
}

async function recommendFor(options: VerifyOptions, onEvent: (e: TrainingEvent) => void): Promise<Recommendation> {
  // Fail fast on a dataset verify cannot train on, before a profile that can take minutes.
  requireImages(await indexDataset(options.dataset));
  onEvent({ kind: 'message', text: 'no --recommendation given: profiling the dataset and running the rules first' });
  const profile = await profileDataset({ ...options.dataset });
  const source = options.dataset.root ?? options.dataset.masksDir ?? 'dataset';
  const recommendation = await recommend(profile, {
    intent: { domain: options.recommend?.domain ?? null, priority: options.recommend?.priority ?? null },
    ruleSet: await loadRuleSet(options.recommend?.ruleFiles ?? []),
    profileSource: source,
  });
  options.onRecommended?.(profile, recommendation);
  return recommendation;
}

/** The RunSettings fields of `options` that are set (undefined never overrides a default). */
function definedOnly(options: VerifyOptions): Partial<RunSettings> {
  const keys = Object.keys(DEFAULT_RUN_SETTINGS).concat('threads', 'torch') as Array<keyof RunSettings>;
  return Object.fromEntries(keys.filter((k) => options[k] !== undefined).map((k) => [k, options[k]])) as Partial<RunSettings>;
}
