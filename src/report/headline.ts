/**
 * The verdict at a glance: one line of at most about HEADLINE_TARGET characters that comes first in
 * the terminal, report.md/report.html and verification.json (`verdict.headline`), e.g.
 *   "tied at 312 steps: keep the recommended recipe for now (about 15 seeds would decide)"
 *   "confirmed: the recommended recipe beats Focal γ2 by +0.05 mean Dice (96% CI +0.02..+0.08)"
 * The verdict's sentence and details stay the full story; this reads the verdict object (outcome,
 * comparisons, toResolve, eliminations, steps) and names candidates by their short names
 * (short-names.ts). It never decides anything the verdict did not: it only says it shorter.
 * Several phrasings are tried, longest first, and the first that fits HEADLINE_TARGET is used;
 * whatever happens the result is cut to HEADLINE_MAX.
 */
import { formatLevel } from '../common/percent.js';
import { safeLine } from '../common/safe-text.js';
import type { CandidateStatus, Verdict, VerdictComparison } from '../contracts/verification.js';
import { shortNameLookup, type NamedCandidate } from './short-names.js';

export const HEADLINE_TARGET = 100;
export const HEADLINE_MAX = 110;

export interface HeadlineCandidate extends NamedCandidate {
  status?: CandidateStatus;
}

/** +0.05, or +0.004 when two decimals would show 0.00. */
function signed(x: number, digits = Math.abs(x) > 0 && Math.abs(x) < 0.01 ? 3 : 2): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
}

function ciText(c: Pick<VerdictComparison, 'ci' | 'confidence'>, flip = false): string {
  const [lo, hi] = flip ? [-c.ci[1], -c.ci[0]] : c.ci;
  const digits = Math.max(lo, hi) - Math.min(lo, hi) < 0.02 ? 3 : 2;
  return `${formatLevel(c.confidence)} CI ${signed(lo, digits)}..${signed(hi, digits)}`;
}

const METRIC_WORDS: Record<string, string> = { meanDice: 'mean Dice', rarestClassDice: 'rare-class Dice', rarestClassRecall: 'rare-class recall', boundaryIoU: 'boundary IoU' };

/** The first phrasing that fits HEADLINE_TARGET, else the shortest cut to HEADLINE_MAX. */
function firstFitting(options: Array<string | null>): string {
  const texts = options.filter((t): t is string => t !== null && t.length > 0).map((t) => safeLine(t));
  const fits = texts.find((t) => t.length <= HEADLINE_TARGET);
  if (fits) return fits;
  const shortest = texts.reduce((a, b) => (b.length < a.length ? b : a), texts[0] ?? '');
  return shortest.length <= HEADLINE_MAX ? shortest : `${shortest.slice(0, HEADLINE_MAX - 1).trimEnd()}…`;
}

/** The verdict's own first clause ("Inconclusive: only 3 validation images; ..." or "Inconclusive with 2 folds x 1 seed: ..." -> what follows). */
function firstClause(sentence: string): string {
  const body = sentence.replace(/^[A-Z][a-z]+( with \d+ (seeds?|folds? x \d+ seeds?))?: /, '');
  return body.split(/[;:]\s/)[0].replace(/\.$/, '');
}

/** Comparisons on the primary metric, candidate minus recommended. */
function primary(verdict: Verdict): VerdictComparison[] {
  return (verdict.comparisons ?? []).filter((c) => c.metric === 'meanDice');
}

export function verdictHeadline(verdict: Verdict, candidates: readonly HeadlineCandidate[]): string {
  const name = shortNameLookup(candidates);
  const rec = candidates.find((c) => c.isRecommended);
  const at = verdict.steps !== null && verdict.steps !== undefined ? ` at ${verdict.steps} steps` : '';
  const moving = verdict.orderStillMoving ? ' (order still moving)' : '';
  const comparisons = primary(verdict);
  const decide = verdict.toResolve?.seeds ? `about ${verdict.toResolve.seeds} seeds${verdict.toResolve.perFold ? ' per fold' : ''} would decide` : verdict.toResolve?.valImagesMultiplier ? `more validation images would decide` : null;
  const metricOf = (c: VerdictComparison) => METRIC_WORDS[c.metric] ?? c.metric;

  switch (verdict.outcome) {
    case 'confirmed': {
      // The closest alternative: the smallest lead of the recommended recipe.
      const closest = comparisons.reduce<VerdictComparison | null>((a, b) => (a === null || b.difference > a.difference ? b : a), null);
      if (!closest) {
        const raced = (verdict.eliminations ?? []).length > 0 ? ': racing stopped every alternative;' : ':';
        return firstFitting([`confirmed${at}${raced} keep the recommended recipe${moving}`, `confirmed${at}: keep the recommended recipe${moving}`]);
      }
      const lead = `the recommended recipe beats ${name(closest.candidateId)} by ${signed(-closest.difference)} ${metricOf(closest)}`;
      return firstFitting([`confirmed${at}: ${lead} (${ciText(closest, true)})${moving}`, `confirmed: ${lead} (${ciText(closest, true)})${moving}`, `confirmed: ${lead}${moving}`, `confirmed: keep the recommended recipe${moving}`]);
    }
    case 'beaten': {
      const winner = verdict.winnerId ? name(verdict.winnerId) : 'an alternative';
      if (rec?.status === 'diverged') return firstFitting([`beaten: the recommended recipe diverged; switch to ${winner}`]);
      const c = comparisons.find((x) => x.candidateId === verdict.winnerId && x.relation === 'better');
      const elimination = verdict.eliminations?.find((e) => rec && e.id === rec.id);
      if (c) {
        const lead = `${winner} beats the recommended recipe by ${signed(c.difference)} ${metricOf(c)}`;
        const advice = verdict.orderStillMoving ? '; order still moving, train longer' : '';
        return firstFitting([`beaten${at}: ${lead} (${ciText(c)})${advice}`, `beaten: ${lead} (${ciText(c)})${advice}`, `beaten: ${lead}${advice}`, `beaten: switch to ${winner}${advice}`]);
      }
      if (elimination) {
        return firstFitting([`beaten at ${elimination.steps} steps: racing stopped the recommended recipe, ${winner} led by ${signed(elimination.difference)}`, `beaten: racing stopped the recommended recipe; switch to ${winner}`]);
      }
      return firstFitting([`beaten${at}: switch to ${winner}${moving}`]);
    }
    case 'equivalent': {
      const margin = verdict.tieMargin !== undefined ? ` (all within ±${verdict.tieMargin} mean Dice)` : '';
      return firstFitting([`equivalent${at}: keep the recommended recipe${margin}${moving}`, `equivalent${at}: keep the recommended recipe${moving}`]);
    }
    case 'tied': {
      const leader = verdict.winnerId && rec && verdict.winnerId !== rec.id ? `; ${name(verdict.winnerId)} ahead, not significantly` : '';
      const why = decide ? ` (${decide})` : ' (the data could not separate them)';
      return firstFitting([
        `tied${at}: keep the recommended recipe for now${why}${leader}${moving}`,
        `tied${at}: keep the recommended recipe for now${why}${moving}`,
        `tied${at}: keep the recommended recipe for now${why}`,
      ]);
    }
    case 'inconclusive': {
      const top = verdict.winnerId ? name(verdict.winnerId) : null;
      const seedsNeeded = verdict.toResolve?.text?.startsWith('--seeds') ? verdict.toResolve.text : null;
      if (seedsNeeded && top) {
        const c = comparisons.find((x) => x.candidateId === verdict.winnerId);
        const lead = rec && verdict.winnerId === rec.id ? 'the recommended recipe led' : `${top} led${c ? ` by ${signed(c.difference)}` : ''}`;
        return firstFitting([`inconclusive with ${verdict.seeds ?? 1} seed${verdict.seeds === 1 ? '' : 's'}${at}: ${lead}; run ${seedsNeeded} to decide${moving}`, `inconclusive: ${lead}; run ${seedsNeeded} to decide`]);
      }
      const clause = firstClause(verdict.sentence);
      return firstFitting([`inconclusive${at}: ${clause}`, `inconclusive: ${clause}`]);
    }
  }
}

/** The verdict with its headline as the first field (so verification.json shows it first). */
export function withHeadline(verdict: Verdict, candidates: readonly HeadlineCandidate[]): Verdict {
  const { headline: _old, ...rest } = verdict;
  return { headline: verdictHeadline(rest, candidates), ...rest };
}

/** A report's headline: the one it was written with, or (older files) made now from its verdict. */
export function headlineOf(report: { verdict: Verdict; candidates: readonly HeadlineCandidate[] }): string {
  return report.verdict.headline ? safeLine(report.verdict.headline) : verdictHeadline(report.verdict, report.candidates);
}

/**
 * The verdict's sentence as short lines: split at each "; " outside brackets (the sentence joins
 * its findings with semicolons), first letter capitalised. Shown under the headline.
 */
export function sentenceLines(sentence: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < sentence.length; i++) {
    const ch = sentence[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    else if (ch === ';' && depth === 0 && sentence[i + 1] === ' ') {
      parts.push(sentence.slice(start, i));
      start = i + 2;
    }
  }
  parts.push(sentence.slice(start));
  return parts.map((p) => p.trim().replace(/\.$/, '')).filter(Boolean).map((p) => `${p.charAt(0).toUpperCase()}${p.slice(1)}.`);
}
