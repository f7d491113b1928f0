/**
 * The verify dashboard as lines: the lockstep plan, a two-line row per candidate with its seeds
 * (status; progress bar of the lockstep steps, loss sparkline of its first seed, mean Dice at each
 * rung so far, ETA), the eliminations with their evidence; then the metrics table in the article's
 * layout (metric rows, a column per candidate, 95% CIs, winner ★), the learning curves and the
 * verdict with what it ranks.
 */
import type { CandidateResult, MetricWithCI, VerificationReport } from '../../contracts/verification.js';
import { objectMetricRows } from '../../report/object-rows.js';
import { bar, DIVERGED_MARK, fit, fitRight, formatCount, formatDuration, formatMetric, sparkline, truncate, wrapText } from '../format.js';
import { BLANK, seg, type Line, type Role } from '../lines.js';
import { rowProgress, type CandidateRow, type RowStatus, type VerifyState } from '../verify-state.js';
import { curveTable, eliminationLines, formatSlope, lockstepSentence, verdictScopeLines } from '../../report/verification-sections.js';
import { headlineOf, sentenceLines } from '../../report/headline.js';
import { candidateKey, shortNameLookup, shortNames, withShortNames } from '../../report/short-names.js';

export const WINNER_MARK = '★';
export const RECOMMENDED_MARK = '◆';
/** A candidate stopped at the time budget (fewer steps than the others, or not started). */
export const STOPPED_MARK = '◷';
/** A candidate the racing stopped at a rung. */
export const ELIMINATED_MARK = '✂';

const STATUS_TEXT: Record<RowStatus, { mark: string; text: string; role: Role }> = {
  training: { mark: '▶', text: 'training', role: 'accent' },
  evaluating: { mark: '…', text: 'evaluating', role: 'accent' },
  ok: { mark: '✓', text: 'done', role: 'good' },
  diverged: { mark: DIVERGED_MARK, text: 'DIVERGED', role: 'bad' },
  interrupted: { mark: '‖', text: 'interrupted', role: 'warn' },
  failed: { mark: '!', text: 'FAILED', role: 'bad' },
  stopped: { mark: STOPPED_MARK, text: 'time limit', role: 'warn' },
  eliminated: { mark: ELIMINATED_MARK, text: 'eliminated', role: 'warn' },
};

function lossText(loss: number | null): string {
  if (loss === null) return 'loss --';
  return Number.isFinite(loss) ? `loss ${loss.toFixed(3)}` : `loss ${loss}`;
}

export function candidateRowLines(row: CandidateRow, width: number): Line[] {
  const status = STATUS_TEXT[row.status];
  // A stopped row's detail ("stopped at the time budget after k of N steps", "not started: ...") says it all.
  const right = row.detail && row.status === 'stopped' ? row.detail : row.detail && row.status !== 'ok' ? `${status.text}: ${row.detail}` : status.text;
  const rightText = truncate(right, Math.max(8, Math.floor(width / 2)));
  const seeds = row.seeds.length > 1 ? ` x${row.seeds.length} seeds` : '';
  const dice = row.rungDice.length ? `  Dice ${row.rungDice.map((d) => d.toFixed(2).replace(/^0/, '')).join(' ')}${row.rarestDice !== null ? ` (rare ${row.rarestDice.toFixed(2)})` : ''}` : '';
  const label = fit(`${row.label}${seeds}${dice}`, Math.max(6, width - rightText.length - 3));
  const barWidth = Math.min(20, Math.max(8, Math.floor(width * 0.16)));
  const steps = row.totalSteps ? fitRight(`${row.step}/${row.totalSteps}`, 2 * String(row.totalSteps).length + 1) : `step ${row.step}`;
  const loss = fit(lossText(row.lastLoss), 10);
  const eta = row.status === 'training' ? `ETA ${formatDuration(row.etaSeconds)}` : formatDuration(row.elapsedSeconds);
  const fixed = 3 + barWidth + 2 + steps.length + 2 + 2 + loss.length + 2 + 9;
  const sparkWidth = Math.max(4, Math.min(40, width - fixed));
  return [
    [seg(`${status.mark} `, status.role), seg(label, 'title'), seg(` ${rightText}`, status.role)],
    [
      seg('  ['),
      seg(bar(rowProgress(row), barWidth), status.role),
      seg(`] ${steps}  `),
      seg(sparkline(row.losses, sparkWidth).padEnd(sparkWidth), row.status === 'diverged' ? 'bad' : 'accent'),
      seg(`  ${loss}`),
      seg(`  ${fit(eta, 9)}`, 'muted'),
    ],
  ];
}

export function liveLines(state: VerifyState, width: number): Line[] {
  const lines: Line[] = state.messages.map((text) => [seg(truncate(text, width), 'muted')]);
  if (state.plan) {
    const runs = state.rows.reduce((n, r) => n + Math.max(1, r.seeds.length), 0);
    const text = `lockstep: ${runs} runs, ${state.plan.totalSteps} steps each in rounds of ${state.plan.roundSteps}; rungs at ${state.plan.rungSteps.join(', ')} steps`;
    lines.push([seg(truncate(text, width), 'accent')]);
  }
  for (const row of state.rows) lines.push(...candidateRowLines(row, width));
  if (state.rows.length === 0) lines.push([seg('waiting for the first candidate…', 'muted')]);
  for (const e of state.eliminations) {
    const label = state.rows.find((r) => r.id === e.candidateId)?.label ?? e.candidateId;
    lines.push(...wrapText(`${ELIMINATED_MARK} ${label}: stopped at rung ${e.rung} (${e.steps} steps), ${e.difference.toFixed(3)} behind (CI ${e.ci[0].toFixed(3)} to ${e.ci[1].toFixed(3)})`, width, '  ').map((text) => [seg(text, 'warn')]));
  }
  return lines;
}

/** A finished report's candidates as rows (so the dashboard can show them without the live run). */
export function rowsFromReport(report: VerificationReport): CandidateRow[] {
  const names = shortNames(report.candidates);
  return report.candidates.map((candidate) => ({
    id: candidate.id,
    label: names.get(candidate.id)!,
    status: candidate.status,
    step: candidate.stepsDone,
    totalSteps: report.settings.steps,
    budgetSeconds: null,
    losses: candidate.lossCurve,
    lastLoss: candidate.lossCurve.length > 0 ? candidate.lossCurve[candidate.lossCurve.length - 1] : null,
    elapsedSeconds: candidate.wallSeconds,
    etaSeconds: null,
    detail: candidate.statusDetail,
    seeds: report.settings.seeds,
    seedSteps: {},
    rungDice: (candidate.curve ?? []).map((p) => p.meanDice),
    rarestDice: candidate.curve?.length ? (candidate.curve[candidate.curve.length - 1].rarestClassDice ?? null) : null,
  }));
}

type MetricKey = 'meanDice' | 'rarestClassDice' | 'rarestClassRecall' | 'boundaryIoU';

interface MetricRowSpec {
  long: string;
  short: string;
  value: (c: CandidateResult) => MetricWithCI | number | null;
  higherIsBetter: boolean;
}

function metricRows(report: VerificationReport): MetricRowSpec[] {
  const rarest = report.candidates.flatMap((c) => c.metrics?.perClass ?? []).find((p) => p.id === report.settings.rarestClassId);
  const metric = (key: MetricKey) => (c: CandidateResult) => c.metrics?.[key] ?? null;
  return [
    { long: 'mean Dice', short: 'mean Dice', value: metric('meanDice'), higherIsBetter: true },
    ...(report.candidates.some((c) => c.metrics?.rarestClassDice)
      ? [{ long: rarest ? `Dice: ${rarest.name}` : 'rarest-class Dice', short: 'rare Dice', value: (c: CandidateResult) => c.metrics?.rarestClassDice ?? null, higherIsBetter: true }]
      : []),
    { long: rarest ? `recall: ${rarest.name}` : 'rarest-class recall', short: 'rare recall', value: metric('rarestClassRecall'), higherIsBetter: true },
    { long: 'boundary IoU', short: 'boundary IoU', value: metric('boundaryIoU'), higherIsBetter: true },
    // Object-level rows (found = IoU > 0.5 with a ground-truth object; spurious = touches none).
    ...objectMetricRows(report, 'brief'),
    { long: 'stability (loss CV)', short: 'loss CV', value: (c) => c.metrics?.stability ?? null, higherIsBetter: false },
  ];
}

function valueOf(v: MetricWithCI | number | null): number | null {
  if (v === null) return null;
  return typeof v === 'number' ? v : v.value;
}

function failedCell(c: CandidateResult): string | null {
  if (c.status === 'diverged') return `${DIVERGED_MARK}diverged`;
  if (c.status === 'failed') return '! failed';
  if (c.status === 'stopped' && !c.metrics) return `${STOPPED_MARK}not run`;
  return null;
}

/** The metrics table; candidate columns are split into blocks that fit the width. */
export function metricsTableLines(report: VerificationReport, width: number): Line[] {
  const narrow = width < 80;
  const labelWidth = narrow ? 13 : 20;
  const colWidth = narrow ? 10 : Math.min(18, Math.max(12, Math.floor((width - labelWidth) / Math.max(1, report.candidates.length))));
  const perBlock = Math.max(1, Math.floor((width - labelWidth) / colWidth));
  const winnerId = report.verdict.winnerId;
  const name = shortNameLookup(report.candidates);
  const rows = metricRows(report);
  // Narrow columns: 2 decimals for rates, fewer for counts such as spurious objects per image.
  const bound = (x: number) => (narrow ? x.toFixed(Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2) : x.toFixed(3));
  const ciText = (ci: [number, number] | null) => (ci ? `${bound(ci[0])}-${bound(ci[1])}` : '');
  const lines: Line[] = [[seg('Metrics on validation', 'heading'), seg(` (${report.settings.valImages} images, 95% bootstrap CIs)`, 'muted')]];
  for (let start = 0; start < report.candidates.length; start += perBlock) {
    const block = report.candidates.slice(start, start + perBlock);
    if (start > 0) lines.push(BLANK);
    const header: Line = [seg(fit('', labelWidth))];
    for (const c of block) {
      const mark = c.id === winnerId ? `${WINNER_MARK} ` : c.isRecommended ? `${RECOMMENDED_MARK} ` : '';
      header.push(seg(fitRight(truncate(`${mark}${name(c.id)}`, colWidth - 1), colWidth), c.id === winnerId ? 'winner' : 'title'));
    }
    lines.push(header);
    for (const row of rows) {
      const finite = report.candidates.map((c) => valueOf(row.value(c))).filter((v): v is number => v !== null && Number.isFinite(v));
      const best = finite.length > 1 ? (row.higherIsBetter ? Math.max(...finite) : Math.min(...finite)) : null;
      const valueLine: Line = [seg(fit(narrow ? row.short : row.long, labelWidth))];
      const ciLine: Line = [seg(fit('  95% CI', labelWidth), 'muted')];
      let anyCi = false;
      for (const c of block) {
        const failed = failedCell(c);
        const v = row.value(c);
        const value = valueOf(v);
        const text = failed ?? formatMetric(value);
        valueLine.push(seg(fitRight(truncate(text, colWidth - 1), colWidth), failed ? 'bad' : value !== null && value === best ? 'good' : undefined));
        const ci = v !== null && typeof v !== 'number' && !failed ? ciText(v.ci95) : '';
        anyCi ||= ci !== '';
        ciLine.push(seg(fitRight(ci, colWidth), 'muted'));
      }
      lines.push(valueLine);
      if (anyCi) lines.push(ciLine);
    }
    const steps: Line = [seg(fit('steps, time', labelWidth), 'muted')];
    for (const c of block) {
      const short = c.status === 'stopped';
      steps.push(seg(fitRight(truncate(`${short ? STOPPED_MARK : ''}${c.stepsDone}, ${formatDuration(c.wallSeconds)}`, colWidth - 1), colWidth), short ? 'warn' : 'muted'));
    }
    lines.push(steps);
  }
  const stoppedKey = report.candidates.some((c) => c.status === 'stopped') ? `   ${STOPPED_MARK} stopped at the time budget (fewer steps: an unequal comparison)` : '';
  const objectKey = rows.some((r) => r.long === 'objects found') ? '   found: IoU > 0.5 with a ground-truth object; spurious: touches none' : '';
  lines.push(...wrapText(`${WINNER_MARK} winner by mean Dice   ${RECOMMENDED_MARK} recommended   ${DIVERGED_MARK} diverged   ! failed${stoppedKey}${objectKey}`, width, '').map((text) => [seg(text, 'muted')]));
  return lines;
}

export function verdictLines(report: VerificationReport, width: number): Line[] {
  const outcome = report.verdict.outcome;
  const role: Role = outcome === 'confirmed' || outcome === 'equivalent' ? 'good' : outcome === 'beaten' ? 'bad' : 'warn';
  const lines: Line[] = [[seg('Verdict: ', 'heading'), seg(outcome.toUpperCase(), role)]];
  for (const line of sentenceLines(withShortNames(report.verdict.sentence, report.candidates))) lines.push(...wrapText(line, width - 4, '  ').map((text) => [seg(`  ${text}`)]));
  for (const scope of verdictScopeLines(report)) lines.push(...wrapText(scope, width - 2, '  ').map((text) => [seg(`  ${text}`, scope.startsWith('Order still moving') ? 'warn' : 'accent')]));
  for (const e of eliminationLines(report, shortNameLookup(report.candidates))) lines.push(...wrapText(`${ELIMINATED_MARK} ${e}`, width - 2, '  ').map((text) => [seg(`  ${text}`, 'warn')]));
  for (const detail of report.verdict.details) lines.push(...wrapText(`- ${withShortNames(detail, report.candidates)}`, width - 2, '  ').map((text) => [seg(`  ${text}`, 'muted')]));
  if (report.interrupted) lines.push([seg('  interrupted: results cover the finished part only', 'warn')]);
  const stopped = report.candidates.filter((c) => c.status === 'stopped').length;
  if (stopped > 0) {
    const limit = report.settings.timeLimitSeconds !== undefined ? ` (hard stop ${formatDuration(report.settings.timeLimitSeconds)})` : '';
    lines.push(...wrapText(`time budget reached${limit}: ${stopped} candidate${stopped === 1 ? '' : 's'} stopped with fewer steps than the others`, width - 2, '  ').map((text) => [seg(`  ${text}`, 'warn')]));
  }
  return lines;
}

export function settingsLines(report: VerificationReport, width: number): Line[] {
  const s = report.settings;
  const budget = s.budgetSeconds !== null ? `budget ${formatDuration(s.budgetSeconds)}${s.steps !== null ? ` (${s.steps} steps per run)` : ''}` : `${s.steps} steps per run`;
  const text = `backend ${report.backend.name} (${report.backend.threads} thread${report.backend.threads === 1 ? '' : 's'}); ${budget}; ${s.trainImages} train / ${s.valImages} val images; ${s.cropSize} px crops, batch ${s.batchSize}; U-Net depth ${s.model.depth}, width ${s.model.baseWidth}, ${formatCount(s.model.parameters)} parameters`;
  const lockstep = lockstepSentence(report);
  return [[seg('Verification', 'title')], ...wrapText(lockstep ? `${text}. ${lockstep}` : text, width - 2, '  ').map((line) => [seg(`  ${line}`, 'muted')])];
}

/** The learning curves: mean Dice at each rung per candidate, its rarest-class Dice and slope. */
export function curveLines(report: VerificationReport, width: number): Line[] {
  const table = curveTable(report);
  if (!table || table.steps.length === 0) return [];
  const name = shortNameLookup(report.candidates);
  const nameWidth = Math.min(25, Math.max(8, ...table.rows.map((r) => name(r.id).length + 1)));
  const cell = 7;
  const lines: Line[] = [[seg('Learning curves', 'heading'), seg(' (mean Dice on val at each rung, mean over seeds; slope per doubling of steps)', 'muted')]];
  lines.push([seg(fit('steps', nameWidth), 'muted'), ...table.steps.map((s) => seg(fitRight(String(s), cell), 'muted')), seg(fitRight('rare', cell), 'muted'), seg(fitRight('slope', 10), 'muted')]);
  for (const row of table.rows) {
    const line: Line = [seg(fit(name(row.id), nameWidth), 'title'), ...row.values.map((v) => seg(fitRight(v === null ? '-' : v.toFixed(3), cell)))];
    line.push(seg(fitRight(row.rarestClassDice === null ? '-' : row.rarestClassDice.toFixed(3), cell)), seg(fitRight(formatSlope(row.slope), 10), 'accent'));
    if (row.note) line.push(seg(`  ${truncate(row.note, Math.max(4, width - nameWidth - cell * (table.steps.length + 1) - 12))}`, 'warn'));
    lines.push(line);
  }
  return lines;
}

/** The verdict at a glance: its headline, first in every finished view. */
export function headlineLines(report: VerificationReport, width: number): Line[] {
  const outcome = report.verdict.outcome;
  const role: Role = outcome === 'confirmed' || outcome === 'equivalent' ? 'good' : outcome === 'beaten' ? 'bad' : 'warn';
  return wrapText(headlineOf(report), width - 9, '         ').map((text, i) => (i === 0 ? [seg('Verdict: ', 'heading'), seg(text, role)] : [seg(text, role)]));
}

/** Each short name with its full label, once (the tables and rows use the short names). */
export function keyLines(report: VerificationReport, width: number): Line[] {
  const key = candidateKey(report.candidates);
  const nameWidth = Math.max(...key.map((k) => k.name.length)) + 2;
  return key.flatMap((k) => wrapText(k.label, Math.max(10, width - nameWidth - 2), '').map((text, i) => [seg(fit(i === 0 ? k.name : '', nameWidth), 'title'), seg(text, 'muted')]));
}

/** The whole finished report: headline, header, candidate rows, metrics table, verdict, key. */
export function verificationLines(report: VerificationReport, width: number): Line[] {
  const rows = rowsFromReport(report).flatMap((row) => candidateRowLines(row, width));
  const curves = curveLines(report, width);
  return [...headlineLines(report, width), BLANK, ...settingsLines(report, width), BLANK, ...rows, BLANK, ...metricsTableLines(report, width), BLANK, ...(curves.length ? [...curves, BLANK] : []), ...verdictLines(report, width), BLANK, ...keyLines(report, width)];
}
