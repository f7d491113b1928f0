import { UserError } from '../common/errors.js';
import { createCropSampler, type CropSamplerOptions, type Normalisation, type VerifyImage } from './data.js';
import type { Trainer } from './trainer.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/**
 * Parses a time budget such as `90s`, `5m`, `1h` or `1m30s` into seconds.
 * A bare number is read as seconds.
 */
export function parseBudget(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return checkPositive(Number(trimmed), text);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)([smh])/g)];
  const consumed = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || consumed !== trimmed) {
    throw new UserError(`--budget "${text}" is not a duration`, { fix: 'write it like 90s, 5m, 1h or 1m30s' });
  }
  const seconds = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_SECONDS[p[2]], 0);
  return checkPositive(seconds, text);
}

function checkPositive(seconds: number, text: string): number {
  if (!(seconds > 0)) throw new UserError(`--budget "${text}" must be longer than zero`, { fix: 'for example --budget 5m' });
  return seconds;
}

/** Formats seconds the way --budget accepts them, e.g. 300 -> "5m", 90 -> "1m30s". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${rest ? `${rest}s` : ''}`;
}

/** Budget mode: fewer steps than this per candidate and the budget is too small to mean anything. */
export const MIN_BUDGET_STEPS = 10;
/** Budget mode: share of each candidate's slice kept for training (the rest: evaluation, overhead). */
const TRAINING_SHARE_OF_BUDGET = 0.85;

/** Seconds on a monotonic clock; injectable so tests can drive the time budget without sleeping. */
export type Clock = () => number;
export const systemClock: Clock = () => performance.now() / 1000;

/**
 * Budget mode's hard stop: the run ends training by budget x BUDGET_GRACE (at least budget +
 * MIN_GRACE_SECONDS) after training starts. Why 1.25: the plan fills only 85% of each slice with
 * estimated training and evaluation, so a run that goes as calibrated ends near 0.85-1.0 x budget;
 * timing five steps on a shared CPU is off by 10-20% (timer jitter, JIT and kernel warm-up, a new
 * loss's first step), so a stop at 1.0 x budget would cut ordinary runs and break the equal-steps
 * comparison for nothing. At 1.25 the training part must run about 1.5x slower than measured
 * (1.25 / 0.85) before anything stops — a real slowdown (another process, throttling), not noise.
 * The floor covers fixed per-candidate costs (trainer reset, first-step compile) that dominate
 * very small budgets.
 */
export const BUDGET_GRACE = 1.25;
export const MIN_GRACE_SECONDS = 10;

/** The hard stop of a --budget run, in seconds from the start of training. */
export function timeLimitFor(budgetSeconds: number): number {
  return Math.max(budgetSeconds * BUDGET_GRACE, budgetSeconds + MIN_GRACE_SECONDS);
}

/**
 * The deadline of one candidate's training (clock seconds), or null when there is no time left
 * to start it. Design: the time left until the run's hard stop is shared equally among the
 * slices (candidate x seed runs) not yet run, and this slice gets one share, minus the time its
 * evaluation is expected to take (evaluation is not cut: a trained candidate always gets its
 * metrics). So a slow candidate can use at most its own share and never the others'; time a fast
 * candidate leaves unused goes to those after it; and the last slice's training ends in time to be
 * evaluated by the hard stop. Null when even one step (at the latest measured pace) does not fit.
 */
export function sliceDeadline(now: number, runDeadline: number, slicesLeft: number, evalSeconds: number, secondsPerStep: number): number | null {
  const share = (runDeadline - now) / Math.max(1, slicesLeft);
  const deadline = now + share - evalSeconds;
  return deadline - now >= secondsPerStep ? deadline : null;
}

export interface BudgetPlan {
  /** Steps per candidate (per seed), equal for all. */
  steps: number;
  /** Measured seconds per training step (plain CE). */
  secondsPerStep: number;
  /** Estimated seconds to evaluate one candidate on val. */
  evalSeconds: number;
}

/**
 * Budget mode: time training steps (plain CE; three untimed warm-up steps, as the first steps
 * of a fresh engine are slow, then five timed), then
 * give each of the `slices` (candidates x seeds) an equal number of steps so that training fills
 * 85% of its slice after an estimate of evaluation time (a forward pass over the val pixels,
 * costed at a third of a training step per batch of crops). The trainer is reset afterwards.
 */
export async function stepsForBudget(
  trainer: Trainer,
  ctx: {
    train: readonly VerifyImage[];
    normalisation: Normalisation;
    sampler: Omit<CropSamplerOptions, 'rareClassOversampling'>;
    numClasses: number;
    ignoreIndex: number | null;
    /** Pixels of all val images, to estimate evaluation time. */
    valPixels: number;
    budgetSeconds: number;
    /** Equal shares of the budget: candidates x seeds. */
    slices: number;
    clock?: Clock;
  },
): Promise<BudgetPlan> {
  const clock = ctx.clock ?? systemClock;
  // Timed with plain CE (the trainer is reset by every candidate anyway), so a recipe the loss
  // library rejects fails only its own candidate, not the whole run.
  await trainer.reset({ name: 'ce', params: {} }, { numClasses: ctx.numClasses, ignoreIndex: ctx.ignoreIndex, classWeights: null, scaleAware: null }, { name: 'adam', lr: 1e-3, weightDecay: 0, momentum: null, nesterov: false }, null);
  const crops = createCropSampler(ctx.train, ctx.normalisation, { ...ctx.sampler, rareClassOversampling: 0 });
  for (let i = 0; i < 3; i++) await trainer.trainStep(crops.nextBatch(), 0);
  const timed = 5;
  const start = clock();
  for (let i = 0; i < timed; i++) await trainer.trainStep(crops.nextBatch(), 0);
  const secondsPerStep = (clock() - start) / timed;
  const evalSeconds = evaluationSeconds(ctx.valPixels, ctx.sampler, secondsPerStep);
  const slice = ctx.budgetSeconds / ctx.slices;
  const steps = Math.floor((slice * TRAINING_SHARE_OF_BUDGET - evalSeconds) / secondsPerStep);
  if (steps < MIN_BUDGET_STEPS) {
    throw new UserError(
      `a budget of ${ctx.budgetSeconds}s leaves ${Math.max(0, steps)} training steps per candidate (one step takes ${secondsPerStep.toFixed(2)}s here)`,
      { fix: `give at least --budget ${Math.ceil(((MIN_BUDGET_STEPS * secondsPerStep + evalSeconds) * ctx.slices) / TRAINING_SHARE_OF_BUDGET)}s, or fewer --candidates, or --steps N` },
    );
  }
  return { steps, secondsPerStep, evalSeconds };
}

/** Estimated evaluation time: a forward pass over the val pixels at a third of a training step per batch of crops. */
export function evaluationSeconds(valPixels: number, sampler: { cropSize: number; batchSize: number }, secondsPerStep: number): number {
  return ((valPixels / (sampler.cropSize ** 2 * sampler.batchSize)) * secondsPerStep) / 3;
}
