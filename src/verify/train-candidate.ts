/**
 * One candidate x seed run in lockstep, and one round of it: the round's steps come from the
 * run's own crop planner (same seed and oversampling: the same crops for every candidate), the
 * learning rate from the recipe's schedule over the run's current planned total, the progress is
 * step / total; the losses are checked for divergence as they come back. The orchestration
 * (src/verify/run.ts) decides how many steps a round has and which runs take part.
 */
import type { TrainingEvent } from '../contracts/events.js';
import type { CandidateStatus } from '../contracts/verification.js';
import type { EngineRun, StepPlan } from '../engine/types.js';
import type { CandidatePlan } from './candidates.js';
import type { CropPlanner } from './data.js';
import { createDivergenceCheck, type DivergenceCheck } from './divergence.js';
import { learningRateAt, warmupSteps } from './schedule.js';

export type RunStatus = 'training' | CandidateStatus;

/** One candidate x seed: its engine run and where it is. */
export interface SeedRun {
  /** "focal#1" (candidate id and seed), unique within the verification. */
  id: string;
  plan: CandidatePlan;
  seed: number;
  /** Cross-validation fold (0 with one split): the run trains on its fold's training part and is scored on its validation part. */
  fold: number;
  run: EngineRun;
  planner: CropPlanner;
  divergence: DivergenceCheck;
  /** Finite training losses, one per step (non-finite ones are left out). */
  losses: number[];
  stepsDone: number;
  status: RunStatus;
  detail: string | null;
  /** Seconds this run spent in training steps. */
  trainSeconds: number;
}

export function createSeedRun(p: { id: string; plan: CandidatePlan; seed: number; fold?: number; run: EngineRun; planner: CropPlanner; totalSteps: number }): SeedRun {
  const divergence = createDivergenceCheck({ warmupSteps: warmupSteps(p.plan.recipe.schedule, p.totalSteps), totalSteps: p.totalSteps });
  return { id: p.id, plan: p.plan, seed: p.seed, fold: p.fold ?? 0, run: p.run, planner: p.planner, divergence, losses: [], stepsDone: 0, status: 'training', detail: null, trainSeconds: 0 };
}

/** The step plans of a run's next `count` steps under a planned total of `totalSteps`. */
export function nextSteps(run: Pick<SeedRun, 'planner' | 'plan' | 'stepsDone'>, count: number, totalSteps: number): StepPlan[] {
  const { optimizer, schedule } = run.plan.recipe;
  return Array.from({ length: count }, (_, k) => {
    const step = run.stepsDone + k;
    return { batch: run.planner.nextBatchPlan(), learningRate: learningRateAt(step, totalSteps, optimizer.lr, schedule), progress: Math.min(1, step / totalSteps) };
  });
}

export interface RoundContext {
  totalSteps: number;
  onEvent: (event: TrainingEvent) => void;
  signal?: AbortSignal;
  clock: () => number;
  /** Seconds since training started, for the step events. */
  elapsed: () => number;
  /** Estimated seconds to the end of training, for the step events. */
  eta: () => number | null;
}

/**
 * Trains `count` steps of one run. Ends the run `diverged` at the first divergent loss, `failed`
 * when the engine throws, `interrupted` when the signal stopped it inside the round.
 */
export async function trainRound(run: SeedRun, count: number, ctx: RoundContext): Promise<void> {
  if (run.status !== 'training' || count <= 0) return;
  const steps = nextSteps(run, count, ctx.totalSteps);
  const started = ctx.clock();
  let losses: number[];
  try {
    losses = await run.run.train(steps, ctx.signal);
  } catch (error) {
    run.status = 'failed';
    run.detail = error instanceof Error ? error.message : String(error);
    return;
  } finally {
    run.trainSeconds += ctx.clock() - started;
  }
  for (let k = 0; k < losses.length; k++) {
    const step = run.stepsDone;
    const loss = losses[k];
    run.stepsDone++;
    if (Number.isFinite(loss)) run.losses.push(loss);
    ctx.onEvent({ kind: 'step', candidateId: run.plan.id, seed: run.seed, step: run.stepsDone, loss, lr: steps[k].learningRate, elapsedSeconds: ctx.elapsed(), etaSeconds: ctx.eta() });
    const diverged = run.divergence.observe(step, loss);
    if (diverged) {
      run.status = 'diverged';
      run.detail = diverged;
      return;
    }
  }
  if (losses.length < count) {
    run.status = 'interrupted';
    run.detail = `stopped by the user after ${run.stepsDone} steps`;
  }
}
