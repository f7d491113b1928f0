/**
 * The verdict: at THIS budget (the steps every compared candidate trained), is the recommended
 * recipe better than the alternatives, equivalent to them, beaten, or can the run not tell?
 *
 * Every comparison is seed-paired (src/verify/seed-stats.ts: the CI holds seed-to-seed and
 * validation-image variance) or, with cross-validation folds, fold-paired (fold-stats.ts) on mean
 * Dice, candidate minus recommended, at `confidence` (95%):
 *  - better: the CI excludes 0 upwards AND survives Holm's correction over the k-1 alternatives
 *    ("some alternative is better" is a union of k-1 claims, so it pays for multiplicity);
 *  - worse: the CI excludes 0 downwards (confirming "better than ALL" is an intersection-union test,
 *    Berger 1982: each comparison at the nominal level, no correction needed);
 *  - equivalent: the CI lies inside +-tieMargin (TOST, Schuirmann 1987, at the CI's level, i.e. each
 *    one-sided test at 2.5%: conservative); checked first, so a significant but negligible
 *    difference is "equivalent";
 *  - undecided: none of these.
 * The CI shown beside each decision (verdict.comparisons, the sentence) is the one the decision used:
 * Holm-adjusted for "better" and for an "undecided" that leans better, unadjusted otherwise
 * (shownInterval); the smallest detectable difference and the advice are at Holm's first-step level,
 * and the advice always asks for more than the run had (issue 22).
 * Outcome: beaten if any alternative is better; confirmed if all are worse; equivalent if all are
 * worse or equivalent; tied otherwise (no difference shown, none ruled out: the data could not
 * separate them, and the verdict says how small a difference it could have seen and roughly how
 * many seeds would decide). With fewer than MIN_SEEDS_FOR_CLAIM seeds the verdict describes what it
 * saw but is inconclusive (DESIGN.md: one seed's CI said "beaten" where long runs disagreed).
 * Candidates stopped by racing (src/verify/racing.ts) are out of the comparison at the final steps;
 * their elimination lines are details, and when racing stopped every alternative the recommended
 * recipe is confirmed by those eliminations.
 * Learning curves (src/verify/curves.ts): when a trailing candidate's curve would close the gap to
 * the leader within about twice the steps, the verdict is flagged `orderStillMoving` and its
 * sentence says so; a directional sentence is then never given without that warning.
 * Kept from before: a diverged recommended recipe is beaten (unless no one beat predicting
 * background everywhere), failures and interruptions are inconclusive, a candidate that trained
 * fewer steps than the recommended one (a budget stop) is not compared ("unequal comparison").
 *
 * Wiring (for the orchestrator): after each rung, table = id -> per seed -> ImageScore[];
 * curves = addRung(curves, table, steps, 'meanDice', ctx); race = raceRung({ ..., curves,
 * plannedRungs }); at the end decideVerdict({ candidates (scores = seedMean per metric), compare:
 * tableComparator(finalTable, ctx), seeds, steps, curves, eliminations, tieMargin }).
 */
import { listAnd } from '../common/list.js';
import { formatLevel } from '../common/percent.js';
import type { CandidateStatus, Verdict, VerdictComparison, VerdictElimination } from '../contracts/verification.js';
import { describeMovingPair, orderStillMoving, type LearningCurve, type MovingPair } from './curves.js';
import type { Elimination } from './racing.js';
import { METRIC_LABELS, type HeadlineMetric } from './scores.js';
import { DEFAULT_CONFIDENCE, intervalAt, minimumDetectableDifference, seedsNeeded, withinMargin, type Comparator, type PairedDifference } from './seed-stats.js';
import { holmStepDown, MIN_IMAGES_FOR_CI } from './stats.js';
import { DEFAULT_TIE_MARGIN, MIN_SEEDS_FOR_CLAIM } from './settings.js';

export { METRIC_LABELS, type HeadlineMetric } from './scores.js';

export interface VerdictCandidate {
  id: string;
  label: string;
  isRecommended: boolean;
  status: CandidateStatus;
  statusDetail: string | null;
  /** Headline values (mean over seeds) at the compared steps; null when it produced no metrics. */
  scores: Record<HeadlineMetric, number> | null;
  /** Steps it trained (the fewest over seeds); absent = the verdict's steps. */
  stepsDone?: number;
}

export interface VerdictInput {
  candidates: readonly VerdictCandidate[];
  /** Seed-paired difference (a - b) at the final steps (seed-stats.ts tableComparator). */
  compare: Comparator;
  valImages: number;
  /** Replicates behind each comparison: seeds (one split) or folds (cross-validation). */
  seeds: number;
  /** The replicate design (absent: one split, `seeds` seeds): with folds > 1 `seeds` counts folds. */
  design?: { folds: number; seedsPerFold: number };
  /** Steps every compared candidate trained (the budget the verdict ranks at); null if unknown. */
  steps: number | null;
  tieMargin?: number;
  confidence?: number;
  /** Validation learning curves (mean over seeds per rung). */
  curves?: readonly LearningCurve[];
  /** Candidates the racing stopped, with their evidence. */
  eliminations?: readonly Elimination[];
  interrupted?: boolean;
  /** Mean Dice of predicting background everywhere (see the diverged case). */
  allBackgroundMeanDice?: number;
  /** Hook for object-level metrics (another module): detail lines comparing a candidate with the recommended one. */
  objectMetrics?: (candidateId: string, recommendedId: string) => string[];
}

const PRIMARY: HeadlineMetric = 'meanDice';
const SECONDARY: HeadlineMetric[] = ['rarestClassDice', 'rarestClassRecall', 'boundaryIoU'];

export function decideVerdict(input: VerdictInput): Verdict {
  const tieMargin = input.tieMargin ?? DEFAULT_TIE_MARGIN;
  const confidence = input.confidence ?? DEFAULT_CONFIDENCE;
  const pct = formatLevel(confidence);
  const { candidates, valImages } = input;
  const eliminations = input.eliminations ?? [];
  const eliminated = new Set(eliminations.map((e) => e.id));
  const labelOf = (id: string) => candidates.find((c) => c.id === id)?.label ?? id;
  const details = candidates
    .filter((c) => c.status !== 'ok' && c.status !== 'eliminated') // eliminations get their own 'Racing:' line
    .map((c) => (c.status === 'stopped' && c.statusDetail ? `${c.label}: ${c.statusDetail}` : `${c.label}: ${c.status}${c.statusDetail ? ` (${c.statusDetail})` : ''}`));
  details.push(...eliminations.map((e) => `Racing: ${e.reason}`));
  const base = { steps: input.steps, seeds: input.seeds, tieMargin, eliminations: eliminations.map(toContractElimination) };
  const verdict = (outcome: Verdict['outcome'], winnerId: string | null, sentence: string, extra: Partial<Verdict> = {}): Verdict => ({ outcome, winnerId, sentence, details, ...base, ...extra });
  const at = input.steps !== null ? `at ${input.steps} steps` : 'at this budget';
  const folds = input.design?.folds ?? 1;
  const seedsPerFold = input.design?.seedsPerFold ?? input.seeds;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const seedsText = folds > 1 ? `${plural(folds, 'fold')} x ${plural(seedsPerFold, 'seed')}` : plural(input.seeds, 'seed');
  const replicatesWord = folds > 1 ? 'folds' : 'seeds';
  const moreReplicates = folds > 1 ? `--folds ${MIN_SEEDS_FOR_CLAIM} or more (or --folds 1 --seeds ${MIN_SEEDS_FOR_CLAIM})` : `--seeds ${MIN_SEEDS_FOR_CLAIM}`;

  const scored = candidates.filter((c) => c.scores !== null && !eliminated.has(c.id));
  const best = scored.length ? scored.reduce((a, b) => (b.scores!.meanDice > a.scores!.meanDice ? b : a)) : null;
  const rec = candidates.find((c) => c.isRecommended);
  // Candidates that trained another number of steps than the recommended recipe (or, without it,
  // than the longest-trained one): a budget stop before lockstep training. They are not compared.
  const refSteps = rec?.scores ? rec.stepsDone : Math.max(...scored.map((c) => c.stepsDone ?? Number.NEGATIVE_INFINITY));
  const unequal = scored.filter((c) => c !== rec && c.stepsDone !== undefined && refSteps !== undefined && Number.isFinite(refSteps) && c.stepsDone !== refSteps);
  if (unequal.length > 0) {
    details.push(`Unequal comparison: ${listAnd(unequal.map((c) => `${c.label} trained ${c.stepsDone} steps vs ${refSteps}`))}; a candidate that trained a different number of steps is not compared.`);
  }
  if (valImages < MIN_IMAGES_FOR_CI) {
    return verdict('inconclusive', best?.id ?? null, `Inconclusive: only ${valImages} validation image${valImages === 1 ? '' : 's'}; give verify a dataset with at least ${Math.ceil(MIN_IMAGES_FOR_CI / 0.2)} images so at least ${MIN_IMAGES_FOR_CI} are held out.`);
  }
  if (!best && input.interrupted) return verdict('inconclusive', null, 'Inconclusive: the run was interrupted before any candidate finished; run verify again, with a smaller --budget or --steps if time is short.');
  if (!best && candidates.some((c) => c.status === 'stopped')) {
    return verdict('inconclusive', null, 'Inconclusive: the time budget ran out before any candidate could be compared; run verify again with a longer --budget, fewer --candidates or --seeds, or --steps N.');
  }
  const recElimination = rec ? eliminations.find((e) => e.id === rec.id) : undefined;
  if (!best && !recElimination) return verdict('inconclusive', null, 'Inconclusive: no candidate finished training; lower the learning rate or check the data, then run verify again.');
  if (!rec) {
    return verdict('inconclusive', best!.id, `${best!.label} had the best mean Dice (${fmt(best!.scores!.meanDice)}) ${at}; the recommended recipe was not among the candidates, so nothing was verified.`);
  }
  if (recElimination) {
    const evidence = `${fmtSigned(recElimination.difference)} mean Dice (${formatLevel(recElimination.confidence)} CI ${fmtSigned(recElimination.ci[0])} to ${fmtSigned(recElimination.ci[1])}, ${recElimination.seeds} ${replicatesWord})`;
    if (recElimination.seeds < MIN_SEEDS_FOR_CLAIM) {
      return verdict('inconclusive', recElimination.by, `Inconclusive: racing stopped the recommended ${rec.label} at ${recElimination.steps} steps, behind ${labelOf(recElimination.by)} by ${evidence}, but ${recElimination.seeds} ${replicatesWord} are too few to call it beaten; run verify with ${moreReplicates}.`);
    }
    return verdict('beaten', recElimination.by, `At ${recElimination.steps} steps ${labelOf(recElimination.by)} was ahead of the recommended ${rec.label} by ${evidence}, so racing stopped it; for training this long, switch to ${labelOf(recElimination.by)} (a ranking at this budget: longer training can change it).`);
  }
  if (!rec.scores) return unscoredRecommended(rec, best!, input, verdict);

  if (rec.status === 'stopped' && scored.some((c) => c !== rec && (c.stepsDone ?? 0) > (rec.stepsDone ?? 0))) {
    const top = scored.filter((c) => c !== rec).reduce((a, b) => (b.scores!.meanDice > a.scores!.meanDice ? b : a));
    return verdict('inconclusive', top.id, `Inconclusive: the recommended ${rec.label} ${rec.statusDetail ?? 'was stopped at the time budget'}, so it cannot be compared with candidates that trained longer (best: ${top.label}, mean Dice ${fmt(top.scores!.meanDice)}); run verify again with a longer --budget, fewer --candidates or --steps N.`);
  }
  const others = scored.filter((c) => c !== rec && !unequal.includes(c));
  const curveLines = curveDetails(input.curves, rec.id, labelOf);
  // Moving pairs that matter to a claim: someone closing on the candidate the claim puts first.
  const allMoving = input.curves ? orderStillMoving(input.curves) : [];
  const closingOn = (leaderId: string) => allMoving.filter((p) => p.leaderId === leaderId);
  const aroundRec = allMoving.filter((p) => p.leaderId === rec.id || p.trailerId === rec.id);
  details.push(...curveLines.lines);
  const movingText = (pairs: MovingPair[]) => (pairs.length ? `; but the order is still moving: ${describeMovingPair(pairs[0], labelOf)}` : '');

  const racedText = eliminations.length ? `; racing had stopped ${listAnd(eliminations.map((e) => `${labelOf(e.id)} at ${e.steps} steps`))} (see the racing lines)` : '';
  if (others.length === 0) {
    if (eliminations.length > 0) {
      const moving = closingOn(rec.id);
      if (eliminations.some((e) => e.seeds < MIN_SEEDS_FOR_CLAIM)) {
        return verdict('inconclusive', rec.id, `Inconclusive with ${seedsText}: racing stopped every alternative that trained as worse than the leader${racedText.replace('; racing had stopped', ':')}, but a winner needs at least ${MIN_SEEDS_FOR_CLAIM} ${replicatesWord}; run verify with ${moreReplicates}.`);
      }
      return verdict(
        'confirmed',
        rec.id,
        `Keep the recommended ${rec.label}: racing stopped every alternative that trained as significantly worse than the leader${racedText.replace('; racing had stopped', ':')}, and it reached mean Dice ${fmt(rec.scores.meanDice)} ${at}${movingText(moving)}; a ranking at this budget only.`,
        { orderStillMoving: moving.length > 0 },
      );
    }
    return verdict('inconclusive', rec.id, `Inconclusive: only the recommended ${rec.label} finished (mean Dice ${fmt(rec.scores.meanDice)} ${at}), so nothing was compared; run verify again with the alternatives (see the details for why they did not finish).`);
  }

  // The comparisons, candidate minus recommended.
  const diffs = new Map(others.map((o) => [o.id, input.compare(o.id, rec.id, PRIMARY)] as const));
  const seedsBehind = Math.min(input.seeds, ...[...diffs.values()].filter((d): d is PairedDifference => d !== null).map((d) => d.seeds));
  const holm = holmLevels(others.map((o) => ({ id: o.id, d: diffs.get(o.id) ?? null })), 1 - confidence);
  const relationOf = (o: VerdictCandidate): VerdictComparison['relation'] => {
    const d = diffs.get(o.id);
    if (!d) return 'undecided';
    if (withinMargin(d.ci, tieMargin)) return 'equivalent';
    if (d.ci[1] < 0) return 'worse';
    if (d.ci[0] > 0 && holm.rejected.has(o.id)) return 'better';
    return 'undecided';
  };
  // The interval shown beside each decision is the one the decision used (shownInterval).
  const shown = new Map(others.map((o) => {
    const d = diffs.get(o.id);
    return [o.id, d ? shownInterval(d, relationOf(o), holm.rejected.get(o.id) ?? holm.stopLevel) : null] as const;
  }));
  // The level that makes a "better" call in the worst case (Holm's first step, Bonferroni's level):
  // what the smallest detectable difference and the advice are computed at.
  const claimConfidence = 1 - (1 - confidence) / Math.max(1, holm.tests);
  const comparisons: VerdictComparison[] = others.flatMap((o) => {
    const d = shown.get(o.id);
    return d ? [toComparison(o.id, rec.id, d, relationOf(o), claimConfidence, d.confidence > confidence + 1e-12 ? holm.tests : null)] : [];
  });
  const mdd = comparisons.length ? Math.max(...comparisons.map((c) => c.minimumDetectableDifference)) : null;
  const extra: Partial<Verdict> = { comparisons, minimumDetectableDifference: mdd, orderStillMoving: aroundRec.length > 0 };
  const replicateText = folds > 1 ? `${seedsText} x ${valImages} validation images, each validated once` : `${seedsText} x ${valImages} validation images`;
  if (mdd !== null && Number.isFinite(mdd) && seedsBehind >= 2) {
    details.push(`Smallest mean-Dice difference this run could detect (${formatLevel(claimConfidence)} confidence${holm.tests > 1 ? `, Holm's first step over ${holm.tests} comparisons` : ''}, 80% power): ${fmt(mdd)} (${replicateText}; the least sensitive comparison${folds > 1 ? '' : whatLimits(comparisons, mdd, others)}).`);
  }
  if (comparisons.some((c) => c.adjustedFor && c.adjustedFor > 1)) {
    details.push(`Intervals: beside "better" and "undecided" (when it leans that way) each CI is at the level Holm's step-down over ${holm.tests} comparisons tested it at, so it excludes 0 exactly when the difference is significant after the correction; beside "worse" and "equivalent" at ${pct} (no correction needed for those claims: intersection-union and TOST).`);
  }
  details.push(...secondaryDifferences(rec, others, input.compare, seedsBehind >= MIN_SEEDS_FOR_CLAIM));
  const closest = others.reduce((a, b) => (b.scores!.meanDice > a.scores!.meanDice ? b : a));
  if (input.objectMetrics) details.push(...input.objectMetrics(closest.id, rec.id));
  const ciText = (d: PairedDifference | null | undefined) => (d ? `${formatLevel(d.confidence)} CI ${fmtSigned(d.ci[0])} to ${fmtSigned(d.ci[1])}${d.confidence > confidence + 1e-12 ? ', Holm-adjusted' : ''}` : 'no CI');
  const mddText = mdd !== null && Number.isFinite(mdd) ? `; the smallest difference this run could detect was about ${fmt(mdd)} mean Dice` : '';
  const evidenceText = folds > 1 ? `${replicateText}, fold-paired` : `${replicateText}, seed-paired`;

  if (seedsBehind < MIN_SEEDS_FOR_CLAIM) {
    const top = best!;
    const d = top === rec ? shown.get(closest.id) : shown.get(top.id);
    const vs = top === rec ? `${closest.label} (${fmt(closest.scores!.meanDice)})` : `the recommended ${rec.label} (${fmt(rec.scores.meanDice)})`;
    const diffText = d ? `difference ${fmtSigned(top === rec ? -d.mean : d.mean)}, ${ciText(top === rec ? flip(d) : d)}${d.seedVariance ? '' : ', validation images only: seed-to-seed variance unmeasured'}` : 'no CI';
    const need = MIN_SEEDS_FOR_CLAIM / Math.max(1, input.seeds);
    return verdict(
      'inconclusive',
      top.id,
      `Inconclusive with ${seedsText}: ${at} ${top.label} had the highest mean Dice (${fmt(top.scores!.meanDice)} vs ${vs}; ${diffText}), but a winner needs at least ${MIN_SEEDS_FOR_CLAIM} ${replicatesWord}; run verify with ${moreReplicates} (about ${need.toFixed(1)}x this run's training)${movingText(aroundRec)}.`,
      { ...extra, toResolve: { seeds: MIN_SEEDS_FOR_CLAIM, budgetMultiplier: need, valImagesMultiplier: null, text: moreReplicates } },
    );
  }

  const relations = new Map(others.map((o) => [o.id, relationOf(o)]));
  const better = others.filter((o) => relations.get(o.id) === 'better');
  if (better.length > 0) {
    const winner = better.reduce((a, b) => (b.scores!.meanDice > a.scores!.meanDice ? b : a));
    const d = shown.get(winner.id)!;
    const lead = `${at}, ${winner.label} beat the recommended ${rec.label} on mean Dice by ${fmtSigned(d.mean)} (${ciText(d)}; ${evidenceText})`;
    const moving = closingOn(winner.id);
    const sentence = moving.length
      ? `${capitalise(lead)}, but the order is still moving: ${describeMovingPair(moving[0], labelOf)}; train longer before switching to ${winner.label}.`
      : `Switch to ${winner.label} for training this long: ${lead}; a ranking at this budget only.`;
    return verdict('beaten', winner.id, sentence, { ...extra, orderStillMoving: moving.length > 0 || aroundRec.length > 0 });
  }
  const worse = others.filter((o) => relations.get(o.id) === 'worse');
  const equivalent = others.filter((o) => relations.get(o.id) === 'equivalent');
  const undecided = others.filter((o) => relations.get(o.id) === 'undecided');
  const runnerUp = closest;
  if (worse.length === others.length) {
    const d = shown.get(runnerUp.id)!;
    return verdict('confirmed', rec.id, `Keep the recommended ${rec.label}: ${at} it beat every alternative on mean Dice (${fmt(rec.scores.meanDice)}; closest ${runnerUp.label} ${fmtSigned(d.mean)}, ${ciText(d)}; ${evidenceText})${racedText}${movingText(closingOn(rec.id))}; a ranking at this budget only.`, extra);
  }
  if (undecided.length === 0) {
    const eq = listAnd(equivalent.map((o) => `${o.label} (${fmtSigned(shown.get(o.id)!.mean)}, ${ciText(shown.get(o.id))})`));
    const behind = worse.length ? `; significantly behind: ${listAnd(worse.map((o) => o.label))}` : '';
    return verdict('equivalent', rec.id, `Keep the recommended ${rec.label}: ${at} no alternative differs from it by more than the tie margin of ${tieMargin} mean Dice (equivalent: ${eq}${behind}; ${evidenceText})${racedText}${movingText(aroundRec)}.`, extra);
  }
  // Tied for lack of data: say what this run could see and what would decide.
  const focus = undecided.reduce((a, b) => (b.scores!.meanDice > a.scores!.meanDice ? b : a));
  const d = shown.get(focus.id) ?? null;
  const toResolve = d ? resolveText(d, tieMargin, claimConfidence, seedsText) : null;
  const lead = best === rec ? `the best mean Dice (${fmt(rec.scores.meanDice)})` : `mean Dice ${fmt(rec.scores.meanDice)} vs ${fmt(best!.scores!.meanDice)} for ${best!.label}`;
  const ahead = worse.length ? `, significantly ahead of ${listAnd(worse.map((o) => o.label))}` : '';
  const eqText = equivalent.length ? `, equivalent to ${listAnd(equivalent.map((o) => o.label))}` : '';
  return verdict(
    'tied',
    best!.id,
    `Keep the recommended ${rec.label} for now: ${at} it has ${lead}; no significant difference from ${listAnd(undecided.map((o) => o.label))} (${focus.label} ${d ? `${fmtSigned(d.mean)}, ${ciText(d)}` : 'no CI'}), but none within the tie margin of ${tieMargin} either${ahead}${eqText}${mddText}${toResolve ? `; ${toResolve.text}` : ''}${movingText(aroundRec)}.`,
    { ...extra, toResolve },
  );
}

type VerdictFactory = (outcome: Verdict['outcome'], winnerId: string | null, sentence: string, extra?: Partial<Verdict>) => Verdict;

/** The recommended recipe produced no scores: diverged, failed, stopped or interrupted. */
function unscoredRecommended(rec: VerdictCandidate, best: VerdictCandidate, input: VerdictInput, verdict: VerdictFactory): Verdict {
  if (rec.status === 'diverged') {
    const background = input.allBackgroundMeanDice;
    if (background !== undefined && Number.isFinite(background) && best.scores!.meanDice <= background) {
      return verdict(
        'inconclusive',
        null,
        `Inconclusive: the recommended ${rec.label} diverged (${rec.statusDetail ?? 'unstable loss'}) and no other candidate did better than predicting background everywhere (best mean Dice ${fmt(best.scores!.meanDice)} vs ${fmt(background)}); the baselines share the recommended learning rate, so lower it and run verify again.`,
      );
    }
    return verdict('beaten', best.id, `Switch to ${best.label}: the recommended ${rec.label} diverged (${rec.statusDetail ?? 'unstable loss'}) while ${best.label} reached mean Dice ${fmt(best.scores!.meanDice)}.`);
  }
  if (rec.status === 'failed') {
    return verdict('inconclusive', best.id, `Inconclusive: the recommended ${rec.label} could not be trained (${rec.statusDetail ?? 'unknown error'}); fix the recipe or the rule that made it, then run verify again.`);
  }
  if (rec.status === 'stopped') {
    return verdict('inconclusive', best.id, `Inconclusive: the recommended ${rec.label} was not trained before the time budget ran out (${rec.statusDetail ?? 'stopped'}); run verify again with a longer --budget, fewer --candidates or --steps N.`);
  }
  return verdict('inconclusive', best.id, `Inconclusive: the recommended ${rec.label} did not finish (${rec.status}); run verify again.`);
}

/**
 * One split: which variance sets the least sensitive comparison (the one whose detectable difference
 * is `mdd`), from its standard error's two parts. Issue 22: on image-limited data (building masks,
 * 8 validation tiles) 70-84% of it was which images were validated, which seeds do not shrink and
 * folds do; on the rare-class samples it was seed noise, which both shrink alike.
 */
function whatLimits(comparisons: readonly VerdictComparison[], mdd: number, others: readonly VerdictCandidate[]): string {
  const least = leastSensitive(comparisons, mdd);
  const images = least ? imageShare(least) : null;
  if (!least || images === null) return '';
  const label = others.find((o) => o.id === least.candidateId)?.label ?? least.candidateId;
  return images >= 0.5
    ? `, ${label}: ${Math.round(images * 100)}% of its variance is which images the split validates, which more seeds do not shrink; cross-validation (--folds) validates every image once`
    : `, ${label}: ${Math.round((1 - images) * 100)}% of its variance is seed-to-seed, which more seeds or folds shrink alike`;
}

/** The mean-Dice comparison whose detectable difference is the run's (`mdd`, the largest). */
export function leastSensitive(comparisons: readonly VerdictComparison[], mdd: number | null | undefined): VerdictComparison | undefined {
  return comparisons.find((c) => c.metric === 'meanDice' && c.minimumDetectableDifference === mdd);
}

/** The validation images' share of a comparison's variance: image SE^2 / (replicate SE^2 + image SE^2); null without a standard error. */
export function imageShare(comparison: VerdictComparison): number | null {
  const se = comparison.standardError;
  const total = se ? se.replicates ** 2 + se.images ** 2 : 0;
  return se && total > 0 ? se.images ** 2 / total : null;
}

/** Ids whose comparison is rejected by Holm's step-down procedure at family-wise `alpha` (two-sided p-values). */
export function holmRejected(tests: ReadonlyArray<{ id: string; d: PairedDifference | null }>, alpha: number): Set<string> {
  return new Set(holmLevels(tests, alpha).rejected.keys());
}

/**
 * Holm's step-down with its levels: each rejected test with the level it was rejected at, the level
 * of the step where it stopped (alpha / (m - j) for j rejections; a test not rejected has p above
 * it, see shownInterval), and m.
 */
export function holmLevels(tests: ReadonlyArray<{ id: string; d: PairedDifference | null }>, alpha: number): { rejected: Map<string, number>; stopLevel: number; tests: number } {
  const family = tests.flatMap((t) => (t.d ? [{ id: t.id, p: t.d.pValue }] : []));
  const rejected = holmStepDown(family, alpha);
  const m = family.length;
  return { rejected, stopLevel: rejected.size < m ? alpha / (m - rejected.size) : alpha, tests: m };
}

/**
 * The interval shown beside a decision: the one the decision used (issue 22: a table printed a CI
 * excluding 0 beside "undecided", because the decision was Holm-corrected and the CI was not).
 * - better: the CI at the level Holm's step-down rejected it at (it excludes 0);
 * - undecided while the unadjusted CI excludes 0 upwards: the CI at the level of the step where
 *   Holm's step-down stopped; the test's p is above that level (it was tested there and failed, or
 *   comes after a test that did, with a larger p), so this CI includes 0;
 * - worse, equivalent, other undecided: the CI at the verdict's confidence, which is the level those
 *   decisions use (intersection-union and TOST need no correction).
 * Why not one simultaneous interval set: Holm's step-down has no simultaneous intervals that match
 * its decisions and stay informative (Strassburger & Bretz 2008: the compatible ones collapse to a
 * bound at 0 for the rejected hypotheses); Bonferroni intervals at alpha / m are simultaneous but
 * would show a CI including 0 beside some Holm rejections. Each interval shown here agrees with its
 * decision; the family-wise guarantee is Holm's, on the decisions.
 */
export function shownInterval(d: PairedDifference, relation: VerdictComparison['relation'], holmLevel: number): PairedDifference {
  const adjusted = relation === 'better' || (relation === 'undecided' && d.ci[0] > 0);
  if (!adjusted) return d;
  const level = Math.max(d.confidence, 1 - holmLevel);
  return { ...d, ci: intervalAt(d, level), confidence: level };
}

function resolveText(d: PairedDifference, tieMargin: number, confidence: number, design: string): NonNullable<Verdict['toResolve']> {
  const need = seedsNeeded(d, { tieMargin, confidence });
  const aim = need.goal === 'direction' ? `tell the sign of a ${fmt(need.target)} difference` : `show equivalence within ${tieMargin}`;
  const byFold = d.unit === 'fold';
  if (need.seeds !== null) {
    const what = byFold ? `about ${need.seeds} seeds per fold (--seeds ${need.seeds})` : `about ${need.seeds} seeds`;
    const caveat = byFold && (d.seedsPerFold ?? 1) < 2 ? ', if the fold-to-fold spread is training noise (with one seed per fold it cannot be told from which images each fold validates, which seeds do not change)' : '';
    return { seeds: need.seeds, ...(byFold ? { perFold: true } : {}), budgetMultiplier: need.budgetMultiplier, valImagesMultiplier: null, text: `${what} (${need.budgetMultiplier!.toFixed(1)}x this run's training, same steps) would ${aim}${caveat}` };
  }
  if (need.valImagesMultiplier !== null) {
    // The multiplier is at 64 seeds (seedsNeeded): say so, or "1.2x more images" reads as enough on its own.
    const more = `about ${need.valImagesMultiplier.toFixed(1)}x more ${byFold ? 'labelled' : 'validation'} images at 64 seeds${byFold ? ' per fold' : ''}`;
    const where = byFold ? `every image is validated once already: ${more}` : `${more}; cross-validation (--folds) validates every labelled image once`;
    return { seeds: null, budgetMultiplier: null, valImagesMultiplier: need.valImagesMultiplier, text: `more seeds alone would not ${aim}: the validation set is the limit (${where})` };
  }
  return { seeds: null, budgetMultiplier: null, valImagesMultiplier: null, text: `more than 64 seeds${d.unit === 'fold' ? ' per fold' : ''} would be needed to ${aim} at this budget (${design} now); a longer training may separate them` };
}

/** Curve lines: every moving pair that involves the recommended recipe, or a note when there is no curve. */
function curveDetails(curves: readonly LearningCurve[] | undefined, recId: string, labelOf: (id: string) => string): { lines: string[] } {
  if (!curves || curves.every((c) => c.points.length < 2)) {
    return { lines: ['Ranks at this budget only: the run has one validation point per candidate, so it cannot tell whether the order is still moving.'] };
  }
  const moving = orderStillMoving(curves, { ids: [recId] });
  return { lines: moving.map((p) => `Order still moving: ${describeMovingPair(p, labelOf)}.`) };
}

/** One line per secondary metric and direction listing the candidates significantly better/worse than the recommended one. */
function secondaryDifferences(rec: VerdictCandidate, others: readonly VerdictCandidate[], compare: Comparator, claim: boolean): string[] {
  const out: string[] = [];
  for (const metric of SECONDARY) {
    const better: string[] = [];
    const worse: string[] = [];
    for (const other of others) {
      const d = compare(other.id, rec.id, metric);
      if (!d || (d.ci[0] <= 0 && d.ci[1] >= 0)) continue;
      (d.ci[0] > 0 ? better : worse).push(`${other.label} ${fmtSigned(d.mean)}`);
    }
    const how = claim ? 'Significantly' : 'Observed (too few seeds for a claim)';
    if (better.length) out.push(`${how} higher ${METRIC_LABELS[metric]} than the recommended recipe: ${better.join(', ')}`);
    if (worse.length) out.push(`${how} lower ${METRIC_LABELS[metric]} than the recommended recipe: ${worse.join(', ')}`);
  }
  return out;
}

function toComparison(candidateId: string, againstId: string, d: PairedDifference, relation: VerdictComparison['relation'], confidence: number, adjustedFor: number | null): VerdictComparison {
  return {
    candidateId,
    againstId,
    metric: d.metric,
    difference: d.mean,
    ci: d.ci,
    confidence: d.confidence,
    seeds: d.seeds,
    seedVariance: d.seedVariance,
    minimumDetectableDifference: minimumDetectableDifference(d, { confidence }),
    relation,
    ...(adjustedFor !== null ? { adjustedFor } : {}),
    ...(d.unit === 'fold' ? { unit: 'fold' as const, perFold: d.perSeed } : {}),
    standardError: { replicates: d.seedSd / Math.sqrt(d.seeds), images: d.imageSe },
  };
}

function toContractElimination(e: Elimination): VerdictElimination {
  return { id: e.id, rung: e.rung, steps: e.steps, by: e.by, metric: e.metric, difference: e.difference, ci: e.ci, reason: e.reason };
}

function flip(d: PairedDifference): PairedDifference {
  return { ...d, mean: -d.mean, ci: [-d.ci[1], -d.ci[0]], perSeed: d.perSeed.map((v) => -v) };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}


export function fmt(x: number): string {
  return x.toFixed(3);
}

function fmtSigned(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
}
