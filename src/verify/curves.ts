/**
 * Learning curves on validation: per candidate, the metric (mean over seeds) at each rung's step
 * count, its slope over the last rungs, and whether the ranking is still moving.
 *
 * Why: DESIGN.md measured crossing curves: Focal led the class-weighted Combo on every seed at 236
 * steps, and the Combo won at ~930. A short run answers "which is best at this budget"; the slope
 * of each curve tells whether that answer is likely to hold a little longer. This is learning-curve
 * extrapolation (Domhan, Springenberg & Hutter 2015, IJCAI) in its simplest honest form: a straight
 * line in log(steps) fitted by least squares to the last few rungs (validation curves of SGD-like
 * training are close to linear in log-steps over a short window; ASHA's rungs are geometric in
 * steps for the same reason), extrapolated to `horizon` times the current steps. Only a guide: with
 * 2-3 points and seed noise a slope is rough, so it only ever *withholds* confidence (flags "order
 * still moving"), never makes a claim on its own.
 */
import type { HeadlineMetric } from './scores.js';
import { seedMean, type ScoreTable, type StatsContext } from './seed-stats.js';

export interface CurvePoint {
  steps: number;
  /** Metric on all validation images, mean over seeds. */
  value: number;
}

export interface LearningCurve {
  id: string;
  /** In increasing steps. */
  points: CurvePoint[];
}

/** Rungs used for a slope (the last ones) by default. */
export const SLOPE_RUNGS = 3;
/** "Within about twice the steps". */
export const DEFAULT_HORIZON = 2;

/**
 * Appends one rung (a score table at `steps`) to the curves: a point per candidate in the table.
 * Returns new curves (the input is not changed); candidates not in the table keep their curve.
 */
export function addRung(curves: readonly LearningCurve[], table: ScoreTable, steps: number, metric: HeadlineMetric, ctx: Pick<StatsContext, 'numClasses' | 'rarestClassId'>): LearningCurve[] {
  const byId = new Map(curves.map((c) => [c.id, { id: c.id, points: c.points.slice() }]));
  for (const [id, perSeed] of table) {
    const value = seedMean(perSeed, metric, ctx);
    if (!Number.isFinite(value)) continue;
    const curve = byId.get(id) ?? { id, points: [] };
    curve.points = curve.points.filter((p) => p.steps !== steps);
    curve.points.push({ steps, value });
    curve.points.sort((p, q) => p.steps - q.steps);
    byId.set(id, curve);
  }
  return [...byId.values()];
}

export interface Slope {
  /** Change of the metric per doubling of the steps (least squares on log2 steps). */
  perDoubling: number;
  /** Points used (the last ones, at distinct step counts). */
  points: number;
  fromSteps: number;
  toSteps: number;
}

/** Least-squares slope over the last `lastRungs` points; null with fewer than 2 points at distinct positive steps. */
export function recentSlope(curve: LearningCurve, lastRungs = SLOPE_RUNGS): Slope | null {
  const pts = curve.points.filter((p) => p.steps > 0 && Number.isFinite(p.value)).slice(-Math.max(2, lastRungs));
  if (pts.length < 2) return null;
  const xs = pts.map((p) => Math.log2(p.steps));
  const ys = pts.map((p) => p.value);
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  if (!(sxx > 0)) return null;
  return { perDoubling: sxy / sxx, points: pts.length, fromSteps: pts[0].steps, toSteps: pts[pts.length - 1].steps };
}

export interface MovingPair {
  leaderId: string;
  trailerId: string;
  /** Steps of the last common point, where the gap is measured. */
  steps: number;
  /** Leader minus trailer there (> 0). */
  gap: number;
  leaderSlope: number;
  trailerSlope: number;
  /** Projected step count where the lines cross: steps x 2^(gap / (trailerSlope - leaderSlope)). */
  closesAtSteps: number;
  /** closesAtSteps / steps. */
  closesWithin: number;
}

/**
 * Pairs whose order is still moving: the trailer's curve, extrapolated linearly in log-steps, would
 * reach the leader's within `horizon` times the current steps (default 2: "within about twice the
 * steps"). Only curves whose last point is at the same step count are compared. With `ids`, only
 * pairs that involve one of them are returned. Sorted by how soon they cross.
 */
export function orderStillMoving(curves: readonly LearningCurve[], options: { horizon?: number; lastRungs?: number; ids?: readonly string[] } = {}): MovingPair[] {
  const horizon = options.horizon ?? DEFAULT_HORIZON;
  const withSlopes = curves
    .map((c) => ({ c, last: c.points[c.points.length - 1], slope: recentSlope(c, options.lastRungs) }))
    .filter((x): x is { c: LearningCurve; last: CurvePoint; slope: Slope } => x.last !== undefined && x.slope !== null);
  const out: MovingPair[] = [];
  for (const lead of withSlopes) {
    for (const trail of withSlopes) {
      if (lead === trail || lead.last.steps !== trail.last.steps) continue;
      if (options.ids && !options.ids.includes(lead.c.id) && !options.ids.includes(trail.c.id)) continue;
      const gap = lead.last.value - trail.last.value;
      if (!(gap > 0)) continue;
      const closing = trail.slope.perDoubling - lead.slope.perDoubling;
      if (!(closing > 0)) continue;
      const closesWithin = 2 ** (gap / closing);
      if (closesWithin > horizon) continue;
      out.push({ leaderId: lead.c.id, trailerId: trail.c.id, steps: lead.last.steps, gap, leaderSlope: lead.slope.perDoubling, trailerSlope: trail.slope.perDoubling, closesAtSteps: lead.last.steps * closesWithin, closesWithin });
    }
  }
  return out.sort((p, q) => p.closesWithin - q.closesWithin);
}

/** One line on a moving pair, with the numbers. */
export function describeMovingPair(pair: MovingPair, label: (id: string) => string = (id) => id): string {
  const f = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
  // A gap that rounds to 0.000 read "trails by 0.000 ... cross at about 151 steps (1.0x)" on a real run.
  if (pair.gap < 0.0005) return `${label(pair.trailerId)} is level with ${label(pair.leaderId)} at ${pair.steps} steps (a gap under 0.0005) but gains ${f(pair.trailerSlope)} per doubling of the steps vs ${f(pair.leaderSlope)}: it would lead with more steps`;
  return `${label(pair.trailerId)} trails ${label(pair.leaderId)} by ${pair.gap.toFixed(3)} at ${pair.steps} steps but gains ${f(pair.trailerSlope)} per doubling of the steps vs ${f(pair.leaderSlope)}: the lines cross at about ${Math.round(pair.closesAtSteps)} steps (${pair.closesWithin.toFixed(1)}x)`;
}
