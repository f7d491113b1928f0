/**
 * Racing: after each rung, stop the candidates that are clearly worse than the current best, so
 * the remaining budget goes to the comparisons that are still open.
 *
 * Method (irace's "t-test-holm" race rather than its default F-race): the leader is the candidate
 * with the best metric (mean over seeds); every other candidate is compared with it by the
 * seed-paired difference of src/verify/seed-stats.ts (seed-to-seed plus validation-image variance);
 * the two-sided p-values of ALL k(k-1)/2 pairs are corrected by Holm's step-down procedure (Holm
 * 1979; all pairs because the leader is chosen from the data), and a candidate is eliminated when
 * its comparison with the leader is rejected and it is behind. References:
 * Birattari et al. 2002 (F-race, GECCO); Lopez-Ibanez et al. 2016 (irace, which offers "F-test"
 * and "t-test" with Holm or Bonferroni corrections).
 * Why not Friedman's test over seeds as blocks: verify has 2-5 seeds; with 3 blocks and 4
 * candidates the smallest Friedman p-value possible is 0.029 (perfect agreement of the ranks on
 * every seed), so it can hardly ever eliminate, and ranks on ONE shared validation set throw away
 * both the size of the differences and the image-sampling variance (irace itself does not test
 * before 5 instances). The paired t with the variance of seed-stats.ts uses both.
 *
 * Racing tests again at every rung, so each rung spends a share `alpha` of the run's family-wise
 * error budget (src/verify/error-budget.ts: an alpha-spending function, little early and more at
 * the last racing rung; Holm within the rung). Measured on A/A races (4 equal candidates,
 * 4 rungs, 3 seeds, independent draws per rung, the worst case): without a split 10% of races
 * stopped an equal candidate; an elimination is a directional call like the verdict's, so racing
 * and verdict share one budget.
 * API note: `alpha` replaced `confidence` + `plannedRungs` (the level is decided by the caller's budget).
 *
 * Safeguards: no elimination on fewer than MIN_SEEDS_TO_ELIMINATE seeds (the seed variance is not
 * estimable from one); the recommended recipe needs strong evidence: significance at
 * RECOMMENDED_CONFIDENCE (and Holm) AND a CI entirely beyond the tie margin; a candidate whose
 * learning curve would close its gap to the leader within about twice the steps (curves.ts) is kept
 * (curves cross, DESIGN.md). Every elimination carries its evidence line.
 */
import { formatLevel } from '../common/percent.js';
import { orderStillMoving, describeMovingPair, type LearningCurve } from './curves.js';
import { METRIC_LABELS, type HeadlineMetric } from './scores.js';
import { intervalAt, seedMean, tableComparator, type PairedDifference, type ScoreTable, type StatsContext } from './seed-stats.js';
import { holmStepDown } from './stats.js';

export const MIN_SEEDS_TO_ELIMINATE = 2;
export const RECOMMENDED_CONFIDENCE = 0.99;

export interface RaceInput {
  /** Rung number (1-based) and the steps every alive candidate has trained. */
  rung: number;
  steps: number;
  /** Candidates still racing. Ids missing from the table are returned in `unscored`. */
  alive: readonly string[];
  /** This rung's scores: id -> per seed -> per val image. */
  table: ScoreTable;
  /** Default mean Dice. */
  metric?: HeadlineMetric;
  tieMargin: number;
  /** Family-wise level this rung may spend (Holm over all pairs): error-budget.ts racingAlphaAt. */
  alpha: number;
  ctx: StatsContext;
  /** The recommended recipe: eliminated only on strong evidence (see the module comment). */
  recommendedId?: string | null;
  /** Learning curves up to this rung: a candidate still closing its gap to the leader is kept. */
  curves?: readonly LearningCurve[];
  /** Readable names for the evidence lines (default: the ids). */
  labelOf?: (id: string) => string;
}

export interface Elimination {
  id: string;
  rung: number;
  steps: number;
  /** The rung leader it was compared with. */
  by: string;
  metric: HeadlineMetric;
  /** Leader minus this candidate (> 0). */
  difference: number;
  /** CI of that difference at the level the Holm step used (`confidence`). */
  ci: [number, number];
  confidence: number;
  pValue: number;
  seeds: number;
  /** The evidence, in one line. */
  reason: string;
}

export interface RaceResult {
  leader: string | null;
  /** Alive candidates that go on (the leader first, then in `alive` order). */
  survivors: string[];
  eliminations: Elimination[];
  /** Candidates that were significantly behind but kept, and why (recommended safeguard, curve still closing). */
  kept: Array<{ id: string; reason: string }>;
  /** Alive ids without scores in this rung's table (not survivors: the caller decides). */
  unscored: string[];
  /** The comparisons made (leader - candidate), for the report. */
  comparisons: Array<{ id: string; difference: PairedDifference }>;
}

export function raceRung(input: RaceInput): RaceResult {
  const metric = input.metric ?? 'meanDice';
  const label = input.labelOf ?? ((id: string) => id);
  const scored = input.alive.filter((id) => input.table.has(id) && (input.table.get(id)?.length ?? 0) > 0);
  const unscored = input.alive.filter((id) => !scored.includes(id));
  const values = new Map(scored.map((id) => [id, seedMean(input.table.get(id)!, metric, input.ctx)]));
  const ranked = scored.filter((id) => Number.isFinite(values.get(id)));
  const result = (leader: string | null, eliminations: Elimination[] = [], kept: RaceResult['kept'] = [], comparisons: RaceResult['comparisons'] = []): RaceResult => {
    const out = new Set(eliminations.map((e) => e.id));
    const survivors = scored.filter((id) => !out.has(id));
    if (leader) survivors.sort((a, b) => (a === leader ? -1 : b === leader ? 1 : 0));
    return { leader, survivors, eliminations, kept, unscored, comparisons };
  };
  if (ranked.length === 0) return result(null);
  // The leader: best value; ties go to the recommended recipe, then to the order of `alive`.
  const leader = ranked.reduce((best, id) => {
    const v = values.get(id)!;
    const b = values.get(best)!;
    return v > b || (v === b && id === input.recommendedId) ? id : best;
  });
  const alpha = input.alpha;
  const seeds = input.table.get(leader)!.length;
  if (seeds < MIN_SEEDS_TO_ELIMINATE || ranked.length < 2 || !(alpha > 0)) return result(leader);

  const compare = tableComparator(input.table, input.ctx);
  const comparisons = ranked
    .filter((id) => id !== leader)
    .map((id) => ({ id, difference: compare(leader, id, metric) }))
    .filter((c): c is { id: string; difference: PairedDifference } => c.difference !== null);
  // The leader is picked by the data, so "behind the leader" is a claim from the family of ALL
  // pairs (as in Tukey's all-pairs comparisons), not from k - 1 comparisons with a fixed control:
  // Holm over k - 1 leader comparisons rejected equal candidates at 5.8-8.1% for k = 3-8 where
  // 5% was spent (simulated, 3 seeds). Holm's step-down over every pair bounds it.
  const levels = holmOverAllPairs(ranked, (a, b) => compare(a, b, metric), alpha);
  const eliminations: Elimination[] = [];
  const kept: RaceResult['kept'] = [];
  const moving = input.curves ? orderStillMoving(input.curves, { ids: [leader] }) : [];
  const byP = comparisons.slice().sort((a, b) => a.difference.pValue - b.difference.pValue);
  for (const { id, difference: d } of byP) {
    const stepAlpha = levels.get(pairKey(leader, id));
    if (stepAlpha === undefined) continue; // not rejected by the step-down
    if (!(d.mean > 0)) continue; // significant the other way cannot happen for the leader, but never eliminate it
    const isRecommended = id === input.recommendedId;
    const levelUsed = isRecommended ? Math.max(1 - stepAlpha, RECOMMENDED_CONFIDENCE) : 1 - stepAlpha;
    const ci = intervalAt(d, levelUsed);
    const evidence = `${METRIC_LABELS[metric]} ${d.mean.toFixed(3)} below ${label(leader)} at rung ${input.rung} (${input.steps} steps; ${formatLevel(levelUsed)} CI ${ci[0].toFixed(3)} to ${ci[1].toFixed(3)}, Holm-adjusted over all pairs, within this rung's share of the error budget, p = ${formatP(d.pValue)}, ${d.seeds} ${d.unit === 'fold' ? 'folds' : 'seeds'} paired)`;
    if (isRecommended && !(ci[0] > input.tieMargin)) {
      kept.push({ id, reason: `the recommended recipe is kept: ${evidence}, but the CI does not clear the tie margin ${input.tieMargin} at ${formatLevel(levelUsed)}` });
      continue;
    }
    const closing = moving.find((p) => p.leaderId === leader && p.trailerId === id);
    if (closing) {
      kept.push({ id, reason: `kept although ${evidence}: its curve is still closing the gap (${describeMovingPair(closing, label)})` });
      continue;
    }
    eliminations.push({ id, rung: input.rung, steps: input.steps, by: leader, metric, difference: d.mean, ci, confidence: levelUsed, pValue: d.pValue, seeds: d.seeds, reason: `${label(id)} stopped: ${evidence}` });
  }
  return result(leader, eliminations, kept, comparisons);
}

const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

/** Holm's step-down over every pair of `ids`: the rejected pairs (by pairKey) with the level each was rejected at. */
function holmOverAllPairs(ids: readonly string[], compare: (a: string, b: string) => PairedDifference | null, alpha: number): Map<string, number> {
  const pairs = ids.flatMap((a, i) => ids.slice(i + 1).flatMap((b) => {
    const d = compare(a, b);
    return d ? [{ id: pairKey(a, b), p: d.pValue }] : [];
  }));
  return holmStepDown(pairs, alpha);
}

export function formatP(p: number): string {
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}
