/**
 * The parts of a verification that lockstep racing added, as plain rows and sentences shared by
 * the terminal text, report.md and the Ink dashboard (each styles them its own way): what the
 * verdict ranks (the steps and seeds of THIS budget), the learning curves with their slopes, the
 * seed-paired comparisons with the smallest detectable difference, and the eliminations with
 * their evidence. Reports of schema 1 have none of these fields: every function returns nothing.
 */
import { listAnd } from '../common/list.js';
import { formatLevel } from '../common/percent.js';
import type { CandidateResult, VerificationReport } from '../contracts/verification.js';

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/** How the runs were trained, in one sentence (null for schema 1 reports). */
export function lockstepSentence(report: VerificationReport): string | null {
  const s = report.settings;
  if (!s.rungs) return null;
  const runs = report.candidates.length * s.seeds.length;
  const rungs = s.rungs.map((r) => r.steps).join(', ');
  const steps = s.steps !== null ? `every surviving run trained exactly ${s.steps} steps` : 'no rung was reached';
  // (folds, issue 22) with cross-validation a run is a candidate x fold x seed.
  const replicates = s.folds && s.folds.count > 1 ? `${s.folds.count} folds x ${s.folds.seedsPerFold} seed${s.folds.seedsPerFold === 1 ? '' : 's'}` : `${s.seeds.length} seed${s.seeds.length === 1 ? '' : 's'}`;
  return `${runs} runs (${report.candidates.length} candidates x ${replicates}) trained in lockstep, rounds of ${s.roundSteps ?? '?'} steps: ${steps}; scored on validation at rungs of ${rungs || 'no'} steps.`;
}

/** What the verdict answers and what it could see, as sentences (those its sentence and details do not already say). */
export function verdictScopeLines(report: VerificationReport): string[] {
  const v = report.verdict;
  const out: string[] = [];
  const said = (pattern: RegExp) => pattern.test(v.sentence) || v.details.some((d) => pattern.test(d));
  const steps = v.steps ?? report.settings.steps;
  const folds = report.settings.folds;
  if (steps !== null && steps !== undefined && report.settings.rungs) {
    // (folds, issue 22) with cross-validation the replicates are folds x seeds per fold.
    const replicates = folds && folds.count > 1 ? `${folds.count} folds x ${folds.seedsPerFold} seed${folds.seedsPerFold === 1 ? '' : 's'}` : `${v.seeds ?? report.settings.seeds.length} seed${(v.seeds ?? report.settings.seeds.length) === 1 ? '' : 's'}`;
    out.push(`This ranks the candidates at THIS budget: ${steps} steps per run, ${replicates}. Longer training can change the order (learning curves cross).`);
  }
  if (folds && folds.count > 1) {
    out.push(`Cross-validation: ${folds.design}; grouping by ${folds.grouping.rule === 'group' ? `group (${folds.grouping.groups} groups${folds.grouping.pattern ? `, --group ${folds.grouping.pattern}` : ''})` : 'image'}.`);
    const perFold = report.candidates.filter((c) => c.perFold?.length);
    if (perFold.length) out.push(`Mean Dice per fold: ${perFold.map((c) => `${c.label} ${c.perFold!.map((x) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a')).join(' / ')}`).join('; ')}.`);
  }
  if (v.orderStillMoving && !said(/^Order still moving/)) out.push('Order still moving: a trailing candidate is gaining fast enough to close its gap within about twice the steps.');
  if (v.minimumDetectableDifference !== undefined && v.minimumDetectableDifference !== null && Number.isFinite(v.minimumDetectableDifference) && !said(/difference this run could detect/)) {
    out.push(`Smallest mean-Dice difference this run could detect (80% power): ${v.minimumDetectableDifference.toFixed(3)}; tie margin ${(v.tieMargin ?? report.settings.tieMargin ?? 0.01).toFixed(3)}.`);
  }
  if (v.toResolve?.text && !v.sentence.includes(v.toResolve.text)) out.push(`To resolve: ${v.toResolve.text}`);
  const budget = report.settings.errorBudget;
  const budgetLine = budget ? errorBudgetLine(budget) : null;
  if (budgetLine) out.push(budgetLine);
  return out;
}

/** How the run's error budget was split and spent (settings.errorBudget; older files carry an even split in racingAlphaPerRung). */
function errorBudgetLine(budget: NonNullable<VerificationReport['settings']['errorBudget']>): string | null {
  const head = `Error budget: ${formatLevel(1 - budget.confidence)} for every "better"/"worse" call of the run together:`;
  const tail = `the rest for the final comparisons (${formatLevel(budget.verdictConfidence)} CIs).`;
  if (budget.racingAlpha !== undefined) {
    if (!(budget.racingAlpha > 0)) return null;
    const spent = budget.racingSpent ?? [];
    const spentText = spent.length ? `spent ${listAnd(spent.map((s) => `${formatLevel(s.alpha)} at rung ${s.rung}`))}` : 'no rung raced';
    return `${head} racing may spend ${formatLevel(budget.racingAlpha)}, as ${formatLevel(1 - budget.confidence)} x t^${budget.spendingPower ?? 2} by the share t of the steps (little early, where learning curves still cross; ${spentText}), ${tail}`;
  }
  const rungs = budget.racingRungs ?? 0;
  if (budget.racingAlphaPerRung === undefined || rungs === 0) return null;
  return `${head} ${formatLevel(budget.racingAlphaPerRung)} at ${rungs === 1 ? 'the one racing rung' : `each of up to ${rungs} racing rungs`}, ${tail}`;
}

export interface CurveRow {
  id: string;
  label: string;
  /** Mean Dice (over seeds) per rung, aligned with `steps`; null where the candidate was not scored. */
  values: Array<number | null>;
  rarestClassDice: number | null;
  slope: number | null;
  note: string;
}

/** The learning curves as a table: the rung step counts and a row per candidate. */
export function curveTable(report: VerificationReport): { steps: number[]; rows: CurveRow[] } | null {
  const rungs = report.settings.rungs;
  if (!rungs || rungs.length === 0) return null;
  const steps = rungs.map((r) => r.steps);
  const rows = report.candidates.map((c) => ({
    id: c.id,
    label: c.label,
    values: rungs.map((r) => c.curve?.find((p) => p.rung === r.rung)?.meanDice ?? null),
    rarestClassDice: c.curve?.length ? (c.curve[c.curve.length - 1].rarestClassDice ?? null) : null,
    slope: c.slopePerDoubling ?? null,
    note: curveNote(c, report),
  }));
  return { steps, rows };
}

function curveNote(c: CandidateResult, report: VerificationReport): string {
  const e = report.verdict.eliminations?.find((x) => x.id === c.id);
  if (e) return `eliminated at rung ${e.rung}`;
  if (c.status !== 'ok') return c.status;
  return '';
}

export function formatSlope(slope: number | null): string {
  return slope === null ? 'n/a' : `${signed(slope)}/2x`;
}

export interface ComparisonRow {
  id: string;
  againstId: string;
  label: string;
  against: string;
  metric: string;
  difference: string;
  ci: string;
  relation: string;
  detectable: string;
  seeds: string;
}

/** The seed-paired comparisons behind the verdict, formatted. */
export function comparisonRows(report: VerificationReport): ComparisonRow[] {
  const labelOf = (id: string) => report.candidates.find((c) => c.id === id)?.label ?? id;
  return (report.verdict.comparisons ?? []).map((c) => ({
    id: c.candidateId,
    againstId: c.againstId,
    label: labelOf(c.candidateId),
    against: labelOf(c.againstId),
    metric: c.metric,
    difference: signed(c.difference),
    // (folds, issue 22) a Holm-adjusted CI says its own level: the one its decision used.
    ci: `${signed(c.ci[0])} to ${signed(c.ci[1])}${c.adjustedFor ? ` (${formatLevel(c.confidence)}, Holm over ${c.adjustedFor})` : ''}`,
    relation: c.relation,
    detectable: Number.isFinite(c.minimumDetectableDifference) ? c.minimumDetectableDifference.toFixed(3) : 'n/a',
    seeds: c.unit === 'fold' ? `${c.seeds} folds` : `${c.seeds}${c.seedVariance ? '' : ' (images only)'}`,
  }));
}

/** The comparison table's CI column header: the verdict's level (below 100% - 5% when racing shared the error budget). */
export function comparisonCiHeader(report: VerificationReport): string {
  // (folds, issue 22) rows whose CI is Holm-adjusted carry their own level; the header is the unadjusted one.
  const plain = (report.verdict.comparisons ?? []).filter((c) => !c.adjustedFor);
  const level = plain[0]?.confidence ?? report.settings.errorBudget?.verdictConfidence ?? report.verdict.comparisons?.[0]?.confidence ?? 0.95;
  return `${formatLevel(level)} CI`;
}

/** The comparison table's title: fold- or seed-paired (folds, issue 22). */
export function comparisonTitle(report: VerificationReport): string {
  return report.verdict.comparisons?.some((c) => c.unit === 'fold')
    ? 'Fold-paired comparisons (CIs over cross-validation folds: seeds and validation images both in the fold-to-fold spread)'
    : 'Seed-paired comparisons (CIs over seeds and validation images)';
}

/** One line per elimination: rung, steps, difference and CI, and the evidence sentence (candidates named by `labelOf`, e.g. short names). */
export function eliminationLines(report: VerificationReport, labelOf: (id: string) => string = (id) => report.candidates.find((c) => c.id === id)?.label ?? id): string[] {
  return (report.verdict.eliminations ?? []).map(
    (e) => `${labelOf(e.id)}: stopped at rung ${e.rung} (${e.steps} steps), ${e.difference.toFixed(3)} ${e.metric === 'meanDice' ? 'mean Dice' : e.metric} behind ${labelOf(e.by)} (CI ${signed(e.ci[0])} to ${signed(e.ci[1])})`,
  );
}

/** Rarest-class Dice of a candidate (schema 2 metrics), for tables beside mean Dice and recall. */
export function rarestClassDiceOf(c: CandidateResult) {
  return c.metrics?.rarestClassDice ?? null;
}
