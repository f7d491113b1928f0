import type { Recipe } from './recommendation.js';

export const VERIFICATION_SCHEMA_VERSION = 1 as const;

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
  boundaryIoU: MetricWithCI;
  perClass: Array<{ id: number; name: string; dice: number | null; recall: number | null; precision: number | null; iou: number | null; boundaryIoU: number | null }>;
  /** Coefficient of variation of the training loss over the last third of training (lower = steadier). */
  stability: number | null;
}

/**
 * How a candidate's training ended. `stopped`: a --budget run reached its time limit (the
 * candidate's share or the run's hard stop) before the candidate finished its steps; `stepsDone`
 * says how far it got (fewer than `settings.steps`; 0 = it was never started) and, when it trained
 * at least one step, it was still evaluated, so it has metrics from a shorter training.
 */
export type CandidateStatus = 'ok' | 'diverged' | 'interrupted' | 'failed' | 'stopped';

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
}

export interface Verdict {
  outcome: 'confirmed' | 'tied' | 'beaten' | 'inconclusive';
  /** The best candidate by the primary metric. */
  winnerId: string | null;
  /** One sentence a user can act on. */
  sentence: string;
  details: string[];
}

export interface VerificationReport {
  schemaVersion: typeof VERIFICATION_SCHEMA_VERSION;
  kind: 'VerificationReport';
  createdAt: string;
  tool: { name: 'segloss'; version: string };
  backend: { name: BackendName; detail: string; threads: number; skipped: Array<{ name: BackendName; why: string }> };
  settings: {
    steps: number | null;
    budgetSeconds: number | null;
    /** --budget runs: the hard stop, in seconds from the start of training (budget x grace); absent with --steps. */
    timeLimitSeconds?: number;
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
    /** Mean Dice on val of predicting background (class 0) everywhere: what "learned nothing" scores. */
    allBackgroundMeanDice?: number;
  };
  candidates: CandidateResult[];
  verdict: Verdict;
  interrupted: boolean;
  /** What the run decided on its own (subset taken, crop size lowered, candidates dropped as duplicates, recipe parts not trainable). */
  notes?: string[];
}
