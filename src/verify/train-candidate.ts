/**
 * Trains one candidate for a fixed number of steps: LR from the recipe's schedule per step, the
 * same seeded crops as every other candidate, divergence checks, live events, and Ctrl-C.
 */
import type { TrainingEvent } from '../contracts/events.js';
import type { CandidateStatus } from '../contracts/verification.js';
import type { CandidatePlan } from './candidates.js';
import { createCropSampler, type CropSamplerOptions, type Normalisation, type VerifyImage } from './data.js';
import { createDivergenceCheck } from './divergence.js';
import { learningRateAt, warmupSteps } from './schedule.js';
import { lossContextFor, trainableLoss, type Trainer } from './trainer.js';

export interface TrainingOutcome {
  status: CandidateStatus;
  statusDetail: string | null;
  losses: number[];
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
}

export async function trainCandidate(input: TrainCandidateInput): Promise<TrainingOutcome> {
  const { trainer, plan, totalSteps, onEvent, signal } = input;
  const recipe = plan.recipe;
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const losses: number[] = [];
  // The caller sends 'candidate-end' after it has evaluated the candidate.
  const done = (status: CandidateStatus, statusDetail: string | null): TrainingOutcome => ({ status, statusDetail, losses, wallSeconds: elapsed() });
  try {
    await trainer.reset(trainableLoss(recipe).loss, lossContextFor(recipe, input.numClasses, input.ignoreIndex), recipe.optimizer, recipe.gradientClipNorm);
    const crops = createCropSampler(input.train, input.normalisation, { ...input.sampler, rareClassOversampling: recipe.rareClassOversampling });
    const divergence = createDivergenceCheck({ warmupSteps: warmupSteps(recipe.schedule, totalSteps), totalSteps });
    for (let step = 0; step < totalSteps; step++) {
      if (signal?.aborted) return done('interrupted', `stopped by the user after ${step} of ${totalSteps} steps`);
      const lr = learningRateAt(step, totalSteps, recipe.optimizer.lr, recipe.schedule);
      const loss = await trainer.trainStep(crops.nextBatch(), lr);
      if (Number.isFinite(loss)) losses.push(loss);
      const seconds = elapsed();
      onEvent({
        kind: 'step',
        candidateId: input.eventId,
        step: step + 1,
        loss,
        lr,
        elapsedSeconds: seconds,
        etaSeconds: ((totalSteps - step - 1) * seconds) / (step + 1),
      });
      const diverged = divergence.observe(step, loss);
      if (diverged) return done('diverged', diverged);
    }
    return done('ok', null);
  } catch (error) {
    return done('failed', error instanceof Error ? error.message : String(error));
  }
}
