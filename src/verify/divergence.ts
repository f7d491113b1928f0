/**
 * Divergence detection for one candidate's training loss.
 *
 * A candidate diverges when
 *  - a step's loss is NaN or infinite, or
 *  - after warm-up, the loss stays above EXPLOSION_FACTOR x the reference for EXPLOSION_PATIENCE
 *    consecutive steps, where the reference is the median loss of the first `referenceSteps` steps
 *    after warm-up (max(5, 5% of the steps)), floored at REFERENCE_FLOOR so a loss that is already
 *    near zero cannot "explode" by a rounding-sized change.
 *  - from the second step on, warm-up included, the loss stays above RUNAWAY_FACTOR x the first
 *    step's loss (the untrained model's, floored at REFERENCE_FLOOR) for EXPLOSION_PATIENCE
 *    consecutive steps: a recipe whose LR is far too high (1e4, 1e8) blows up within its first
 *    steps, before the early median is taken, and would otherwise be measured against itself.
 * One isolated spike is tolerated: CE with a high LR often spikes once and recovers.
 */
export const EXPLOSION_FACTOR = 10;
/** Far above what a sane loss reaches from its first batch (CE from a tiny first-batch loss rises ~30x). */
export const RUNAWAY_FACTOR = 1000;
export const EXPLOSION_PATIENCE = 3;
export const REFERENCE_FLOOR = 0.01;

export interface DivergenceCheck {
  /** Feed the loss of 0-based `step`; returns why it diverged, or null while training is sane. */
  observe(step: number, loss: number): string | null;
}

export function referenceStepCount(totalSteps: number): number {
  return Math.max(5, Math.ceil(0.05 * totalSteps));
}

export function createDivergenceCheck(options: { warmupSteps: number; totalSteps: number }): DivergenceCheck {
  const referenceSteps = referenceStepCount(options.totalSteps);
  const early: number[] = [];
  let reference: number | null = null;
  let above = 0;
  let first: number | null = null;
  let runaway = 0;
  return {
    observe(step, loss) {
      if (!Number.isFinite(loss)) return `loss became ${Number.isNaN(loss) ? 'NaN' : 'infinite'} at step ${step + 1}`;
      if (first === null) first = Math.max(loss, REFERENCE_FLOOR);
      else runaway = loss > RUNAWAY_FACTOR * first ? runaway + 1 : 0;
      if (runaway >= EXPLOSION_PATIENCE) {
        return `loss exploded at step ${step + 1}: ${formatLoss(loss)} > ${RUNAWAY_FACTOR}x the first step's ${formatLoss(first)} for ${EXPLOSION_PATIENCE} steps (is the learning rate far too high?)`;
      }
      if (step < options.warmupSteps) return null;
      if (reference === null) {
        early.push(loss);
        if (early.length === referenceSteps) reference = Math.max(median(early), REFERENCE_FLOOR);
        return null;
      }
      above = loss > EXPLOSION_FACTOR * reference ? above + 1 : 0;
      if (above >= EXPLOSION_PATIENCE) {
        return `loss exploded at step ${step + 1}: ${formatLoss(loss)} > ${EXPLOSION_FACTOR}x its early median ${formatLoss(reference)} for ${EXPLOSION_PATIENCE} steps`;
      }
      return null;
    },
  };
}

export function median(values: readonly number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function formatLoss(x: number): string {
  return x.toPrecision(3);
}
