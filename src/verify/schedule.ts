import type { Recipe } from '../contracts/recommendation.js';

/** Default exponent of the poly schedule when a recipe leaves `power` null (nnU-Net: 0.9). */
export const DEFAULT_POLY_POWER = 0.9;

/** Number of linear warm-up steps for a schedule over `totalSteps`. */
export function warmupSteps(schedule: Recipe['schedule'], totalSteps: number): number {
  return Math.min(totalSteps, Math.max(0, Math.round(schedule.warmupFraction * totalSteps)));
}

/**
 * Learning rate for the 0-based `step` of `totalSteps`.
 * - Warm-up: linear from lr/W to lr over the first W = round(warmupFraction * totalSteps) steps.
 * - Then, with t running from 0 to 1 over the remaining steps and minLr = lr * minLrFactor:
 *   constant: lr; cosine: minLr + (lr - minLr) * (1 + cos(pi t)) / 2;
 *   poly: minLr + (lr - minLr) * (1 - t)^power (power defaults to 0.9).
 */
export function learningRateAt(step: number, totalSteps: number, baseLr: number, schedule: Recipe['schedule']): number {
  const warmup = warmupSteps(schedule, totalSteps);
  if (step < warmup) return (baseLr * (step + 1)) / warmup;
  if (schedule.name === 'constant') return baseLr;
  const decaySteps = Math.max(1, totalSteps - warmup);
  const t = Math.min(1, Math.max(0, (step - warmup) / decaySteps));
  const minLr = baseLr * schedule.minLrFactor;
  if (schedule.name === 'cosine') return minLr + ((baseLr - minLr) * (1 + Math.cos(Math.PI * t))) / 2;
  const power = schedule.power ?? DEFAULT_POLY_POWER;
  return minLr + (baseLr - minLr) * Math.pow(1 - t, power);
}
