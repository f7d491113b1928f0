/**
 * The live verify dashboard's state: a pure reducer over TrainingEvents, and a tiny store the
 * Ink hook subscribes to (so the training loop can push events without knowing about React).
 */
import type { RungScore, TrainingEvent } from '../contracts/events.js';
import type { VerificationReport } from '../contracts/verification.js';

export type RowStatus = 'training' | 'evaluating' | 'ok' | 'diverged' | 'interrupted' | 'failed' | 'stopped' | 'eliminated';

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
  /** The candidate's seeds (one run each, advancing in lockstep) and each seed's steps so far. */
  seeds: number[];
  seedSteps: Record<number, number>;
  /** Mean Dice (over seeds) at each rung so far. */
  rungDice: number[];
  /** The last rung's rarest-class Dice (mean over seeds). */
  rarestDice: number | null;
}

/** A candidate the racing stopped, as the dashboard lists it. */
export interface EliminationRow {
  candidateId: string;
  rung: number;
  steps: number;
  difference: number;
  ci: [number, number];
  reason: string;
}

export interface VerifyState {
  rows: CandidateRow[];
  /** Planned steps per run, steps per round and the rung step counts (they change only at a rung). */
  plan: { totalSteps: number; roundSteps: number; rungSteps: number[] } | null;
  /** Rungs scored so far: steps and the scores of each surviving candidate. */
  rungs: Array<{ rung: number; steps: number; scores: RungScore[] }>;
  eliminations: EliminationRow[];
  /** The latest messages, newest last. */
  messages: string[];
  report: VerificationReport | null;
}

export const MAX_LOSS_POINTS = 240;
const MAX_MESSAGES = 3;

export const INITIAL_VERIFY_STATE: VerifyState = { rows: [], plan: null, rungs: [], eliminations: [], messages: [], report: null };

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
        id: event.candidateId, label: event.shortName ?? event.label, status: 'training', step: 0, totalSteps: event.totalSteps,
        budgetSeconds: event.budgetSeconds, losses: [], lastLoss: null, elapsedSeconds: 0, etaSeconds: null, detail: null,
        seeds: event.seeds ?? [], seedSteps: {}, rungDice: [], rarestDice: null,
      };
      const exists = state.rows.some((r) => r.id === event.candidateId);
      return { ...state, rows: exists ? state.rows.map((r) => (r.id === row.id ? row : r)) : [...state.rows, row] };
    }
    case 'step':
      // The row's step is its slowest seed's (they meet at every round); the sparkline follows the first seed.
      return updateRow(state, event.candidateId, (row) => {
        const seedSteps = event.seed === undefined ? row.seedSteps : { ...row.seedSteps, [event.seed]: event.step };
        const firstSeed = event.seed === undefined || event.seed === (row.seeds[0] ?? event.seed);
        const stepsBySeed = Object.values(seedSteps);
        return {
          ...row, status: 'training', seedSteps, step: stepsBySeed.length ? Math.min(...stepsBySeed, event.step) : event.step,
          losses: firstSeed ? appendLoss(row.losses, event.loss) : row.losses, lastLoss: firstSeed ? event.loss : row.lastLoss,
          elapsedSeconds: event.elapsedSeconds, etaSeconds: event.etaSeconds,
        };
      });
    case 'plan':
      return {
        ...state,
        plan: { totalSteps: event.totalSteps, roundSteps: event.roundSteps, rungSteps: event.rungSteps },
        rows: state.rows.map((row) => (row.status === 'training' || row.status === 'evaluating' ? { ...row, totalSteps: event.totalSteps } : row)),
      };
    case 'rung': {
      const byId = new Map(event.scores.map((s) => [s.candidateId, s]));
      return {
        ...state,
        rungs: [...state.rungs, { rung: event.rung, steps: event.steps, scores: event.scores }],
        rows: state.rows.map((row) => {
          const score = byId.get(row.id);
          return score ? { ...row, status: row.status === 'evaluating' ? 'training' : row.status, rungDice: [...row.rungDice, score.meanDice], rarestDice: score.rarestClassDice } : row;
        }),
      };
    }
    case 'elimination':
      return { ...state, eliminations: [...state.eliminations, { candidateId: event.candidateId, rung: event.rung, steps: event.steps, difference: event.difference, ci: event.ci, reason: event.reason }] };
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
  if (row.status === 'ok') return 1;
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
