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
