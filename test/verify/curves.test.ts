import { describe, expect, it } from 'vitest';
import { addRung, describeMovingPair, orderStillMoving, recentSlope, type LearningCurve } from '../../src/verify/curves.js';
import { seedMean } from '../../src/verify/seed-stats.js';
import { buildTable } from './score-tables.js';

const ctx = { numClasses: 2, rarestClassId: 1 };
const curve = (id: string, f: (steps: number) => number, steps = [50, 100, 200, 400]): LearningCurve => ({ id, points: steps.map((s) => ({ steps: s, value: f(s) })) });

describe('learning curves', () => {
  it('slope per doubling of the steps, least squares over the last rungs', () => {
    const c = curve('a', (s) => 0.3 + 0.05 * Math.log2(s));
    expect(recentSlope(c)!.perDoubling).toBeCloseTo(0.05, 12);
    expect(recentSlope(c)).toMatchObject({ points: 3, fromSteps: 100, toSteps: 400 });
    // only the last rungs count: a curve that flattened after a fast start
    const flattened = { id: 'b', points: [{ steps: 50, value: 0.2 }, { steps: 100, value: 0.6 }, { steps: 200, value: 0.61 }, { steps: 400, value: 0.62 }] };
    expect(recentSlope(flattened)!.perDoubling).toBeCloseTo(0.01, 12);
    expect(recentSlope({ id: 'c', points: [{ steps: 50, value: 0.5 }] })).toBeNull();
  });

  it('flags crossing curves: the trailer closes the gap within about twice the steps', () => {
    // DESIGN.md's shape: Focal leads early and flattens; the weighted Combo climbs and crosses at ~600 steps
    const focal = curve('focal', (s) => 0.8 + 0.005 * Math.log2(s / 50));
    const combo = curve('combo', (s) => 0.7 + 0.035 * Math.log2(s / 50));
    const moving = orderStillMoving([focal, combo]);
    expect(moving).toHaveLength(1);
    const [p] = moving;
    expect(p).toMatchObject({ leaderId: 'focal', trailerId: 'combo', steps: 400 });
    expect(p.gap).toBeCloseTo(0.1 - 0.03 * 3, 12);
    expect(p.closesWithin).toBeCloseTo(2 ** (p.gap / 0.03), 12);
    expect(p.closesWithin).toBeLessThan(2);
    expect(describeMovingPair(p)).toMatch(/^combo trails focal by 0\.010 at 400 steps but gains \+0\.035 per doubling of the steps vs \+0\.005: the lines cross at about 504 steps \(1\.3x\)$/);
    const level = { ...p, gap: 0.0002, closesAtSteps: 401, closesWithin: 1.004 };
    expect(describeMovingPair(level)).toMatch(/^combo is level with focal at 400 steps \(a gap under 0\.0005\) but gains \+0\.035 per doubling of the steps vs \+0\.005: it would lead with more steps$/);
  });

  it('does not flag parallel curves, a trailer that closes too slowly, or curves at different steps', () => {
    const a = curve('a', (s) => 0.8 + 0.02 * Math.log2(s));
    const parallel = curve('b', (s) => 0.7 + 0.02 * Math.log2(s));
    expect(orderStillMoving([a, parallel])).toEqual([]);
    const slow = curve('c', (s) => 0.7 + 0.03 * Math.log2(s)); // gap 0.1 closing at 0.01 per doubling: 2^10 x
    expect(orderStillMoving([a, slow])).toEqual([]);
    expect(orderStillMoving([a, slow], { horizon: 2048 })).toHaveLength(1);
    const stopped = curve('d', (s) => 0.5 + 0.2 * Math.log2(s), [50, 100]); // eliminated at 100 steps
    expect(orderStillMoving([a, stopped])).toEqual([]);
  });

  it('addRung appends the seed mean of each candidate in a rung table', () => {
    const t1 = buildTable({ images: 8, seeds: 3, effects: { a: 0, b: 0.1 }, seedNoise: 0.02 });
    const t2 = buildTable({ images: 8, seeds: 3, effects: { a: 0.05 } });
    let curves = addRung([], t1, 50, 'meanDice', ctx);
    curves = addRung(curves, t2, 100, 'meanDice', ctx);
    const a = curves.find((c) => c.id === 'a')!;
    expect(a.points.map((p) => p.steps)).toEqual([50, 100]);
    expect(a.points[1].value).toBeCloseTo(seedMean(t2.get('a')!, 'meanDice', ctx), 12);
    expect(curves.find((c) => c.id === 'b')!.points).toHaveLength(1);
  });
});
