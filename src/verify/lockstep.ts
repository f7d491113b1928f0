/**
 * Lockstep training with racing: every candidate x seed run of one engine advances in rounds of
 * k steps; at each rung (budget.ts: geometric step counts) every surviving run is scored on
 * validation, the learning curves grow by a point, and the racing (racing.ts) stops candidates
 * that are clearly worse. Why lockstep: the old protocol trained candidates one after another under
 * per-candidate deadlines, so on a busy machine they trained different step counts (24, 66 or 93
 * for the same model) and the verdict had to discount "unequal comparisons". Here a time budget
 * (or the hard stop, or Ctrl-C) only ever ends training between rounds, so all surviving runs have
 * trained exactly the same steps on the same crops whatever the machine's load.
 *
 * How the budget is re-spent (budget mode): after the first round (when its pace is off the
 * calibration by more than REPLAN_TOLERANCE), at every rung, and between rungs when the plan would
 * leave more than SPARE_TIME_SHARE of the budget unused after a slow spell (SPELL_RATIO: a plan cut
 * during the spell grows again once the machine is fast; between rungs it only grows) the total
 * steps per run are re-planned
 * from the time left to the budget, the measured pace and the runs still racing (replanSteps):
 * eliminated candidates' time becomes more steps for the survivors, a slower machine fewer. The
 * new total applies to every survivor alike (same steps, same learning-rate schedule from then on:
 * the schedule is re-stretched over the new total at the rung, steps already trained keep their
 * rates), so the comparison among survivors stays equal. With --steps N nothing is re-planned.
 *
 * Ctrl-C: the round in progress is finished by every run (a round is short: at most
 * MAX_ROUND_SHARE of the budget), then the survivors are scored at those steps and the report keeps
 * every finished round. A second Ctrl-C quits at once (common/interrupt.ts).
 */
import type { TrainingEvent } from '../contracts/events.js';
import type { CurvePointResult } from '../contracts/verification.js';
import type { Engine, EngineRun } from '../engine/types.js';
import { futureRungSteps, replanSteps, roundStepsFor, rungStepsFor, type Calibration, type Clock } from './budget.js';
import type { CandidatePlan } from './candidates.js';
import { addRung, type LearningCurve } from './curves.js';
import { racingAlphaAt, type ErrorBudget } from './error-budget.js';
import { raceRung, type Elimination } from './racing.js';
import { compileHeadline, type ImageScore } from './scores.js';
import type { ScoreTable, StatsContext } from './seed-stats.js';
import { mean } from './stats.js';
import { trainRound, type SeedRun } from './train-candidate.js';

/** Budget mode: the first round re-plans the steps when its pace is off the calibration by more than this share. */
export const REPLAN_TOLERANCE = 0.1;

/** Budget mode: a re-plan that changes the total steps by this share or less is not applied. */
export const REPLAN_TOLERANCE_STEPS = 0.05;

/** Budget mode: between rungs, the plan grows when, at the pace of the last RECENT_ROUNDS rounds, it would leave more than this share of the budget unused. */
export const SPARE_TIME_SHARE = 0.1;
export const RECENT_ROUNDS = 3;
/** ... and only when every one of those rounds was this many times faster than the pace the plan in force assumed (a spell has passed, not noise). */
export const SPELL_RATIO = 1.5;

/** Budget mode: a round takes at most about this share of the budget (what the hard stop can overshoot by). */
export const MAX_ROUND_SHARE = 0.04;

export type CandidateState = 'racing' | 'eliminated' | 'diverged' | 'failed' | 'interrupted' | 'ok';

/** One candidate and its runs (one per fold x seed, fold-major, in seed order within a fold). */
export interface RacingCandidate {
  plan: CandidatePlan;
  runs: SeedRun[];
  state: CandidateState;
  detail: string | null;
  /** Its scores at the last rung it reached (per seed, per val image), and that rung's steps. */
  scored: { rung: number; steps: number; scores: ImageScore[][]; firstSeedPredictions: Uint8Array[] } | null;
  curve: CurvePointResult[];
}

export interface RungRecord {
  rung: number;
  steps: number;
  candidates: string[];
}

export interface LockstepInput {
  engine: Pick<Engine, 'concurrency'>;
  candidates: RacingCandidate[];
  totalSteps: number;
  /** The most rungs a plan scores at (budget.ts stepsThatFit; default all). */
  maxRungs?: number;
  /** Budget mode: the calibration (wall seconds per run-step and per run scoring with the engine's runs side by side), when the budget ends and the hard stop (clock seconds); null with --steps. */
  budget: { calibration: Calibration; endsAt: number; hardStopAt: number } | null;
  /** Predicts and scores one run on validation (its fold's images with --folds). */
  score: (run: EngineRun, fold: number) => Promise<{ scores: ImageScore[]; predictions: Uint8Array[] }>;
  stats: StatsContext;
  tieMargin: number;
  /** The racing share of the run's error budget (error-budget.ts): each rung spends what the spending function allows. */
  errorBudget: Pick<ErrorBudget, 'racingAlpha' | 'spendingPower'>;
  recommendedId: string | null;
  /** false: no eliminations, every candidate trains to the end (default true). */
  racing?: boolean;
  onEvent: (event: TrainingEvent) => void;
  signal?: AbortSignal;
  clock: Clock;
}

/** A rung that raced and the level it spent of the run's error budget. */
export interface RacingSpend {
  rung: number;
  steps: number;
  alpha: number;
}

export interface LockstepResult {
  rungs: RungRecord[];
  curves: LearningCurve[];
  eliminations: Elimination[];
  /** Steps every survivor trained and was scored at (null: no rung was reached). */
  finalSteps: number | null;
  /** The rungs that raced, with what each spent of the error budget, in order. */
  racingSpent: RacingSpend[];
  /** The last planned total steps per run. */
  plannedSteps: number;
  roundSteps: number;
  interrupted: boolean;
  /** The budget's hard stop ended training before the planned steps (at a round boundary). */
  hardStopped: boolean;
  /** Measured seconds per run-step and per run scoring (null before any were measured). */
  measured: Calibration | null;
  notes: string[];
}

export async function trainInLockstep(input: LockstepInput): Promise<LockstepResult> {
  const { candidates, clock, onEvent } = input;
  const started = clock();
  const notes: string[] = [];
  const note = (text: string) => {
    notes.push(text);
    onEvent({ kind: 'message', text });
  };
  let total = input.totalSteps;
  let round = roundStepsFor(total);
  let rungs = rungStepsFor(total, input.maxRungs);
  let done = 0;
  let rungNumber = 0;
  /** What each racing rung spent of the error budget (error-budget.ts). */
  const racingSpent: RacingSpend[] = [];
  let spent = 0;
  let curves: LearningCurve[] = [];
  const rungRecords: RungRecord[] = [];
  const eliminations: Elimination[] = [];
  let interrupted = false;
  let hardStopped = false;
  let scoringSeconds = 0;
  let scorings = 0;
  /** The last RECENT_ROUNDS rounds: the pace now, which the whole-run average lags behind after a slow spell. */
  const recentRounds: Array<{ wall: number; runSteps: number }> = [];
  const paceOf = (r: { wall: number; runSteps: number }) => r.wall / Math.max(1, r.runSteps);
  const recentPace = () => recentRounds.reduce((s, r) => s + r.wall, 0) / Math.max(1, recentRounds.reduce((s, r) => s + r.runSteps, 0));
  /** Seconds per run-step of the last round (0 before any): the current pace, which the average lags behind on a machine that slows down. */
  const lastRoundPace = () => (recentRounds.length ? paceOf(recentRounds[recentRounds.length - 1]) : 0);
  /** The slowest of the recent rounds: a plan grows only when every one of them was fast. */
  const slowestRecentPace = () => Math.max(0, ...recentRounds.map(paceOf));
  /** Seconds per run-step the plan in force was made with. */
  let planPace = input.budget?.calibration.secondsPerStep ?? 0;
  const racing = () => candidates.filter((c) => c.state === 'racing');
  const runsRacing = () => racing().reduce((n, c) => n + c.runs.length, 0);
  /** Wall seconds of the rounds and run-steps trained in them: with runs side by side, a run-step costs less wall time than one run's step. */
  let trainWall = 0;
  let trainRunSteps = 0;
  /** Wall seconds per run-step and per run scoring (runs side by side included); the calibration's until measured. */
  const measured = (): Calibration | null => {
    if (trainRunSteps === 0) return input.budget?.calibration ?? null;
    return { secondsPerStep: trainWall / trainRunSteps, evalSeconds: scorings ? scoringSeconds / scorings : (input.budget?.calibration.evalSeconds ?? 0) };
  };
  /** Wall seconds the plan in force still needs at a pace: its remaining steps and scorings for the runs still racing. */
  const secondsToFinish = (secondsPerStep: number, evalSeconds: number) => runsRacing() * ((total - done) * secondsPerStep + rungs.filter((s) => s > done).length * evalSeconds);
  const eta = () => {
    const pace = measured();
    return pace ? secondsToFinish(pace.secondsPerStep, pace.evalSeconds) : null;
  };
  const announcePlan = (reason: string) => onEvent({ kind: 'plan', totalSteps: total, roundSteps: round, rungSteps: rungs, reason });
  announcePlan(input.budget ? 'planned from the timed steps and scoring' : '--steps');

  const endCandidate = (c: RacingCandidate, state: CandidateState, detail: string | null) => {
    c.state = state;
    c.detail = detail;
    onEvent({ kind: 'candidate-end', candidateId: c.plan.id, status: state === 'racing' ? 'ok' : state, detail });
  };

  while (racing().length > 0 && done < total) {
    if (input.signal?.aborted) {
      interrupted = true;
      break;
    }
    const nextRung = rungs.find((s) => s > done) ?? total;
    let k = Math.min(round, nextRung - done);
    if (input.budget) {
      // A round is what the hard stop can overshoot by: keep one under MAX_ROUND_SHARE of the budget.
      const pace = measured()!;
      const stepSeconds = Math.max(pace.secondsPerStep, lastRoundPace());
      k = Math.max(1, Math.min(k, Math.floor((MAX_ROUND_SHARE * (input.budget.endsAt - started)) / (runsRacing() * stepSeconds))));
      // End between rounds when this round and the last scoring would pass the hard stop.
      const roundSeconds = runsRacing() * (k * stepSeconds + pace.evalSeconds);
      if (done > 0 && clock() + roundSeconds > input.budget.hardStopAt) {
        hardStopped = true;
        note(`time budget: the hard stop ends training at ${done} of the planned ${total} steps; every surviving run trained exactly ${done} steps`);
        break;
      }
    }
    // Ctrl-C (input.signal) is heard between rounds, never inside one: a round started is finished
    // by every run, so the survivors can be scored at the same steps (a round is at most
    // MAX_ROUND_SHARE of the budget; a second Ctrl-C quits at once, common/interrupt.ts).
    const ctx = { totalSteps: total, onEvent, clock, elapsed: () => clock() - started, eta };
    const runs = racing().flatMap((c) => c.runs);
    const roundStarted = clock();
    await inGroups(runs, input.engine.concurrency, (run) => trainRound(run, k, ctx));
    done += k;
    const roundWall = clock() - roundStarted;
    trainWall += roundWall;
    trainRunSteps += runs.length * k;
    recentRounds.push({ wall: roundWall, runSteps: runs.length * k });
    if (recentRounds.length > RECENT_ROUNDS) recentRounds.shift();
    for (const c of racing()) {
      const broken = c.runs.find((r) => r.status !== 'training');
      if (!broken) continue;
      const state = broken.status === 'diverged' ? 'diverged' : broken.status === 'failed' ? 'failed' : 'interrupted';
      endCandidate(c, state, c.runs.length > 1 ? `seed ${broken.seed}: ${broken.detail ?? state}` : broken.detail);
      await disposeRuns(c);
    }
    // After the first round: the calibration timed a throw-away run for a few steps; on a busy
    // machine it is often off by 2x or more, and a plan fixed on it would waste the budget.
    if (input.budget && done === k && done < total && Math.abs(lastRoundPace() / input.budget.calibration.secondsPerStep - 1) > REPLAN_TOLERANCE) replan('the first round');
    // Between rungs: a plan cut on a slow spell (another job on the cores) would leave the budget
    // idle once the machine is fast again, and the last rung allows no later re-plan. Only after a
    // real spell (every recent round SPELL_RATIO faster than the plan assumed): on plain noise,
    // growing on the luckiest 3-round window overshot the budget (a review's simulation: 33 of
    // 200 noisy runs past 1.1x the budget; with the ratio 17, as without this re-plan 8).
    else if (input.budget && !input.signal?.aborted && done < total && done !== nextRung && slowestRecentPace() * SPELL_RATIO < planPace && spareShare() > SPARE_TIME_SHARE) {
      replan(`step ${done}`, { upOnly: true });
    }
    if (done !== nextRung && done < total) continue;

    // A rung: score every surviving run at the same steps.
    rungNumber++;
    await scoreRung(rungNumber, done);
    const alive = racing();
    // This rung's share of the error budget: the spending function at its share of the steps planned now, less what is spent.
    const alpha = done < total ? racingAlphaAt(input.errorBudget, done / total, spent) : 0;
    if (input.racing !== false && !input.signal?.aborted && alive.length > 1 && alpha > 0) {
      spent += alpha;
      racingSpent.push({ rung: rungNumber, steps: done, alpha });
      const race = raceRung({
        rung: rungNumber, steps: done, alive: alive.map((c) => c.plan.id), table: rungTable(alive), tieMargin: input.tieMargin, ctx: input.stats,
        alpha,
        recommendedId: input.recommendedId, curves, labelOf: (id) => candidates.find((c) => c.plan.id === id)?.plan.label ?? id,
      });
      for (const kept of race.kept) note(`racing, rung ${rungNumber}: ${kept.reason}`);
      for (const e of race.eliminations) {
        eliminations.push(e);
        const c = alive.find((a) => a.plan.id === e.id)!;
        onEvent({ kind: 'elimination', candidateId: e.id, rung: e.rung, steps: e.steps, by: e.by, difference: e.difference, ci: e.ci, reason: e.reason });
        endCandidate(c, 'eliminated', e.reason);
        await disposeRuns(c);
      }
    }
    if (eliminations.length > 0 && racing().length === 1 && done < total) {
      note(`racing left ${racing()[0].plan.label} alone at rung ${rungNumber} (${done} steps): training ends there, as nothing is left to compare it with`);
      break;
    }
    if (input.budget && done < total) replan(`rung ${rungNumber}`);
  }

  /** Share of the budget that the plan in force would leave unused at the slowest recent round's pace (none until RECENT_ROUNDS rounds are timed). */
  function spareShare(): number {
    if (recentRounds.length < RECENT_ROUNDS) return 0;
    const needed = secondsToFinish(slowestRecentPace(), measured()!.evalSeconds);
    return (input.budget!.endsAt - clock() - needed) / Math.max(1e-9, input.budget!.endsAt - started);
  }

  /** Re-plans the total steps of every surviving run from the time left and the measured pace (see the module comment). */
  function replan(where: string, options: { upOnly?: boolean } = {}): void {
    const average = measured()!;
    // The pace now: the last RECENT_ROUNDS rounds (the whole-run average lags a slow spell for the
    // rest of the run); at a rung or the first round, the last round's when it is slower (a machine slowing down).
    const stepSeconds = options.upOnly ? slowestRecentPace() : Math.max(recentPace(), lastRoundPace());
    const pace = { secondsPerStep: stepSeconds, evalSeconds: average.evalSeconds };
    const next = replanSteps({ secondsLeft: input.budget!.endsAt - clock(), stepsDone: done, runs: runsRacing(), calibration: pace, maxRungs: input.maxRungs });
    // Small changes are left to the hard stop's grace: each change re-stretches the schedule.
    if (Math.abs(next - total) <= REPLAN_TOLERANCE_STEPS * total || (options.upOnly && next < total)) return;
    planPace = stepSeconds;
    const why = planChangeReason(next > total, eliminations.some((e) => e.rung === rungNumber && where.startsWith('rung')));
    total = next;
    round = roundStepsFor(total);
    rungs = futureRungSteps(total, done, input.maxRungs);
    announcePlan(why);
    note(`${where}: every surviving run now trains ${total} steps (${why}; ${pace.secondsPerStep.toFixed(3)}s a step, ${pace.evalSeconds.toFixed(1)}s a scoring measured)`);
  }

  // Training ended off a rung (hard stop, Ctrl-C): score the survivors once more at the steps they
  // all did, the last finished round.
  const lastRung = rungRecords[rungRecords.length - 1];
  if (racing().length > 0 && done > 0 && lastRung?.steps !== done) {
    if (interrupted) note(`stopped by the user after ${done} steps: scoring the survivors there, where every run finished the same rounds`);
    rungNumber++;
    await scoreRung(rungNumber, done);
  }
  for (const c of racing()) {
    if (interrupted) endCandidate(c, 'interrupted', c.scored ? `stopped by the user; scored at rung ${c.scored.rung} (${c.scored.steps} steps, the last finished round)` : 'stopped by the user before the first round ended');
    else endCandidate(c, 'ok', null);
    await disposeRuns(c);
  }
  const finalRung = rungRecords[rungRecords.length - 1];
  return {
    rungs: rungRecords, curves, eliminations,
    finalSteps: finalRung?.steps ?? null, racingSpent,
    plannedSteps: total, roundSteps: round, interrupted, hardStopped, measured: measured(), notes,
  };

  async function scoreRung(rung: number, steps: number): Promise<void> {
    const alive = racing();
    for (const c of alive) onEvent({ kind: 'evaluating', candidateId: c.plan.id });
    // Every run's prediction, `concurrency` at a time (the engine runs them side by side).
    const jobs = alive.flatMap((c) => c.runs);
    const results: Array<Awaited<ReturnType<LockstepInput['score']>>> = [];
    const t0 = clock();
    await inGroups(jobs, input.engine.concurrency, async (run, i) => {
      results[i] = await input.score(run.run, run.fold);
    });
    scoringSeconds += clock() - t0;
    scorings += jobs.length;
    let next = 0;
    for (const c of alive) {
      const mine = c.runs.map(() => results[next++]);
      const perSeed = mine.map((r) => r.scores);
      c.scored = { rung, steps, scores: perSeed, firstSeedPredictions: mine[0]?.predictions ?? [] };
      c.curve.push(curvePoint(rung, steps, perSeed, input.stats));
    }
    curves = addRung(curves, rungTable(alive), steps, 'meanDice', input.stats);
    rungRecords.push({ rung, steps, candidates: alive.map((c) => c.plan.id) });
    onEvent({
      kind: 'rung', rung, steps,
      scores: alive.map((c) => {
        const p = c.curve[c.curve.length - 1];
        return { candidateId: c.plan.id, meanDice: p.meanDice, rarestClassDice: p.rarestClassDice, perSeedMeanDice: p.perSeedMeanDice };
      }),
    });
  }
}

/** Runs `work` over `items`, `concurrency` at a time, in order; stops starting new groups once `signal` aborts. */
async function inGroups<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const size = Math.max(1, concurrency);
  for (let i = 0; i < items.length; i += size) {
    if (signal?.aborted) return;
    await Promise.all(items.slice(i, i + size).map((item, j) => work(item, i + j)));
  }
}

function planChangeReason(more: boolean, eliminated: boolean): string {
  if (more && eliminated) return 'the time of the eliminated candidates goes to the survivors';
  if (more) return 'the measured pace leaves time for more steps';
  return 'the measured pace is slower than planned';
}

function rungTable(alive: readonly RacingCandidate[]): ScoreTable {
  return new Map(alive.filter((c) => c.scored).map((c) => [c.plan.id, c.scored!.scores]));
}

async function disposeRuns(c: RacingCandidate): Promise<void> {
  for (const run of c.runs) await run.run.dispose().catch(() => undefined);
}

/** A candidate's point on its learning curve: headline metrics, mean over seeds. */
export function curvePoint(rung: number, steps: number, perSeed: ReadonlyArray<readonly ImageScore[]>, ctx: Pick<StatsContext, 'numClasses' | 'rarestClassId'>): CurvePointResult {
  const values = perSeed.map((scores) => compileHeadline(scores, ctx.numClasses, ctx.rarestClassId)(Int32Array.from({ length: scores.length }, (_, i) => i)));
  const seedMean = (pick: (v: (typeof values)[number]) => number) => {
    const finite = values.map(pick).filter(Number.isFinite);
    return finite.length ? mean(finite) : null;
  };
  return {
    rung, steps,
    meanDice: seedMean((v) => v.meanDice) ?? 0,
    rarestClassDice: seedMean((v) => v.rarestClassDice),
    rarestClassRecall: seedMean((v) => v.rarestClassRecall),
    perSeedMeanDice: values.map((v) => v.meanDice),
  };
}
