import type { OBJECT_AREA_BIN_LABELS } from './profile.js';
import type { Recipe } from './recommendation.js';

/**
 * 2: lockstep rounds and racing (issue 10): settings record the validation image ids, the
 * validation fraction, the ignore index, the crop plan's seed and the rungs; candidates carry their
 * learning curve; `eliminated` is a status. Readers accept 1 and 2 (SUPPORTED_VERIFICATION_SCHEMAS).
 */
export const VERIFICATION_SCHEMA_VERSION = 2 as const;
export const SUPPORTED_VERIFICATION_SCHEMAS: readonly number[] = [1, 2];

/** The tfjs backends, in the order `auto` tries them after torch. */
export type TfjsBackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const TFJS_BACKEND_ORDER: TfjsBackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
/** Every training backend; 'torch' is PyTorch through segloss's Python runner (src/engine/torch). */
export type BackendName = 'torch' | TfjsBackendName;
export const BACKEND_ORDER: BackendName[] = ['torch', ...TFJS_BACKEND_ORDER];

export interface MetricWithCI {
  value: number;
  /** Bootstrap 95% CI over val images; null when there were too few images. */
  ci95: [number, number] | null;
}

export interface CandidateMetrics {
  meanDice: MetricWithCI;
  /** Recall of the rarest class in the training data. */
  rarestClassRecall: MetricWithCI;
  /** Dice of the rarest class (absent in reports written before it was a headline metric). */
  rarestClassDice?: MetricWithCI;
  boundaryIoU: MetricWithCI;
  perClass: Array<{ id: number; name: string; dice: number | null; recall: number | null; precision: number | null; iou: number | null; boundaryIoU: number | null }>;
  /** Coefficient of variation of the training loss over the last third of training (lower = steadier). */
  stability: number | null;
  /** Object-level metrics (src/metrics/objects.ts); absent in reports written before they existed. */
  objects?: ObjectMetrics;
}

/** One of the article's object-area bins, by the ground-truth object's area in pixels. */
export type ObjectAreaBinLabel = (typeof OBJECT_AREA_BIN_LABELS)[number];

/**
 * Object-level metrics over the foreground classes on all val images, pooled (counts summed over
 * images, then the ratio), with percentile-bootstrap 95% CIs over val images. Objects are
 * 8-connected components of one class; a ground-truth object is detected when a predicted
 * component of its class has IoU > 0.5 with it (one-to-one by construction); spurious = a
 * predicted component that overlaps no ground-truth object of its class. Pixels with the ignore
 * label hold no object and their predictions are dropped. A rate is null when its denominator is 0
 * (e.g. no ground-truth objects in a bin).
 */
export interface ObjectMetrics {
  /** Ground-truth objects, those detected (IoU > 0.5), those touched by a prediction; predicted components and spurious ones. */
  counts: { objects: number; detected: number; overlapped: number; predicted: number; spurious: number; foregroundPixels: number; images: number };
  /** Share of ground-truth objects detected (IoU > 0.5). */
  detectionRate: MetricWithCI | null;
  /** Share of ground-truth objects touched by any predicted component of their class. */
  anyOverlapRate: MetricWithCI | null;
  /** The same by the article's area bins, smallest first. */
  byArea: Array<{ bin: ObjectAreaBinLabel; objects: number; detected: number; overlapped: number; detectionRate: MetricWithCI | null; anyOverlapRate: number | null }>;
  /** Spurious predicted components per val image. */
  spuriousPerImage: MetricWithCI;
  /** Spurious predicted components per 1000 ground-truth foreground pixels; null when val has none. */
  spuriousPer1000Px: MetricWithCI | null;
  /** Per foreground class, without CIs. */
  perClass: Array<{
    id: number;
    name: string;
    objects: number;
    objectsByArea: number[];
    detectionRate: number | null;
    detectionRateByArea: Array<number | null>;
    anyOverlapRate: number | null;
    predicted: number;
    spurious: number;
    spuriousPerImage: number | null;
    spuriousPer1000Px: number | null;
  }>;
}

/**
 * How a candidate's training ended. `stopped`: a --budget run reached its time limit (the
 * candidate's share or the run's hard stop) before the candidate finished its steps; `stepsDone`
 * says how far it got (fewer than `settings.steps`; 0 = it was never started) and, when it trained
 * at least one step, it was still evaluated, so it has metrics from a shorter training (schema 1
 * only: lockstep runs end every run at the same round). `eliminated`: the racing stopped it at a
 * rung (verdict.eliminations has the evidence); its metrics are those of that rung.
 */
export type CandidateStatus = 'ok' | 'diverged' | 'interrupted' | 'failed' | 'stopped' | 'eliminated';

/** One rung of a candidate's learning curve: its validation scores at a step count, over seeds. */
export interface CurvePointResult {
  rung: number;
  steps: number;
  /** Mean over seeds of each headline metric on all validation images (NaN-free: undefined metrics left out). */
  meanDice: number;
  rarestClassDice: number | null;
  rarestClassRecall: number | null;
  /** Mean Dice per seed, in settings.seeds order. */
  perSeedMeanDice: number[];
}

export interface CandidateResult {
  id: string;
  label: string;
  isRecommended: boolean;
  recipe: Recipe;
  status: CandidateStatus;
  /** Why it diverged, failed, was interrupted or stopped, with the step. */
  statusDetail: string | null;
  stepsDone: number;
  wallSeconds: number;
  /** Training loss per step, downsampled to at most 200 points. */
  lossCurve: number[];
  metrics: CandidateMetrics | null;
  /** Across seeds when --seeds K > 1: mean and standard deviation of each headline metric. */
  seedSpread: Record<string, { mean: number; std: number }> | null;
  overlays: string[];
  /** How this candidate's recipe was derived from the recommended one (baselines), in words. */
  derivation?: string;
  /** Validation scores at each rung it reached (schema 2). */
  curve?: CurvePointResult[];
  /** Slope of its mean-Dice curve per doubling of the steps over the last rungs (null with fewer than 2 rungs). */
  slopePerDoubling?: number | null;
  /** Cross-validation (settings.folds.count > 1): mean Dice on each fold's validation images (mean over the fold's seeds), in fold order. */
  perFold?: number[];
}

/** One cross-validation fold: its seeds, its training size and the images it validates. */
export interface FoldRecord {
  fold: number;
  seeds: number[];
  trainImages: number;
  valImageIds: string[];
}

/** How verify assigned images to training and validation (src/verify/split.ts, design.ts). */
export interface FoldsSettings {
  /** 1: one split by valFraction; K > 1: K folds, every image validated in exactly one. */
  count: number;
  seedsPerFold: number;
  /** The design in words: what was chosen and why (the default rule or the flags). */
  design: string;
  /** The unit kept on one side of every split: each image on its own, or the images' groups (--group REGEX or a reader's cases). */
  grouping: { rule: 'image' | 'group'; groups: number; pattern?: string };
  assignment: FoldRecord[];
}

/**
 * One seed-paired comparison behind a verdict: (candidate - recommended) on a headline metric at
 * the final step count. `ci` includes seed-to-seed variance (src/verify/seed-stats.ts) unless
 * `seedVariance` is false (one seed: validation images only, never enough for a claim).
 */
export interface VerdictComparison {
  candidateId: string;
  /** The candidate it is compared with (the recommended recipe, or the observed best). */
  againstId: string;
  metric: string;
  difference: number;
  ci: [number, number];
  confidence: number;
  seeds: number;
  seedVariance: boolean;
  /** Smallest |difference| this comparison would call significant with 80% power. */
  minimumDetectableDifference: number;
  /** better / worse: the CI excludes 0 (after the multiplicity correction where it applies); equivalent: CI inside +-tieMargin. */
  relation: 'better' | 'worse' | 'equivalent' | 'undecided';
  /**
   * Present when `ci` is Holm-adjusted (at the level the step-down tested it at, `confidence`) over
   * this many comparisons: the interval the decision used (src/verify/verdict.ts shownInterval).
   * Absent: `ci` is at the verdict's confidence, which is what worse/equivalent decisions use.
   */
  adjustedFor?: number;
  /** 'fold': a fold-paired comparison (cross-validation); `seeds` then counts folds, and perFold holds the difference on each fold (mean over its seeds). */
  unit?: 'fold';
  perFold?: number[];
  /**
   * The standard error of `difference`, split into its two parts: over replicates (seeds, or folds
   * with `unit` 'fold') and over the validation images of one split (0 with folds: each fold's own
   * images are in the fold-to-fold spread). What limits a comparison: more replicates shrink the
   * first, only more validation images the second.
   */
  standardError?: { replicates: number; images: number };
}

/** A candidate the racing stopped at a rung, with its evidence (src/verify/racing.ts). */
export interface VerdictElimination {
  id: string;
  rung: number;
  steps: number;
  /** The rung leader it was compared with. */
  by: string;
  metric: string;
  /** Leader minus eliminated candidate (positive). */
  difference: number;
  ci: [number, number];
  reason: string;
}


export interface Verdict {
  /**
   * confirmed: the recommended recipe is significantly better than every alternative;
   * beaten: an alternative is significantly better (or the recommended recipe diverged);
   * equivalent: no alternative differs from it by more than the tie margin (CIs inside it);
   * tied: no significant difference, but not shown equivalent either (the data could not separate them);
   * inconclusive: the run cannot decide (too few seeds or images, a failure, nothing to compare).
   */
  outcome: 'confirmed' | 'beaten' | 'equivalent' | 'tied' | 'inconclusive';
  /** The best candidate by the primary metric. */
  winnerId: string | null;
  /** The verdict at a glance, at most ~100 characters (src/report/headline.ts); absent in files written before it. */
  headline?: string;
  /** One sentence a user can act on. */
  sentence: string;
  details: string[];
  /** Steps every compared candidate trained: the verdict ranks at this budget only. */
  steps?: number | null;
  /** Seeds behind each comparison. */
  seeds?: number;
  /** Practical-equivalence margin on the primary metric. */
  tieMargin?: number;
  /** A trailing candidate's learning curve would close its gap within about twice the steps. */
  orderStillMoving?: boolean;
  /** Smallest primary-metric difference this run could have called (the largest over the comparisons). */
  minimumDetectableDifference?: number | null;
  /** When not decided: roughly what would decide it (`seeds` per fold when `perFold`, a cross-validation run; absent = false). */
  toResolve?: { seeds: number | null; perFold?: boolean; budgetMultiplier: number | null; valImagesMultiplier: number | null; text: string } | null;
  comparisons?: VerdictComparison[];
  eliminations?: VerdictElimination[];
}

/** --precision: the forward pass's arithmetic on the torch backend (fp32 reproduces; bf16/fp16 autocast, the loss in fp32). */
export type TorchPrecision = 'fp32' | 'bf16' | 'fp16';
export const TORCH_PRECISIONS: TorchPrecision[] = ['fp32', 'bf16', 'fp16'];

/** How the torch backend trained (absent on the tfjs backends and in reports written before these were recorded). */
export interface TorchRunSettings {
  precision: TorchPrecision;
  /** --deterministic (default true): cuDNN's deterministic kernels and no autotuner; false lets cuDNN pick kernels by timing. */
  deterministic: boolean;
  /** Whether the training images were uploaded to the device once (a GPU they fit on) or cut on the host. */
  dataOnDevice: boolean;
}

export interface VerificationReport {
  schemaVersion: typeof VERIFICATION_SCHEMA_VERSION;
  kind: 'VerificationReport';
  createdAt: string;
  tool: { name: 'segloss'; version: string };
  backend: {
    name: BackendName;
    detail: string;
    threads: number;
    skipped: Array<{ name: BackendName; why: string }>;
    /** verify --cluster: the Dask scheduler, each worker's device and threads, the runner code uploaded. */
    cluster?: { scheduler: string; workers: Array<{ address: string; device: string; threads: number; torch: string | null }>; code: string | null; cacheDir: string | null; recoveries: Array<{ from: string; to: string; why: string }> };
    /** The torch backend: --precision, --deterministic and where the training images lived. */
    torch?: TorchRunSettings;
  };
  settings: {
    steps: number | null;
    budgetSeconds: number | null;
    /** --budget runs: the hard stop, in seconds from the start of training (budget x grace); absent with --steps. */
    timeLimitSeconds?: number;
    /** The training seed of every replicate (fold-major with folds: settings.folds.assignment says which fold). */
    seeds: number[];
    cropSize: number;
    batchSize: number;
    model: { depth: number; baseWidth: number; parameters: number };
    trainImages: number;
    valImages: number;
    rarestClassId: number;
    primaryMetric: 'meanDice';
    /** Class names by id, as the report's per-class rows use them. */
    classNames?: string[];
    /** Mean Dice on val of predicting the background class everywhere (without one, the most frequent training class): what "learned nothing" scores. */
    allBackgroundMeanDice?: number;
    /** Schema 2, to reproduce the comparison outside segloss: */
    /** Ids of the validation images, in the order they were scored (with folds: every image, fold by fold). */
    valImageIds?: string[];
    /** Folds and grouping (schema 2 files written before issue 22 lack it: one split by image, settings.seeds seeds). */
    folds?: FoldsSettings;
    valFraction?: number;
    /** Label value excluded from training and scoring (null: none). */
    ignoreIndex?: number | null;
    /** Input channels of the network: one per image band trained on (1 grey, 3 RGB, N bands). */
    inputChannels?: number;
    /** --bands: the image bands trained on, 1-based, in input-channel order; null = every band. */
    bands?: number[] | null;
    /** Seed of each run's crop plan (every candidate of a seed gets the same plan, given the same oversampling). */
    cropSeeds?: number[];
    /** Seed of the train/val split. */
    splitSeed?: number;
    /** Steps per lockstep round, and the rungs: steps at which every surviving run was scored. */
    roundSteps?: number;
    rungs?: Array<{ rung: number; steps: number; candidates: string[] }>;
    /** Practical-equivalence margin on mean Dice (--tie-margin). */
    tieMargin?: number;
    /**
     * The run's family-wise error budget (src/verify/error-budget.ts): the verdict's confidence and
     * what racing could spend in all (`racingAlpha`, by the spending function alpha x t^spendingPower)
     * and what each rung that raced spent; together at most 1 - confidence. Files written before the
     * spending function carry an even split instead: `racingAlphaPerRung` at each of up to `racingRungs` rungs.
     */
    errorBudget?: {
      confidence: number;
      verdictConfidence: number;
      racingAlpha?: number;
      spendingPower?: number;
      racingSpent?: Array<{ rung: number; steps: number; alpha: number }>;
      racingAlphaPerRung?: number;
      racingRungs?: number;
    };
    /** Budget mode: the measured seconds of one training step and of scoring one run on validation. */
    measured?: { secondsPerStep: number; evalSeconds: number } | null;
  };
  candidates: CandidateResult[];
  verdict: Verdict;
  interrupted: boolean;
  /** What the run decided on its own (subset taken, crop size lowered, candidates dropped as duplicates, recipe parts not trainable). */
  notes?: string[];
  /**
   * With --out: the contact sheet PNG (the first val images, one row each: image | ground truth |
   * each candidate's prediction, with a class-colour legend). Absent without --out.
   */
  contactSheet?: string;
}
