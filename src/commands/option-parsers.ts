/**
 * Commander argument parsers shared by the commands, and the bounds of every numeric flag as data
 * (LIMITS). A value out of its bound is a usage error (exit 2) before any work starts: an
 * unbounded flag could otherwise ask for a billion seeds (V8 out of memory), a thousand threads,
 * a 13 GB batch or a 100000-hour budget. Each flag's help text states its bound (`rangeText`).
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from 'commander';
import { UserError } from '../common/errors.js';
import { MAX_STEPS_PER_RUN } from '../verify/budget.js';

export interface NumericLimit {
  min: number;
  max: number;
  /** Whole numbers only. */
  integer: boolean;
}

/** Threads beyond twice the cores only add memory (one model replica each) and contention. */
export const MAX_THREADS = Math.min(64, 2 * availableParallelism());

/** Bounds of the numeric flags, by flag name. */
export const LIMITS = {
  /** Seeds of the PRNG are 32-bit. */
  seed: { min: 0, max: 0xffffffff, integer: true },
  /** Each seed repeats every candidate; 50 seeds of five candidates is already hours. */
  seeds: { min: 1, max: 50, integer: true },
  /** Cross-validation folds: each repeats every candidate; 20 is leave-one-out on 20 groups. */
  folds: { min: 1, max: 20, integer: true },
  threads: { min: 1, max: MAX_THREADS, integer: true },
  workers: { min: 0, max: MAX_THREADS, integer: true },
  /** Crops per step; the memory check (training-memory.ts) bounds batch x crop x width further. */
  batch: { min: 1, max: 1024, integer: true },
  crop: { min: 8, max: 1024, integer: true },
  /** The same bound caps the steps a --budget plans (verify/budget.ts). */
  steps: { min: 1, max: MAX_STEPS_PER_RUN, integer: true },
  /** --budget, in seconds: up to a day. */
  budgetSeconds: { min: 1, max: 24 * 3600, integer: false },
  'model-depth': { min: 1, max: 6, integer: true },
  'model-width': { min: 2, max: 64, integer: true },
  'val-fraction': { min: 0.01, max: 0.9, integer: false },
  'max-images': { min: 2, max: 5000, integer: true },
  /** profile/recommend --sample: pairs in the subset. */
  sample: { min: 1, max: 10_000_000, integer: true },
  /** segloss sample --images / --size. */
  'sample-images': { min: 1, max: 100_000, integer: true },
  'sample-size': { min: 32, max: 4096, integer: true },
  'demo-images': { min: 4, max: 400, integer: true },
  fraction: { min: 0, max: 1, integer: false },
  /** verify --tie-margin: a mean-Dice difference that does not matter; beyond 0.25 nothing would ever differ. */
  'tie-margin': { min: 0, max: 0.25, integer: false },
} as const satisfies Record<string, NumericLimit>;

export type LimitName = keyof typeof LIMITS;

function formatBound(n: number): string {
  return n === 0xffffffff ? '2^32-1' : Number.isInteger(n) && n >= 10_000 ? n.toLocaleString('en-US').replace(/,/g, '_') : String(n);
}

/** "1..50" for the help text and messages. */
export function rangeText(limit: NumericLimit): string {
  return `${formatBound(limit.min)}..${formatBound(limit.max)}`;
}

/** A parser for a number within `limit` (an empty string is not 0). */
export function bounded(limit: NumericLimit) {
  return (value: string): number => {
    const n = Number(value);
    const ok = value.trim() !== '' && Number.isFinite(n) && (!limit.integer || Number.isInteger(n)) && n >= limit.min && n <= limit.max;
    if (!ok) throw new InvalidArgumentError(`expected ${limit.integer ? 'a whole number' : 'a number'} in ${rangeText(limit)}, got "${value}"`);
    return n;
  };
}

/** A parser for the flag `name` of LIMITS. */
export function limited(name: LimitName): (value: string) => number {
  return bounded(LIMITS[name]);
}

/** The help text of a bounded flag: its description and its range. */
export function withRange(description: string, name: LimitName): string {
  return `${description} (${rangeText(LIMITS[name])})`;
}

/** A whole number in [min, max] (an empty string is not 0). */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
      throw new InvalidArgumentError(`expected a whole number ${range}, got "${value}"`);
    }
    return n;
  };
}

/** A number strictly between 0 and 1 (e.g. a validation share). */
export function openFraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a number between 0 and 1, got "${value}"`);
  return n;
}

/** A number in [0, 1]. */
export function closedFraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a number in [0, 1], got "${value}"`);
  return n;
}

/** Checks a parsed --budget (seconds) against its bound: a day at most. */
export function checkBudgetSeconds(seconds: number, text: string): number {
  const { max } = LIMITS.budgetSeconds;
  if (seconds > max) {
    throw new UserError(`--budget ${text} is longer than the limit of ${max / 3600}h`, {
      fix: 'verify is a short comparison: a budget of minutes is usual (e.g. --budget 10m); for a long fixed run use --steps N',
    });
  }
  return seconds;
}

/** Repeatable file options (--rules) take at most this many files. */
export const MAX_REPEATED = 32;

/** Collects a repeatable option into a list (at most MAX_REPEATED values). */
export function collect(value: string, previous: string[]): string[] {
  if (previous.length >= MAX_REPEATED) throw new InvalidArgumentError(`at most ${MAX_REPEATED} files, got more`);
  return [...previous, value];
}
