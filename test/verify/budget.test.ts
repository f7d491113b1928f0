/** The time budget's pure parts: the hard stop, the per-slice deadline, the exit code. */
import { describe, expect, it } from 'vitest';
import { BUDGET_GRACE, MIN_GRACE_SECONDS, sliceDeadline, timeLimitFor } from '../../src/verify/budget.js';
import { verifyExitCode } from '../../src/commands/verify.js';
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

describe('sliceDeadline', () => {
  it('gives a slice an equal share of the time left, minus its evaluation', () => {
    // 120 s left for 4 slices: 30 s each, 2 s of it for evaluation
    expect(sliceDeadline(1000, 1120, 4, 2, 0.1)).toBe(1028);
    // time a fast slice left unused goes to the ones after it
    expect(sliceDeadline(1010, 1120, 3, 2, 0.1)).toBeCloseTo(1044.667, 3);
    // the last slice gets all that is left
    expect(sliceDeadline(1100, 1120, 1, 2, 0.1)).toBe(1118);
  });

  it('is null when not even one step fits (the slice is reported as not started)', () => {
    expect(sliceDeadline(1119, 1120, 1, 0.5, 0.6)).toBeNull();
    expect(sliceDeadline(1130, 1120, 2, 0, 0.1)).toBeNull();
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
