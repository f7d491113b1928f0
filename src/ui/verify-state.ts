/**
 * The live verify dashboard's state: a pure reducer over TrainingEvents, and a tiny store the
 * Ink hook subscribes to (so the training loop can push events without knowing about React).
 */
import type { TrainingEvent } from '../contracts/events.js';
import type { VerificationReport } from '../contracts/verification.js';

export type RowStatus = 'training' | 'evaluating' | 'ok' | 'diverged' | 'interrupted' | 'failed' | 'stopped';

export interface CandidateRow {
  id: string;
  label: string;
  status: RowStatus;
  step: number;
  totalSteps: number | null;
  budgetSeconds: number | null;
  /** Loss history, thinned to at most MAX_LOSS_POINTS by keeping every other point when full. */
  losses: number[];
  lastLoss: number | null;
  elapsedSeconds: number;
  etaSeconds: number | null;
  detail: string | null;
}

export interface VerifyState {
  rows: CandidateRow[];
  /** The latest messages, newest last. */
  messages: string[];
  report: VerificationReport | null;
}

export const MAX_LOSS_POINTS = 240;
const MAX_MESSAGES = 3;

export const INITIAL_VERIFY_STATE: VerifyState = { rows: [], messages: [], report: null };

function updateRow(state: VerifyState, id: string, update: (row: CandidateRow) => CandidateRow): VerifyState {
  return { ...state, rows: state.rows.map((row) => (row.id === id ? update(row) : row)) };
}

function appendLoss(losses: number[], loss: number): number[] {
  const next = [...losses, loss];
  // Halve the resolution when full so the sparkline always spans the whole run.
  return next.length > MAX_LOSS_POINTS ? next.filter((_, index) => index % 2 === 1 || index === next.length - 1) : next;
}

export function reduceVerifyEvent(state: VerifyState, event: TrainingEvent): VerifyState {
  switch (event.kind) {
    case 'candidate-start': {
      const row: CandidateRow = {
        id: event.candidateId, label: event.label, status: 'training', step: 0, totalSteps: event.totalSteps,
        budgetSeconds: event.budgetSeconds, losses: [], lastLoss: null, elapsedSeconds: 0, etaSeconds: null, detail: null,
      };
      const exists = state.rows.some((r) => r.id === event.candidateId);
      return { ...state, rows: exists ? state.rows.map((r) => (r.id === row.id ? row : r)) : [...state.rows, row] };
    }
    case 'step':
      return updateRow(state, event.candidateId, (row) => ({
        ...row, step: event.step, losses: appendLoss(row.losses, event.loss), lastLoss: event.loss,
        elapsedSeconds: event.elapsedSeconds, etaSeconds: event.etaSeconds,
      }));
    case 'evaluating':
      return updateRow(state, event.candidateId, (row) => ({ ...row, status: 'evaluating', etaSeconds: null }));
    case 'candidate-end':
      return updateRow(state, event.candidateId, (row) => ({ ...row, status: event.status, detail: event.detail, etaSeconds: null }));
    case 'message':
      return { ...state, messages: [...state.messages, event.text].slice(-MAX_MESSAGES) };
  }
}

/** Share of a candidate's run that is done, for its progress bar. */
export function rowProgress(row: CandidateRow): number {
  if (row.status === 'ok' || row.status === 'evaluating') return 1;
  if (row.totalSteps) return Math.min(1, row.step / row.totalSteps);
  if (row.budgetSeconds) return Math.min(1, row.elapsedSeconds / row.budgetSeconds);
  if (row.etaSeconds !== null && row.elapsedSeconds + row.etaSeconds > 0) return row.elapsedSeconds / (row.elapsedSeconds + row.etaSeconds);
  return 0;
}

export interface VerifyStore {
  getState(): VerifyState;
  dispatch(event: TrainingEvent): void;
  setReport(report: VerificationReport): void;
  subscribe(listener: () => void): () => void;
}

export function createVerifyStore(): VerifyStore {
  let state = INITIAL_VERIFY_STATE;
  const listeners = new Set<() => void>();
  const publish = (next: VerifyState) => {
    state = next;
    for (const listener of listeners) listener();
  };
  return {
    getState: () => state,
    dispatch: (event) => publish(reduceVerifyEvent(state, event)),
    setReport: (report) => publish({ ...state, report }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
