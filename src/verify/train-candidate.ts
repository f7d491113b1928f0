/**
 * Trains one candidate for a fixed number of steps: LR from the recipe's schedule per step, the
 * same seeded crops as every other candidate, divergence checks, live events, Ctrl-C, and (budget
 * mode) a deadline: no step is started that would end after it, judged by the mean step time so
 * far; the candidate then ends `stopped` with the steps it did (the caller still evaluates it).
 */
import type { TrainingEvent } from '../contracts/events.js';
import type { CandidateStatus } from '../contracts/verification.js';
import { systemClock, type Clock } from './budget.js';
import type { CandidatePlan } from './candidates.js';
import { createCropSampler, type CropSamplerOptions, type Normalisation, type VerifyImage } from './data.js';
import { createDivergenceCheck } from './divergence.js';
import { learningRateAt, warmupSteps } from './schedule.js';
import { lossContextFor, trainableLoss, type Trainer } from './trainer.js';

export interface TrainingOutcome {
  status: CandidateStatus;
  statusDetail: string | null;
  losses: number[];
  /** Steps trained (losses keeps only finite values). */
  stepsRun: number;
  /** Training time, without evaluation. */
  wallSeconds: number;
}

export interface TrainCandidateInput {
  trainer: Trainer;
  plan: CandidatePlan;
  /** Id used in events (plan id, suffixed with the seed when there are several). */
  eventId: string;
  train: readonly VerifyImage[];
  normalisation: Normalisation;
  sampler: Omit<CropSamplerOptions, 'rareClassOversampling'>;
  totalSteps: number;
  numClasses: number;
  ignoreIndex: number | null;
  onEvent: (event: TrainingEvent) => void;
  signal?: AbortSignal;
  /** Budget mode: stop training by this time (clock seconds); null or absent = train all steps. */
  deadline?: number | null;
  /** Budget mode: the expected seconds of a step, to judge the first step against the deadline. */
  expectedStepSeconds?: number;
  clock?: Clock;
}

/** The statusDetail of a candidate stopped at the time budget. */
export function stoppedDetail(stepsDone: number, totalSteps: number): string {
  return `stopped at the time budget after ${stepsDone} of ${totalSteps} steps`;
}

export async function trainCandidate(input: TrainCandidateInput): Promise<TrainingOutcome> {
  const { trainer, plan, totalSteps, onEvent, signal } = input;
  const recipe = plan.recipe;
  const clock = input.clock ?? systemClock;
  const deadline = input.deadline ?? null;
  const started = clock();
  const elapsed = () => clock() - started;
  const losses: number[] = [];
  let stepsRun = 0;
  // The caller sends 'candidate-end' after it has evaluated the candidate.
  const done = (status: CandidateStatus, statusDetail: string | null): TrainingOutcome => ({ status, statusDetail, losses, stepsRun, wallSeconds: elapsed() });
  try {
    await trainer.reset(trainableLoss(recipe).loss, lossContextFor(recipe, input.numClasses, input.ignoreIndex), recipe.optimizer, recipe.gradientClipNorm);
    const crops = createCropSampler(input.train, input.normalisation, { ...input.sampler, rareClassOversampling: recipe.rareClassOversampling });
    const divergence = createDivergenceCheck({ warmupSteps: warmupSteps(recipe.schedule, totalSteps), totalSteps });
    const loopStarted = clock();
    for (let step = 0; step < totalSteps; step++) {
      // Let the event loop run between steps: on one thread the engine's steps resolve as
      // microtasks only, and without this a Ctrl-C (a SIGINT handler, a macrotask) is never heard.
      await yieldToEventLoop();
      if (signal?.aborted) return done('interrupted', `stopped by the user after ${step} of ${totalSteps} steps`);
      if (deadline !== null) {
        const now = clock();
        const meanStep = step > 0 ? (now - loopStarted) / step : (input.expectedStepSeconds ?? 0);
        if (now + meanStep > deadline) return done('stopped', stoppedDetail(step, totalSteps));
      }
      const lr = learningRateAt(step, totalSteps, recipe.optimizer.lr, recipe.schedule);
      const loss = await trainer.trainStep(crops.nextBatch(), lr);
      stepsRun = step + 1;
      if (Number.isFinite(loss)) losses.push(loss);
      const seconds = elapsed();
      const eta = ((totalSteps - step - 1) * seconds) / (step + 1);
      onEvent({
        kind: 'step',
        candidateId: input.eventId,
        step: step + 1,
        loss,
        lr,
        elapsedSeconds: seconds,
        etaSeconds: deadline === null ? eta : Math.max(0, Math.min(eta, deadline - clock())),
      });
      const diverged = divergence.observe(step, loss);
      if (diverged) return done('diverged', diverged);
    }
    return done('ok', null);
  } catch (error) {
    return done('failed', error instanceof Error ? error.message : String(error));
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
