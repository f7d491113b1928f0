/** The time budget's pure parts: the hard stop, the rungs and rounds, the plan and its re-planning, the exit code. */
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/commands/option-parsers.js';
import { BUDGET_GRACE, futureRungSteps, MIN_GRACE_SECONDS, planBudgetSteps, planSeconds, replanSteps, roundStepsFor, rungStepsFor, stepsThatFit, timeLimitFor } from '../../src/verify/budget.js';
import { verifyExitCode } from '../../src/commands/verify-action.js';
import type { CandidateResult } from '../../src/contracts/verification.js';

describe('hard stop', () => {
  it('is 1.25 x the budget, at least budget + 10 s', () => {
    expect(BUDGET_GRACE).toBe(1.25);
    expect(MIN_GRACE_SECONDS).toBe(10);
    expect(timeLimitFor(300)).toBe(375);
    expect(timeLimitFor(3600)).toBe(4500);
    expect(timeLimitFor(20)).toBe(30);
  });
});

describe('rungs and rounds', () => {
  it('scores at geometric step counts (ASHA), leaving out rungs of fewer than 8 steps', () => {
    expect(rungStepsFor(400)).toEqual([50, 100, 200, 400]);
    expect(rungStepsFor(40)).toEqual([10, 20, 40]);
    expect(rungStepsFor(20)).toEqual([10, 20]);
    expect(rungStepsFor(12)).toEqual([12]);
    expect(rungStepsFor(3)).toEqual([3]);
  });

  it('after a re-plan, the next rung is at least 1.5x the steps done (never a step after the last scoring)', () => {
    // A plan of 135 steps scored at 17; re-planned to 142, whose first rung is 18.
    expect(futureRungSteps(142, 17)).toEqual([36, 71, 142]);
    expect(futureRungSteps(142, 100)).toEqual([142]);
  });

  it('rounds are about 1/24 of the steps, 1 to 16', () => {
    expect(roundStepsFor(12)).toBe(1);
    expect(roundStepsFor(120)).toBe(5);
    expect(roundStepsFor(10000)).toBe(16);
  });
});

describe('the budget plan', () => {
  const c = { secondsPerStep: 0.1, evalSeconds: 2 };
  it('pays for every rung scoring of every run before it gives steps', () => {
    const { steps, maxRungs } = stepsThatFit(300, 10, c);
    expect(maxRungs).toBe(4);
    expect(planSeconds(steps, 10, c)).toBeLessThanOrEqual(300);
    expect(planSeconds(steps + 1, 10, c)).toBeGreaterThan(300);
    // 4 rungs x 10 runs x 2 s = 80 s of scoring; 220 s of training for 10 runs at 0.1 s
    expect(steps).toBe(220);
  });

  it('scores at fewer rungs when scoring is dear, rather than starve the training', () => {
    // 9 runs, 2.4 s a scoring (256 px validation tiles on a busy machine), 110 s: 4 rungs would take 86 s.
    const dear = { secondsPerStep: 0.3, evalSeconds: 2.4 };
    const plan = stepsThatFit(110, 9, dear);
    expect(plan.maxRungs).toBe(2);
    expect(stepsThatFit(60, 9, dear).maxRungs).toBe(1);
    expect(plan.steps).toBeGreaterThanOrEqual(10);
    expect(rungStepsFor(plan.steps, plan.maxRungs)).toEqual([Math.round(plan.steps / 2), plan.steps]);
    expect(stepsThatFit(300, 9, dear).maxRungs).toBe(4);
    expect(rungStepsFor(400, 2)).toEqual([200, 400]);
  });

  it('refuses a budget that cannot pay for 10 steps and their scoring, saying what would', () => {
    expect(() => planBudgetSteps({ budgetSeconds: 90, spentSeconds: 35, runs: 15, candidates: 5, seeds: 3, calibration: { secondsPerStep: 0.3, evalSeconds: 30 } })).toThrow(
      /cannot cover 10 training steps for 5 candidates x 3 seeds \(15 runs\).*scoring the validation set 30\.0s a run/,
    );
    expect(planBudgetSteps({ budgetSeconds: 300, spentSeconds: 5, runs: 4, candidates: 2, seeds: 2, calibration: c }).steps).toBeGreaterThanOrEqual(10);
  });

  it('plans no more steps from a budget than --steps accepts (LIMITS.steps), however fast the engine', () => {
    // Was: a 24 h budget at the 1 us calibration floor planned 86 billion steps a run.
    const fast = { secondsPerStep: 1e-6, evalSeconds: 0 };
    expect(stepsThatFit(LIMITS.budgetSeconds.max, 1, fast).steps).toBe(LIMITS.steps.max);
    expect(planBudgetSteps({ budgetSeconds: LIMITS.budgetSeconds.max, spentSeconds: 0, runs: 2, candidates: 2, seeds: 1, calibration: fast }).steps).toBe(LIMITS.steps.max);
    expect(replanSteps({ secondsLeft: LIMITS.budgetSeconds.max, stepsDone: 100, runs: 1, calibration: fast })).toBe(LIMITS.steps.max);
  });

  it('re-plans at a rung: the time of eliminated runs becomes more steps for the survivors, never fewer than done', () => {
    const before = replanSteps({ secondsLeft: 100, stepsDone: 50, runs: 10, calibration: c });
    const after = replanSteps({ secondsLeft: 100, stepsDone: 50, runs: 5, calibration: c });
    expect(after).toBeGreaterThan(before);
    expect(replanSteps({ secondsLeft: 1, stepsDone: 50, runs: 10, calibration: c })).toBe(50);
  });
});

describe('exit code', () => {
  const candidate = (status: CandidateResult['status']) => ({ status }) as CandidateResult;
  it('is 0 when the run stopped at the time budget, 130 when interrupted (Ctrl-C), 1 when nothing could train', () => {
    expect(verifyExitCode({ interrupted: false, candidates: [candidate('ok'), candidate('stopped'), candidate('stopped')] })).toBe(0);
    expect(verifyExitCode({ interrupted: false, candidates: [candidate('stopped'), candidate('stopped')] })).toBe(0);
    expect(verifyExitCode({ interrupted: true, candidates: [candidate('ok'), candidate('interrupted')] })).toBe(130);
    expect(verifyExitCode({ interrupted: false, candidates: [candidate('failed'), candidate('failed')] })).toBe(1);
    // Every candidate diverged or failed: nothing was evaluated.
    expect(verifyExitCode({ interrupted: false, candidates: [candidate('diverged'), candidate('failed')] })).toBe(1);
    expect(verifyExitCode({ interrupted: false, candidates: [candidate('diverged'), candidate('ok')] })).toBe(0);
  });
});
