/**
 * Plain-text rendering of a VerificationReport: the article's comparison table (rows mean Dice,
 * rarest-class recall, Boundary IoU, stability; a column per candidate; the winner marked), the
 * verdict (what it ranks, the seed-paired comparisons, eliminations), the learning curves,
 * per-class scores and how the run was set up.
 */
import type { CandidateResult, MetricWithCI, VerificationReport } from '../contracts/verification.js';
import { comparisonCiHeader, comparisonRows, comparisonTitle, curveTable, eliminationLines, formatSlope, lockstepSentence, verdictScopeLines } from './verification-sections.js';
import { objectMetricRows, OBJECT_ROWS_KEY } from './object-rows.js';
import { headlineOf, sentenceLines } from './headline.js';
import { candidateKey, shortNameLookup, withShortNames } from './short-names.js';

const ANSI = { bold: '\u001b[1m', green: '\u001b[32m', red: '\u001b[31m', yellow: '\u001b[33m', dim: '\u001b[2m', reset: '\u001b[0m' };

export function formatVerificationText(report: VerificationReport, options: { color: boolean }): string {
  const paint = (code: keyof typeof ANSI, text: string) => (options.color ? `${ANSI[code]}${text}${ANSI.reset}` : text);
  const s = report.settings;
  const lines: string[] = [];
  const name = shortNameLookup(report.candidates);
  const outcomeColour = { confirmed: 'green', equivalent: 'green', tied: 'yellow', beaten: 'red', inconclusive: 'yellow' } as const;
  // The verdict at a glance comes first; the full story follows.
  lines.push(`${paint('bold', 'Verdict:')} ${paint(outcomeColour[report.verdict.outcome], headlineOf(report))}`, '');
  const stepsText = s.steps !== null ? `${s.steps} steps per run` : 'no rung reached';
  lines.push(paint('bold', 'Verification'));
  lines.push(
    `${report.candidates.length} candidates, ${stepsText}${s.budgetSeconds !== null ? ` (from a ${Math.round(s.budgetSeconds)}s budget)` : ''}, ` +
      `seed${s.seeds.length > 1 ? 's' : ''} ${s.seeds.join(', ')}; ${s.trainImages} train / ${s.valImages} val images, ` +
      `${s.cropSize}px crops, batch ${s.batchSize}; U-Net depth ${s.model.depth}, width ${s.model.baseWidth} (${s.model.parameters.toLocaleString('en-US')} parameters)`,
  );
  lines.push(`backend: ${report.backend.name} (${report.backend.detail}, ${report.backend.threads} thread${report.backend.threads === 1 ? '' : 's'})`);
  const lockstep = lockstepSentence(report);
  if (lockstep) lines.push(lockstep);
  if (report.interrupted) lines.push(paint('yellow', lockstep ? 'interrupted (Ctrl-C): candidates are compared at their last rung' : 'interrupted (Ctrl-C): unfinished candidates have no metrics'));
  const stopped = report.candidates.filter((c) => c.status === 'stopped');
  if (stopped.length > 0) {
    const limit = s.timeLimitSeconds !== undefined ? ` (hard stop at ${Math.round(s.timeLimitSeconds)}s)` : '';
    lines.push(paint('yellow', `time budget reached${limit}: ${stopped.map((c) => `${name(c.id)} ${c.stepsDone}/${s.steps ?? '?'} steps`).join(', ')}; fewer steps make an unequal comparison (see the verdict)`));
  }
  lines.push('');

  const winner = report.verdict.winnerId;
  const header = (c: CandidateResult) => `${name(c.id)}${c.id === winner ? ' *' : ''}`;
  const rows: Array<[string, (c: CandidateResult) => string]> = [
    ['mean Dice', (c) => metric(c.metrics?.meanDice)],
    ['  95% CI', (c) => interval(c.metrics?.meanDice)],
    ...(report.candidates.some((c) => c.metrics?.rarestClassDice)
      ? ([['rarest-class Dice', (c) => metric(c.metrics?.rarestClassDice)], ['  95% CI', (c) => interval(c.metrics?.rarestClassDice)]] as Array<[string, (c: CandidateResult) => string]>)
      : []),
    ['rarest-class recall', (c) => metric(c.metrics?.rarestClassRecall)],
    ['  95% CI', (c) => interval(c.metrics?.rarestClassRecall)],
    ['boundary IoU', (c) => metric(c.metrics?.boundaryIoU)],
    ['  95% CI', (c) => interval(c.metrics?.boundaryIoU)],
    ['stability (loss CV)', (c) => (c.metrics?.stability != null ? `${c.metrics.stability.toFixed(3)} ${stabilityWord(c.metrics.stability)}` : 'n/a')],
    ['steps', (c) => String(c.stepsDone)],
    ['wall time', (c) => `${c.wallSeconds.toFixed(0)}s`],
    ['status', (c) => c.status],
  ];
  if (report.candidates.some((c) => c.seedSpread)) {
    const at = rows.findIndex(([name]) => name.startsWith('stability'));
    rows.splice(at, 0, ['mean Dice over seeds', (c) => spread(c, 'meanDice')], ['rare Dice over seeds', (c) => spread(c, 'rarestClassDice')], ['rare recall over seeds', (c) => spread(c, 'rarestClassRecall')]);
  }
  // Object-level rows after Boundary IoU and its CI.
  const objectRows = objectMetricRows(report, 'full');
  rows.splice(rows.findIndex(([name]) => name === 'boundary IoU') + 2, 0, ...objectRows.flatMap((row): Array<[string, (c: CandidateResult) => string]> => [
    [row.objects !== undefined ? `${row.long} (${row.objects})` : row.long, (c) => metric(row.value(c) ?? undefined)],
    ['  95% CI', (c) => interval(row.value(c) ?? undefined)],
  ]));
  const firstWidth = Math.max(...rows.map(([name]) => name.length)) + 2;
  const widths = report.candidates.map((c) => Math.max(header(c).length, ...rows.map(([, cell]) => cell(c).length)) + 2);
  const rarest = s.classNames?.[s.rarestClassId] ?? report.candidates.find((c) => c.metrics)?.metrics?.perClass[s.rarestClassId]?.name ?? String(s.rarestClassId);
  lines.push(''.padEnd(firstWidth) + report.candidates.map((c, i) => colour(c, header(c).padEnd(widths[i]))).join(''));
  for (const [name, cell] of rows) lines.push(name.padEnd(firstWidth) + report.candidates.map((c, i) => colour(c, cell(c).padEnd(widths[i]))).join(''));
  if (s.allBackgroundMeanDice !== undefined) lines.push(paint('dim', `all-background baseline (predicting the background class everywhere; without one, the most frequent class): mean Dice ${s.allBackgroundMeanDice.toFixed(3)}`));
  lines.push(paint('dim', `* best mean Dice; rarest class: ${rarest}; stability = std/mean of the training loss over the last third of steps (lower is steadier)`));
  if (objectRows.length) lines.push(paint('dim', `${OBJECT_ROWS_KEY}; ground-truth objects per area bin in brackets`));
  lines.push('');

  lines.push(`${paint('bold', 'Verdict')} ${paint(outcomeColour[report.verdict.outcome], `[${report.verdict.outcome}]`)}: ${headlineOf(report)}`);
  for (const line of sentenceLines(withShortNames(report.verdict.sentence, report.candidates))) lines.push(`  ${line}`);
  for (const line of verdictScopeLines(report)) lines.push(`  ${line}`);
  for (const detail of report.verdict.details) lines.push(`  - ${withShortNames(detail, report.candidates)}`);
  lines.push('');

  const comparisons = comparisonRows(report);
  if (comparisons.length > 0) {
    lines.push(paint('bold', comparisonTitle(report)));
    const table = [['candidate', 'vs', 'metric', 'difference', comparisonCiHeader(report), 'result', 'detectable', 'seeds'], ...comparisons.map((c) => [name(c.id), name(c.againstId), c.metric, c.difference, c.ci, c.relation, c.detectable, c.seeds])];
    lines.push(...alignColumns(table).map((row) => `  ${row}`));
    lines.push('');
  }
  const eliminated = eliminationLines(report, name);
  if (eliminated.length > 0) {
    lines.push(paint('bold', 'Stopped by racing'));
    for (const line of eliminated) lines.push(`  ${line}`);
    lines.push('');
  }
  const curves = curveTable(report);
  if (curves) {
    lines.push(paint('bold', 'Learning curves (mean Dice on val, mean over seeds, at each rung)'));
    const table = [['steps', ...curves.steps.map(String), 'rare Dice', 'slope', ''], ...curves.rows.map((r) => [name(r.id), ...r.values.map((v) => (v === null ? '-' : v.toFixed(3))), r.rarestClassDice === null ? '-' : r.rarestClassDice.toFixed(3), formatSlope(r.slope), r.note])];
    lines.push(...alignColumns(table).map((row) => `  ${row}`));
    lines.push(paint('dim', '  slope: change of mean Dice per doubling of the steps over the last rungs'));
    lines.push('');
  }

  const scored = report.candidates.filter((c) => c.metrics);
  if (scored.length > 0) {
    lines.push(paint('bold', 'Per-class Dice / recall on val'));
    const classes = scored[0].metrics!.perClass;
    const nameWidth = Math.max(...classes.map((k) => k.name.length)) + 2;
    const colWidth = Math.max(15, ...scored.map((c) => name(c.id).length + 2));
    lines.push(''.padEnd(nameWidth) + scored.map((c) => name(c.id).padEnd(colWidth)).join(''));
    for (const k of classes) {
      lines.push(
        k.name.padEnd(nameWidth) +
          scored.map((c) => {
            const pc = c.metrics!.perClass[k.id];
            return `${num(pc.dice)} / ${num(pc.recall)}`.padEnd(colWidth);
          }).join(''),
      );
    }
    lines.push('');
  }

  lines.push(paint('bold', 'Candidates (short name: full label)'));
  const key = new Map(candidateKey(report.candidates).map((k) => [k.id, k]));
  for (const c of report.candidates) {
    const r = c.recipe;
    lines.push(`  ${key.get(c.id)!.name}: ${c.label} [${c.id}] - ${r.loss.name}, ${r.optimizer.name} lr ${r.optimizer.lr}, ${r.schedule.name} schedule, warm-up ${Math.round(r.schedule.warmupFraction * 100)}%` +
      `${r.gradientClipNorm !== null ? `, clip ${r.gradientClipNorm}` : ''}${r.classWeights ? ', class weights' : ''}${r.rareClassOversampling ? `, ${Math.round(r.rareClassOversampling * 100)}% rare-class crops` : ''}`);
    if (c.derivation) lines.push(paint('dim', `      ${c.derivation}`));
    if (c.statusDetail) lines.push(c.status === 'stopped' ? `      ${c.statusDetail}` : `      ${c.status}: ${c.statusDetail}`);
    for (const path of c.overlays) lines.push(paint('dim', `      overlay: ${path}`));
  }
  for (const skipped of report.backend.skipped) lines.push(paint('dim', `backend ${skipped.name} not used: ${skipped.why}`));
  for (const n of report.notes ?? []) lines.push(paint('dim', `note: ${n}`));
  return `${lines.join('\n')}\n`;

  function colour(c: CandidateResult, text: string): string {
    if (c.id === winner) return paint('green', text);
    if (c.status === 'diverged' || c.status === 'failed') return paint('red', text);
    if (c.status === 'stopped' || c.status === 'eliminated') return paint('yellow', text);
    return text;
  }
}

/** Rows of cells as left-aligned columns. */
function alignColumns(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] + 2)).join('').trimEnd());
}

function metric(m: MetricWithCI | undefined): string {
  return m ? m.value.toFixed(3) : '-';
}

function interval(m: MetricWithCI | undefined): string {
  return m?.ci95 ? `${m.ci95[0].toFixed(3)}-${m.ci95[1].toFixed(3)}` : '';
}

function num(v: number | null): string {
  return v === null ? ' n/a ' : v.toFixed(3);
}

function spread(c: CandidateResult, key: string): string {
  const s = c.seedSpread?.[key];
  return s ? `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}` : '-';
}

/** The article's words for training stability, from the loss CV over the last third. */
export function stabilityWord(cv: number): string {
  if (cv < 0.1) return 'stable';
  if (cv < 0.25) return 'moderate';
  return 'swings';
}
