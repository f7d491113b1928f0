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
 * IoU) and candidates that diverged or failed.
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
}

/** 95% CI of (a - b) on a metric, paired over val images; null when not computable. */
export type DifferenceCI = (aId: string, bId: string, metric: HeadlineMetric) => [number, number] | null;

export function decideVerdict(candidates: readonly VerdictCandidate[], differenceCI: DifferenceCI, valImages: number, options: { interrupted?: boolean } = {}): Verdict {
  const scored = candidates.filter((c) => c.scores !== null);
  const details = candidates
    .filter((c) => c.status !== 'ok')
    .map((c) => `${c.label}: ${c.status}${c.statusDetail ? ` (${c.statusDetail})` : ''}`);
  const best = scored.length ? scored.reduce((a, b) => (b.scores!.meanDice > a.scores!.meanDice ? b : a)) : null;
  const verdict = (outcome: Verdict['outcome'], winnerId: string | null, sentence: string): Verdict => ({ outcome, winnerId, sentence, details });

  if (valImages < MIN_IMAGES_FOR_CI) {
    return verdict('inconclusive', best?.id ?? null, `Inconclusive: only ${valImages} validation image${valImages === 1 ? '' : 's'}; give verify a dataset with at least ${Math.ceil(MIN_IMAGES_FOR_CI / 0.2)} images so at least ${MIN_IMAGES_FOR_CI} are held out.`);
  }
  if (!best && options.interrupted) return verdict('inconclusive', null, 'Inconclusive: the run was interrupted before any candidate finished; run verify again, with a smaller --budget or --steps if time is short.');
  if (!best) return verdict('inconclusive', null, 'Inconclusive: no candidate finished training; lower the learning rate or check the data, then run verify again.');
  const rec = candidates.find((c) => c.isRecommended);
  if (!rec) {
    return verdict('inconclusive', best.id, `${best.label} had the best mean Dice (${fmt(best.scores!.meanDice)}); the recommended recipe was not among the candidates, so nothing was verified.`);
  }
  if (!rec.scores) {
    if (rec.status === 'diverged') {
      return verdict('beaten', best.id, `Switch to ${best.label}: the recommended ${rec.label} diverged (${rec.statusDetail ?? 'unstable loss'}) while ${best.label} reached mean Dice ${fmt(best.scores!.meanDice)}.`);
    }
    if (rec.status === 'failed') {
      return verdict('inconclusive', best.id, `Inconclusive: the recommended ${rec.label} could not be trained (${rec.statusDetail ?? 'unknown error'}); fix the recipe or the rule that made it, then run verify again.`);
    }
    return verdict('inconclusive', best.id, `Inconclusive: the recommended ${rec.label} did not finish (${rec.status}); run verify again.`);
  }

  const others = scored.filter((c) => c !== rec);
  details.push(...secondaryDifferences(rec, others, differenceCI));

  const better = others.filter((o) => lowerBound(differenceCI(o.id, rec.id, 'meanDice')) > 0);
  if (better.length > 0) {
    const winner = better.reduce((a, b) => (b.scores!.meanDice > a.scores!.meanDice ? b : a));
    const ci = differenceCI(winner.id, rec.id, 'meanDice')!;
    return verdict('beaten', winner.id, `Switch to ${winner.label}: it beat the recommended ${rec.label} on mean Dice by ${fmtSigned(winner.scores!.meanDice - rec.scores.meanDice)} (95% CI ${fmtSigned(ci[0])} to ${fmtSigned(ci[1])}) over ${valImages} validation images.`);
  }
  if (others.length === 0) {
    return verdict('tied', rec.id, `Keep the recommended ${rec.label}: it was the only candidate that finished (mean Dice ${fmt(rec.scores.meanDice)}), so there was nothing to compare against.`);
  }
  const aheadOfAll = best === rec && others.every((o) => lowerBound(differenceCI(rec.id, o.id, 'meanDice')) > 0);
  if (aheadOfAll) {
    const runnerUp = others.reduce((a, b) => (b.scores!.meanDice > a.scores!.meanDice ? b : a));
    return verdict('confirmed', rec.id, `Keep the recommended ${rec.label}: best mean Dice (${fmt(rec.scores.meanDice)}), ahead of the runner-up ${runnerUp.label} (${fmt(runnerUp.scores!.meanDice)}) beyond the 95% CI.`);
  }
  const tiedWith = others.filter((o) => !(lowerBound(differenceCI(rec.id, o.id, 'meanDice')) > 0)).map((o) => o.label);
  const lead = best === rec ? `the best mean Dice (${fmt(rec.scores.meanDice)})` : `mean Dice ${fmt(rec.scores.meanDice)} vs ${fmt(best.scores!.meanDice)} for ${best.label}`;
  return verdict('tied', best.id, `Keep the recommended ${rec.label}: ${lead}, tied within the 95% CI with ${listLabels(tiedWith)}; a longer --budget or more validation images would separate them.`);
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
      const entry = `${other.label} ${fmtSigned(other.scores![metric] - rec.scores![metric])}`;
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
