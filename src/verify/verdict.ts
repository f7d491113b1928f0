/**
 * The verdict: is the recommended recipe the best, tied, or beaten?
 *
 * Primary metric: mean Dice on val. "Significantly better" means the paired bootstrap 95% CI of
 * the difference (same resampled val images for both candidates) lies entirely above zero.
 *  - inconclusive: fewer than MIN_IMAGES_FOR_CI val images; no candidate produced metrics; the
 *    recommended recipe failed or was interrupted (not diverged); or it was not a candidate.
 *  - beaten: the recommended recipe diverged while another candidate finished, or some candidate
 *    is significantly better on mean Dice (the winner is the best of those by mean Dice).
 *  - confirmed: the recommended recipe has the highest mean Dice and is significantly better
 *    than every other finished candidate.
 *  - tied: otherwise (no one significantly better, but it is not significantly ahead of all).
 * Details list significant differences on the secondary metrics (rarest-class recall, Boundary
 * IoU) and candidates that diverged, failed or were stopped.
 *
 * Unequal training (a --budget run stopped a candidate at its time limit, so it trained fewer
 * steps): "A is significantly better than B" counts only when A trained no more steps than B, since
 * a lead over a candidate that trained less may be nothing but the extra steps (a lead despite
 * fewer steps still counts). Every sentence that compares a stopped candidate says so, and a detail
 * names the unequal comparison.
 */
import type { CandidateStatus, Verdict } from '../contracts/verification.js';
import { MIN_IMAGES_FOR_CI } from './stats.js';

export type HeadlineMetric = 'meanDice' | 'rarestClassRecall' | 'boundaryIoU';
export const METRIC_LABELS: Record<HeadlineMetric, string> = {
  meanDice: 'mean Dice',
  rarestClassRecall: 'rarest-class recall',
  boundaryIoU: 'Boundary IoU',
};

export interface VerdictCandidate {
  id: string;
  label: string;
  isRecommended: boolean;
  status: CandidateStatus;
  statusDetail: string | null;
  /** Headline values; null when the candidate produced no metrics. */
  scores: Record<HeadlineMetric, number> | null;
  /** Steps it trained (the fewest over seeds); absent = as many as every other candidate. */
  stepsDone?: number;
}

/** 95% CI of (a - b) on a metric, paired over val images; null when not computable. */
export type DifferenceCI = (aId: string, bId: string, metric: HeadlineMetric) => [number, number] | null;

/**
 * @param options.allBackgroundMeanDice mean Dice of predicting background everywhere: when the
 *   recommended recipe diverged, a candidate no better than that is not offered as the switch.
 */
export function decideVerdict(
  candidates: readonly VerdictCandidate[],
  differenceCI: DifferenceCI,
  valImages: number,
  options: { interrupted?: boolean; allBackgroundMeanDice?: number } = {},
): Verdict {
  const scored = candidates.filter((c) => c.scores !== null);
  const details = candidates
    .filter((c) => c.status !== 'ok')
    .map((c) => (c.status === 'stopped' && c.statusDetail ? `${c.label}: ${c.statusDetail}` : `${c.label}: ${c.status}${c.statusDetail ? ` (${c.statusDetail})` : ''}`));
  const shortScored = scored.filter((c) => c.status === 'stopped');
  if (shortScored.length > 0) {
    details.push(`Unequal comparison: the time budget stopped ${listLabels(shortScored.map((c) => `${c.label} after ${c.stepsDone ?? '?'} steps`))}; a lead over a candidate that trained fewer steps is not counted as significant (a lead despite fewer steps is).`);
  }
  /** a is significantly better than b on the metric, and not merely by training more steps. */
  const fairlyBetter = (a: VerdictCandidate, b: VerdictCandidate, metric: HeadlineMetric = 'meanDice') => lowerBound(differenceCI(a.id, b.id, metric)) > 0 && !trainedMore(a, b);
  const best = scored.length ? scored.reduce((a, b) => (b.scores!.meanDice > a.scores!.meanDice ? b : a)) : null;
  const verdict = (outcome: Verdict['outcome'], winnerId: string | null, sentence: string): Verdict => ({ outcome, winnerId, sentence, details });

  if (valImages < MIN_IMAGES_FOR_CI) {
    return verdict('inconclusive', best?.id ?? null, `Inconclusive: only ${valImages} validation image${valImages === 1 ? '' : 's'}; give verify a dataset with at least ${Math.ceil(MIN_IMAGES_FOR_CI / 0.2)} images so at least ${MIN_IMAGES_FOR_CI} are held out.`);
  }
  if (!best && options.interrupted) return verdict('inconclusive', null, 'Inconclusive: the run was interrupted before any candidate finished; run verify again, with a smaller --budget or --steps if time is short.');
  if (!best && candidates.some((c) => c.status === 'stopped')) {
    return verdict('inconclusive', null, 'Inconclusive: the time budget ran out before any candidate could be compared; run verify again with a longer --budget, fewer --candidates or --seeds, or --steps N.');
  }
  if (!best) return verdict('inconclusive', null, 'Inconclusive: no candidate finished training; lower the learning rate or check the data, then run verify again.');
  const rec = candidates.find((c) => c.isRecommended);
  if (!rec) {
    return verdict('inconclusive', best.id, `${best.label} had the best mean Dice (${fmt(best.scores!.meanDice)}); the recommended recipe was not among the candidates, so nothing was verified.`);
  }
  if (!rec.scores) {
    if (rec.status === 'diverged') {
      const background = options.allBackgroundMeanDice;
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

  const others = scored.filter((c) => c !== rec);
  details.push(...secondaryDifferences(rec, others, differenceCI));

  const better = others.filter((o) => fairlyBetter(o, rec));
  if (better.length > 0) {
    const winner = better.reduce((a, b) => (b.scores!.meanDice > a.scores!.meanDice ? b : a));
    const ci = differenceCI(winner.id, rec.id, 'meanDice')!;
    const handicap = trainedLess(winner, rec) ? ` even though it trained fewer steps (${winner.stepsDone} vs ${rec.stepsDone}: stopped at the time budget, an unequal comparison)` : '';
    return verdict('beaten', winner.id, `Switch to ${winner.label}: it beat the recommended ${rec.label} on mean Dice by ${fmtSigned(winner.scores!.meanDice - rec.scores.meanDice)} (95% CI ${fmtSigned(ci[0])} to ${fmtSigned(ci[1])}) over ${valImages} validation images${handicap}.`);
  }
  if (others.length === 0) {
    return verdict('tied', rec.id, `Keep the recommended ${rec.label}: it was the only candidate that finished (mean Dice ${fmt(rec.scores.meanDice)}), so there was nothing to compare against.`);
  }
  const aheadOfAll = best === rec && others.every((o) => fairlyBetter(rec, o));
  if (aheadOfAll) {
    const runnerUp = others.reduce((a, b) => (b.scores!.meanDice > a.scores!.meanDice ? b : a));
    const handicap = others.some((o) => trainedLess(rec, o)) ? `, even though it trained fewer steps (${rec.stepsDone}: stopped at the time budget, an unequal comparison)` : '';
    return verdict('confirmed', rec.id, `Keep the recommended ${rec.label}: best mean Dice (${fmt(rec.scores.meanDice)}), ahead of the runner-up ${runnerUp.label} (${fmt(runnerUp.scores!.meanDice)}) beyond the 95% CI${handicap}.`);
  }
  // Significant differences that unequal training could explain: not counted, but named.
  const significantEitherWay = (o: VerdictCandidate) => lowerBound(differenceCI(rec.id, o.id, 'meanDice')) > 0 || lowerBound(differenceCI(o.id, rec.id, 'meanDice')) > 0;
  const unequal = others.filter((o) => !fairlyBetter(rec, o) && significantEitherWay(o));
  const unequalText = listLabels(unequal.map((o) => `${o.label} (${o.stepsDone} steps vs ${rec.stepsDone})`));
  const aheadOfRec = unequal.filter((o) => lowerBound(differenceCI(o.id, rec.id, 'meanDice')) > 0);
  if (rec.status === 'stopped' && aheadOfRec.length > 0) {
    const top = aheadOfRec.reduce((a, b) => (b.scores!.meanDice > a.scores!.meanDice ? b : a));
    return verdict('inconclusive', top.id, `Inconclusive: ${top.label} scored higher than the recommended ${rec.label} (mean Dice ${fmt(top.scores!.meanDice)} vs ${fmt(rec.scores.meanDice)}), but the recommended one ${rec.statusDetail ?? 'was stopped at the time budget'}, so the comparison is unequal; run verify again with a longer --budget, fewer --candidates or --steps N.`);
  }
  const tiedWith = others.filter((o) => !fairlyBetter(rec, o) && !unequal.includes(o)).map((o) => o.label);
  const lead = best === rec ? `the best mean Dice (${fmt(rec.scores.meanDice)})` : `mean Dice ${fmt(rec.scores.meanDice)} vs ${fmt(best.scores!.meanDice)} for ${best.label}`;
  const parts = [`Keep the recommended ${rec.label}: ${lead}`];
  if (tiedWith.length) parts.push(`tied within the 95% CI with ${listLabels(tiedWith)}`);
  if (unequal.length) parts.push(`its lead over ${unequalText} is not counted because the time budget stopped them early (an unequal comparison)`);
  const advice = unequal.length ? 'a longer --budget (or --steps N) would give every candidate the same steps' : 'a longer --budget or more validation images would separate them';
  return verdict('tied', best.id, `${parts.join(', ')}; ${advice}.`);
}

/** a trained more steps than b (only when a budget run stopped one of them). */
function trainedMore(a: VerdictCandidate, b: VerdictCandidate): boolean {
  return a.stepsDone !== undefined && b.stepsDone !== undefined && a.stepsDone > b.stepsDone;
}

function trainedLess(a: VerdictCandidate, b: VerdictCandidate): boolean {
  return trainedMore(b, a);
}

/** One line per secondary metric and direction listing the candidates significantly better/worse than the recommended one. */
function secondaryDifferences(rec: VerdictCandidate, others: readonly VerdictCandidate[], differenceCI: DifferenceCI): string[] {
  const out: string[] = [];
  for (const metric of ['rarestClassRecall', 'boundaryIoU'] as const) {
    const better: string[] = [];
    const worse: string[] = [];
    for (const other of others) {
      const ci = differenceCI(other.id, rec.id, metric);
      if (!ci || (ci[0] <= 0 && ci[1] >= 0)) continue;
      const steps = trainedMore(other, rec) || trainedLess(other, rec) ? ` (unequal: ${other.stepsDone} vs ${rec.stepsDone} steps)` : '';
      const entry = `${other.label} ${fmtSigned(other.scores![metric] - rec.scores![metric])}${steps}`;
      (ci[0] > 0 ? better : worse).push(entry);
    }
    if (better.length) out.push(`Significantly higher ${METRIC_LABELS[metric]} than the recommended recipe: ${better.join(', ')}`);
    if (worse.length) out.push(`Significantly lower ${METRIC_LABELS[metric]} than the recommended recipe: ${worse.join(', ')}`);
  }
  return out;
}

function lowerBound(ci: [number, number] | null): number {
  return ci ? ci[0] : Number.NEGATIVE_INFINITY;
}

function listLabels(labels: string[]): string {
  return labels.length <= 1 ? labels.join('') : `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}`;
}

export function fmt(x: number): string {
  return x.toFixed(3);
}

function fmtSigned(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
}
