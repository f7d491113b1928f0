/**
 * The time budget of a lockstep verification: durations, the calibration (time a few training
 * steps and one validation scoring on a throw-away run), the planned step count, the rungs and
 * their re-planning. Why evaluation is budgeted too: on 512 px data scoring the validation set took
 * 28-38 s a run, and a 90 s budget that ignored it ended with 0 training steps; now the plan pays
 * for every rung's scoring first and says before training what the budget cannot cover.
 */
import { UserError } from '../common/errors.js';
import type { Engine, EngineRun, RunSpec, StepPlan } from '../engine/types.js';
import type { CropPlanner } from './data.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/**
 * Parses a time budget such as `90s`, `5m`, `1h` or `1m30s` into seconds.
 * A bare number is read as seconds.
 */
export function parseBudget(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return checkPositive(Number(trimmed), text);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)([smh])/g)];
  const consumed = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || consumed !== trimmed) {
    throw new UserError(`--budget "${text}" is not a duration`, { fix: 'write it like 90s, 5m, 1h or 1m30s' });
  }
  const seconds = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_SECONDS[p[2]], 0);
  return checkPositive(seconds, text);
}

function checkPositive(seconds: number, text: string): number {
  if (!(seconds > 0)) throw new UserError(`--budget "${text}" must be longer than zero`, { fix: 'for example --budget 5m' });
  return seconds;
}

/** Formats seconds the way --budget accepts them, e.g. 300 -> "5m", 90 -> "1m30s". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${rest ? `${rest}s` : ''}`;
}

/**
 * The most training steps of one run, whether given with --steps or planned from --budget: a fast
 * engine on a long budget would otherwise plan billions of steps (the calibration floor is 1 us a
 * step) and run for days past any progress line. LIMITS.steps (commands/option-parsers.ts) is this.
 */
export const MAX_STEPS_PER_RUN = 1_000_000;

/** Budget mode: fewer steps than this per run and the budget is too small to mean anything. */
export const MIN_BUDGET_STEPS = 10;

/** Seconds on a monotonic clock; injectable so tests can drive the time budget without sleeping. */
export type Clock = () => number;
export const systemClock: Clock = () => performance.now() / 1000;

/**
 * Budget mode's hard stop: training ends by budget x BUDGET_GRACE (at least budget +
 * MIN_GRACE_SECONDS) after it starts, at a round boundary, whatever the plan said. The plan aims
 * at the budget itself from measured step and scoring times; the grace absorbs the ordinary error
 * of timing a few steps on a shared CPU (10-20%) so that it does not cut a run that goes as
 * planned; a real slowdown (another process) ends training early, but every surviving run still
 * has the same steps, because the stop falls between rounds.
 */
export const BUDGET_GRACE = 1.25;
export const MIN_GRACE_SECONDS = 10;

/** The hard stop of a --budget run, in seconds from the start of training. */
export function timeLimitFor(budgetSeconds: number): number {
  return Math.max(budgetSeconds * BUDGET_GRACE, budgetSeconds + MIN_GRACE_SECONDS);
}

/**
 * Rungs: the step counts at which every surviving run is scored on validation. Geometric, as in
 * ASHA (Li et al. 2020): total/8, total/4, total/2, total. Why geometric rather than even: the
 * learning-curve slopes (curves.ts) are fitted in log2(steps), so doubling steps give evenly spaced
 * points; early rungs are cheap chances to stop a clearly worse candidate; and the number of
 * scorings grows with log(steps), not with steps. Rungs below MIN_RUNG_STEPS are left out (a
 * candidate is not judged on a handful of steps).
 */
export const RUNG_FRACTIONS = [1 / 8, 1 / 4, 1 / 2, 1] as const;
export const MIN_RUNG_STEPS = 8;
/** Budget mode: the rung scorings take at most about this share of the time (fewer rungs when scoring is dear). */
export const SCORING_SHARE = 0.45;

/** The rung step counts of a plan of `totalSteps`: the last `maxRungs` of the geometric ones. */
export function rungStepsFor(totalSteps: number, maxRungs: number = RUNG_FRACTIONS.length): number[] {
  const steps = RUNG_FRACTIONS.map((f) => Math.round(totalSteps * f)).filter((s, i, all) => (s >= MIN_RUNG_STEPS || s === totalSteps) && s > 0 && all.indexOf(s) === i);
  return steps.length ? steps.slice(-Math.max(1, maxRungs)) : [totalSteps];
}

/**
 * The rungs still ahead of a run that has trained `done` steps, when its plan changes to
 * `totalSteps`: those at least RUNG_SPACING x `done` (a re-plan must not put a rung a step after
 * the one just scored), and always the last.
 */
export const RUNG_SPACING = 1.5;
export function futureRungSteps(totalSteps: number, done: number, maxRungs?: number): number[] {
  return rungStepsFor(totalSteps, maxRungs).filter((s) => s > done && (s === totalSteps || s >= RUNG_SPACING * done));
}

/**
 * Steps per round: what a hard stop or Ctrl-C can cut at. About 1/24 of the total, 1 to 16:
 * fine enough that a budget ends close to its time, coarse enough that switching runs (a loss
 * rebuild in the engine's workers) stays a small share.
 */
export function roundStepsFor(totalSteps: number): number {
  return Math.max(1, Math.min(16, Math.ceil(totalSteps / 24)));
}

export interface Calibration {
  /** Seconds of one training step of one run. */
  secondsPerStep: number;
  /** Seconds to predict and score the validation set for one run. */
  evalSeconds: number;
}

/**
 * Times the engine on a throw-away run (plain CE, so a recipe the loss library rejects fails only
 * its candidate): two untimed warm-up steps (the first steps of a fresh engine are 1.7-5x slower),
 * four timed steps, then one validation prediction and scoring (`score`). The first prediction
 * also warms up the engine for the validation images' sizes; when it took at most
 * REPEAT_SCORING_SHARE of the budget it is timed again and the second time counts.
 */
export const REPEAT_SCORING_SHARE = 0.03;
export async function calibrate(engine: Engine, spec: RunSpec, planner: CropPlanner, score: (run: EngineRun) => Promise<unknown>, clock: Clock, budgetSeconds = Number.POSITIVE_INFINITY): Promise<Calibration> {
  const run = await engine.createRun(spec);
  try {
    const plans = (n: number): StepPlan[] => Array.from({ length: n }, () => ({ batch: planner.nextBatchPlan(), learningRate: 1e-4, progress: 0 }));
    await run.train(plans(2));
    const timed = 4;
    let started = clock();
    await run.train(plans(timed));
    const secondsPerStep = Math.max(1e-6, (clock() - started) / timed);
    started = clock();
    await score(run);
    let evalSeconds = Math.max(0, clock() - started);
    if (evalSeconds <= REPEAT_SCORING_SHARE * budgetSeconds) {
      started = clock();
      await score(run);
      evalSeconds = Math.max(0, clock() - started);
    }
    return { secondsPerStep, evalSeconds };
  } finally {
    await run.dispose();
  }
}

/** Seconds a lockstep plan of `totalSteps` costs: every run trains every step and is scored at every rung. */
export function planSeconds(totalSteps: number, runs: number, c: Calibration, maxRungs: number = RUNG_FRACTIONS.length): number {
  return runs * totalSteps * c.secondsPerStep + rungStepsFor(totalSteps, maxRungs).length * runs * c.evalSeconds;
}

export interface StepPlanFit {
  steps: number;
  /** The most rungs the plan scores at (the last ones of the geometric list). */
  maxRungs: number;
}

/**
 * The plan for `seconds`: the most rungs (4 down to 2) whose scorings take at most SCORING_SHARE of
 * the time and still leave MIN_BUDGET_STEPS steps, then the most steps that fit; failing that, one
 * rung (the final scoring). Scoring is the dear part on large validation images, and a rung that
 * eats the training time measures nothing worth measuring.
 */
export function stepsThatFit(seconds: number, runs: number, c: Calibration): StepPlanFit {
  const fit = (maxRungs: number) => {
    let steps = Math.min(MAX_STEPS_PER_RUN, Math.max(0, Math.floor((seconds - maxRungs * runs * c.evalSeconds) / (runs * c.secondsPerStep))));
    while (steps > 0 && planSeconds(steps, runs, c, maxRungs) > seconds) steps--;
    return steps;
  };
  for (let maxRungs = RUNG_FRACTIONS.length; maxRungs >= 2; maxRungs--) {
    const steps = fit(maxRungs);
    if (maxRungs * runs * c.evalSeconds <= SCORING_SHARE * seconds && steps >= MIN_BUDGET_STEPS) return { steps, maxRungs };
  }
  return { steps: fit(1), maxRungs: 1 };
}

/**
 * The planned steps per run for a budget; a UserError before any training when the budget cannot
 * pay for MIN_BUDGET_STEPS steps and their scorings, saying what it can cover and what would do.
 */
export function planBudgetSteps(p: { budgetSeconds: number; spentSeconds: number; runs: number; candidates: number; seeds: number; folds?: number; calibration: Calibration }): StepPlanFit {
  const { calibration: c, runs } = p;
  const plan = stepsThatFit(p.budgetSeconds - p.spentSeconds, runs, c);
  if (plan.steps >= MIN_BUDGET_STEPS) return plan;
  const needed = p.spentSeconds + planSeconds(MIN_BUDGET_STEPS, runs, c, 1);
  const scoring = runs * c.evalSeconds;
  throw new UserError(
    `a budget of ${formatDuration(p.budgetSeconds)} cannot cover ${MIN_BUDGET_STEPS} training steps for ${p.candidates} candidates x ${(p.folds ?? 1) > 1 ? `${p.folds} folds x ` : ''}${p.seeds} seed${p.seeds === 1 ? '' : 's'} (${runs} runs): ` +
      `one step takes ${c.secondsPerStep.toFixed(2)}s a run here, scoring the validation set ${c.evalSeconds.toFixed(1)}s a run (${formatDuration(scoring)} for every rung), and timing took ${formatDuration(p.spentSeconds)}`,
    { fix: `give at least --budget ${formatDuration(Math.ceil(needed * 1.1))}, or fewer --candidates, --folds or --seeds, fewer validation images (--max-images, --val-fraction), or --steps N` },
  );
}

/**
 * Re-planning at a rung or after the first round (budget mode): the steps every surviving run trains in total, from the
 * time left to the budget, the runs still racing and the measured pace. Time that eliminated
 * candidates no longer use goes to the survivors as more steps; a machine slower than calibrated
 * gets fewer. Never below `stepsDone`; every survivor gets the same total, so they stay equal.
 */
export function replanSteps(p: { secondsLeft: number; stepsDone: number; runs: number; calibration: Calibration; maxRungs?: number }): number {
  if (p.runs === 0) return p.stepsDone;
  const { calibration: c } = p;
  const futureRungs = (total: number) => futureRungSteps(total, p.stepsDone, p.maxRungs).length;
  // The most steps whose training and future scorings fit: try each count of future scorings.
  let best = p.stepsDone;
  for (let rungs = 1; rungs <= (p.maxRungs ?? RUNG_FRACTIONS.length); rungs++) {
    const extra = Math.floor((p.secondsLeft - rungs * p.runs * c.evalSeconds) / (p.runs * c.secondsPerStep));
    const total = Math.min(MAX_STEPS_PER_RUN, p.stepsDone + Math.max(0, extra));
    if (extra > 0 && futureRungs(total) <= rungs) best = Math.max(best, total);
  }
  return best;
}
