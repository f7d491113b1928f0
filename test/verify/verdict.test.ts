import { describe, expect, it } from 'vitest';
import { decideVerdict, type DifferenceCI, type VerdictCandidate } from '../../src/verify/verdict.js';

const cand = (id: string, meanDice: number | null, over: Partial<VerdictCandidate> = {}): VerdictCandidate => ({
  id,
  label: id.toUpperCase(),
  isRecommended: id === 'rec',
  status: 'ok',
  statusDetail: null,
  scores: meanDice === null ? null : { meanDice, rarestClassRecall: 0.5, boundaryIoU: 0.5 },
  ...over,
});

/** CI of (a - b) = point difference +- halfWidth, using the candidates' mean Dice. */
function ciFrom(candidates: VerdictCandidate[], halfWidth: number): DifferenceCI {
  return (a, b, metric) => {
    const sa = candidates.find((c) => c.id === a)!.scores![metric];
    const sb = candidates.find((c) => c.id === b)!.scores![metric];
    return [sa - sb - halfWidth, sa - sb + halfWidth];
  };
}

describe('verdict', () => {
  it('confirmed when the recommended recipe is significantly ahead of all', () => {
    const cs = [cand('rec', 0.8), cand('ce', 0.6), cand('dice', 0.7)];
    const v = decideVerdict(cs, ciFrom(cs, 0.05), 20);
    expect(v.outcome).toBe('confirmed');
    expect(v.winnerId).toBe('rec');
    expect(v.sentence).toMatch(/^Keep the recommended REC/);
  });

  it('tied when within the CI, even if the recommended is best by a hair', () => {
    const cs = [cand('rec', 0.72), cand('ce', 0.6), cand('dice', 0.7)];
    const v = decideVerdict(cs, ciFrom(cs, 0.05), 20);
    expect(v.outcome).toBe('tied');
    expect(v.sentence).toMatch(/tied within the 95% CI with DICE/);
    const cs2 = [cand('rec', 0.70), cand('dice', 0.72)];
    const v2 = decideVerdict(cs2, ciFrom(cs2, 0.05), 20);
    expect(v2.outcome).toBe('tied');
    expect(v2.winnerId).toBe('dice');
  });

  it('beaten names the best significantly better candidate and the metric', () => {
    const cs = [cand('rec', 0.6), cand('ce', 0.7), cand('dice', 0.8)];
    const v = decideVerdict(cs, ciFrom(cs, 0.05), 20);
    expect(v.outcome).toBe('beaten');
    expect(v.winnerId).toBe('dice');
    expect(v.sentence).toMatch(/^Switch to DICE: it beat the recommended REC on mean Dice by \+0\.200/);
  });

  it('beaten when the recommended recipe diverged and another finished', () => {
    const cs = [cand('rec', null, { status: 'diverged', statusDetail: 'loss became NaN at step 12' }), cand('ce', 0.5)];
    const v = decideVerdict(cs, ciFrom(cs, 0.05), 20);
    expect(v.outcome).toBe('beaten');
    expect(v.winnerId).toBe('ce');
    expect(v.sentence).toContain('NaN at step 12');
    expect(v.details[0]).toMatch(/REC: diverged/);
  });

  it('does not offer a switch to a candidate no better than all-background when the recommended recipe diverged', () => {
    const cs = [cand('rec', null, { status: 'diverged', statusDetail: 'loss exploded at step 4' }), cand('ce', 0.16)];
    const stuck = decideVerdict(cs, ciFrom(cs, 0.05), 20, { allBackgroundMeanDice: 0.165 });
    expect(stuck.outcome).toBe('inconclusive');
    expect(stuck.winnerId).toBeNull();
    expect(stuck.sentence).toMatch(/no other candidate did better than predicting background everywhere \(best mean Dice 0\.160 vs 0\.165\).*lower it/);
    // A candidate that learned is still the switch.
    expect(decideVerdict(cs, ciFrom(cs, 0.05), 20, { allBackgroundMeanDice: 0.1 }).outcome).toBe('beaten');
  });

  it('inconclusive with too few val images or when everything diverged', () => {
    const cs = [cand('rec', 0.8), cand('ce', 0.6)];
    expect(decideVerdict(cs, ciFrom(cs, 0.05), 2).outcome).toBe('inconclusive');
    const failed = [cand('rec', null, { status: 'failed', statusDetail: 'loss "combo": bad option' }), cand('ce', 0.6)];
    const v = decideVerdict(failed, ciFrom(failed, 0.05), 20);
    expect(v.outcome).toBe('inconclusive');
    expect(v.sentence).toMatch(/could not be trained \(loss "combo": bad option\); fix the recipe/);
    const dead = [cand('rec', null, { status: 'diverged' }), cand('ce', null, { status: 'diverged' })];
    expect(decideVerdict(dead, () => null, 20).outcome).toBe('inconclusive');
  });

  it('reports significant secondary-metric differences in details', () => {
    const cs = [cand('rec', 0.8), cand('ce', 0.8, { scores: { meanDice: 0.8, rarestClassRecall: 0.9, boundaryIoU: 0.5 } })];
    const v = decideVerdict(cs, ciFrom(cs, 0.05), 20);
    expect(v.details).toContain('Significantly higher rarest-class recall than the recommended recipe: CE +0.400');
  });
});

describe('verdict with candidates stopped at the time budget (unequal steps)', () => {
  const stopped = (id: string, meanDice: number | null, steps: number, of = 100) =>
    cand(id, meanDice, { status: 'stopped', statusDetail: steps > 0 ? `stopped at the time budget after ${steps} of ${of} steps` : 'not started: no time was left before the hard stop at 2m5s (budget 1m40s)', stepsDone: steps });
  const full = (id: string, meanDice: number) => cand(id, meanDice, { stepsDone: 100 });

  it('does not count a lead over a candidate that trained fewer steps, and says the comparison is unequal', () => {
    const cs = [full('rec', 0.8), stopped('ce', 0.6, 40), full('dice', 0.6)];
    const v = decideVerdict(cs, ciFrom(cs, 0.05), 20);
    expect(v.outcome).toBe('tied'); // not confirmed: the lead over CE may be its 60 missing steps
    expect(v.sentence).toMatch(/^Keep the recommended REC: the best mean Dice \(0\.800\), its lead over CE \(40 steps vs 100\) is not counted because the time budget stopped them early \(an unequal comparison\); a longer --budget/);
    expect(v.details).toContain('CE: stopped at the time budget after 40 of 100 steps');
    expect(v.details).toContain('Unequal comparison: the time budget stopped CE after 40 steps; a lead over a candidate that trained fewer steps is not counted as significant (a lead despite fewer steps is).');
  });

  it('a stopped recommended recipe behind one that trained longer is inconclusive, not beaten', () => {
    const cs = [stopped('rec', 0.6, 40), full('ce', 0.8)];
    const v = decideVerdict(cs, ciFrom(cs, 0.05), 20);
    expect(v.outcome).toBe('inconclusive');
    expect(v.winnerId).toBe('ce');
    expect(v.sentence).toMatch(/CE scored higher than the recommended REC .* stopped at the time budget after 40 of 100 steps, so the comparison is unequal/);
  });

  it('a lead despite fewer steps still counts, and the sentence names the handicap', () => {
    const beaten = [full('rec', 0.6), stopped('ce', 0.8, 40)];
    const v = decideVerdict(beaten, ciFrom(beaten, 0.05), 20);
    expect(v.outcome).toBe('beaten');
    expect(v.sentence).toMatch(/^Switch to CE: .* even though it trained fewer steps \(40 vs 100: stopped at the time budget, an unequal comparison\)\.$/);
    const confirmed = [stopped('rec', 0.8, 40), full('ce', 0.6)];
    const c = decideVerdict(confirmed, ciFrom(confirmed, 0.05), 20);
    expect(c.outcome).toBe('confirmed');
    expect(c.sentence).toMatch(/even though it trained fewer steps \(40: stopped at the time budget/);
  });

  it('marks secondary-metric differences between unequal trainings', () => {
    const cs = [full('rec', 0.8), cand('ce', 0.8, { status: 'stopped', statusDetail: 'stopped at the time budget after 40 of 100 steps', stepsDone: 40, scores: { meanDice: 0.8, rarestClassRecall: 0.9, boundaryIoU: 0.5 } })];
    const v = decideVerdict(cs, ciFrom(cs, 0.05), 20);
    expect(v.details).toContain('Significantly higher rarest-class recall than the recommended recipe: CE +0.400 (unequal: 40 vs 100 steps)');
  });

  it('a recommended recipe never started, or nothing compared, is inconclusive and blames the time budget', () => {
    const cs = [stopped('rec', null, 0), full('ce', 0.8)];
    const v = decideVerdict(cs, ciFrom(cs, 0.05), 20);
    expect(v.outcome).toBe('inconclusive');
    expect(v.sentence).toMatch(/^Inconclusive: the recommended REC was not trained before the time budget ran out \(not started: /);
    expect(v.details).toContain('REC: not started: no time was left before the hard stop at 2m5s (budget 1m40s)');
    const none = [stopped('rec', null, 0), stopped('ce', null, 0)];
    expect(decideVerdict(none, () => null, 20).sentence).toMatch(/^Inconclusive: the time budget ran out before any candidate could be compared; run verify again with a longer --budget/);
  });
});
