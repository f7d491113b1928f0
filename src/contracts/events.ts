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

export type TrainingEvent =
  | { kind: 'candidate-start'; candidateId: string; label: string; totalSteps: number | null; budgetSeconds: number | null }
  | { kind: 'step'; candidateId: string; step: number; loss: number; lr: number; elapsedSeconds: number; etaSeconds: number | null }
  | { kind: 'candidate-end'; candidateId: string; status: CandidateStatus; detail: string | null }
  | { kind: 'evaluating'; candidateId: string }
  | { kind: 'message'; text: string };
