import type { CandidateStatus } from './verification.js';

/** Live progress events that long stages emit for the UI. Plain objects; no behaviour. */
export interface ProfileProgress {
  kind: 'profile-progress';
  done: number;
  total: number;
  skipped: number;
  /** Masks per second so far. */
  rate: number;
  etaSeconds: number | null;
}

/** One candidate's scores at a rung (mean over its seeds). */
export interface RungScore {
  candidateId: string;
  meanDice: number;
  rarestClassDice: number | null;
  perSeedMeanDice: number[];
}

/**
 * Verify's events. A candidate has one row with its seeds: `step` carries the seed; `plan` gives
 * the planned total steps of every run (it changes only at a rung, equally for every survivor);
 * `rung` the validation scores of every surviving candidate at equal steps; `elimination` a
 * candidate the racing stopped, with its evidence.
 */
export type TrainingEvent =
  | { kind: 'candidate-start'; candidateId: string; label: string; /** Display name, at most 24 characters (src/report/short-names.ts). */ shortName?: string; totalSteps: number | null; budgetSeconds: number | null; seeds?: number[] }
  | { kind: 'step'; candidateId: string; seed?: number; step: number; loss: number; lr: number; elapsedSeconds: number; etaSeconds: number | null }
  | { kind: 'candidate-end'; candidateId: string; status: CandidateStatus; detail: string | null }
  | { kind: 'evaluating'; candidateId: string }
  | { kind: 'plan'; totalSteps: number; roundSteps: number; rungSteps: number[]; reason: string }
  | { kind: 'rung'; rung: number; steps: number; scores: RungScore[] }
  | { kind: 'elimination'; candidateId: string; rung: number; steps: number; by: string; difference: number; ci: [number, number]; reason: string }
  | { kind: 'message'; text: string };
