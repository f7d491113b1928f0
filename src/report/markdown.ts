/**
 * report.md: the profile summary, the reasoning (path and every decision), the metrics table in
 * the article's layout (metric rows x candidate columns, 95% CIs, winner marked), the verdict and
 * links to the prediction overlays. Pure: contracts in, Markdown out.
 */
import { OBJECT_AREA_BIN_LABELS, type DatasetProfile } from '../contracts/profile.js';
import type { Recommendation } from '../contracts/recommendation.js';
import type { CandidateResult, MetricWithCI, VerificationReport } from '../contracts/verification.js';
import { formatDuration, formatMetric, formatNumber, formatShare } from '../ui/format.js';
import { conditionText, traceByStep } from '../ui/views/reasoning-lines.js';
import { objectComparisonSentences } from '../metrics/object-comparison.js';
import { objectMetricRows, OBJECT_ROWS_KEY } from './object-rows.js';
import { recipeRows } from './recipe-summary.js';
import { stabilityWord } from './verification-text.js';
import { comparisonCiHeader, comparisonRows, comparisonTitle, curveTable, eliminationLines, formatSlope, lockstepSentence, verdictScopeLines } from './verification-sections.js';

/** A prediction overlay image to link, with its path relative to report.md. */
export interface ReportOverlay {
  candidateId: string;
  label: string;
  path: string;
}

export interface ReportInput {
  profile: DatasetProfile;
  recommendation: Recommendation;
  verification: VerificationReport | null;
  /** Overlay images; by default the verification candidates' own `overlays`. */
  overlays?: ReportOverlay[];
  /** Pictures written beside the report (paths relative to it). */
  pictures?: ReportPictures;
}

/** The pictures of a verification (src/report/pictures), paths relative to report.md. */
export interface ReportPictures {
  /** Training-loss curves of every candidate on one plot (PNG), and its SVG. */
  lossCurves?: { png: string; svg: string };
  /** The headline metrics with 95% CI whiskers (PNG), and its SVG. */
  metrics?: { png: string; svg: string };
  /** Contact sheets: image | ground truth | each candidate's prediction. */
  contactSheets?: string[];
  /** Pictures that could not be written, and why. */
  problems?: string[];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(header: string[], rows: string[][], rightAligned: boolean[] = []): string[] {
  const align = header.map((_, i) => (rightAligned[i] ? '---:' : '---'));
  return [`| ${header.map(cell).join(' | ')} |`, `| ${align.join(' | ')} |`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)];
}

function profileSection(profile: DatasetProfile): string[] {
  const a = profile.aggregates;
  const d = profile.dataset;
  const rarestId = a.smallestForegroundClassId;
  const lines = ['## Dataset profile', ''];
  lines.push(`${d.pairsProfiled} of ${d.pairsFound} image/mask pairs profiled from \`${d.root ?? d.masksDir}\`${d.sample ? ` (seeded sample of ${d.sample.size} from ${d.sample.population}; 95% CIs in brackets)` : ''}${d.hasImages ? '' : ' (masks only)'}.`, '');
  const ci = (interval: [number, number] | null) => (interval ? ` [${formatShare(interval[0])}, ${formatShare(interval[1])}]` : '');
  lines.push(
    ...table(
      ['id', 'class', 'pixel share', 'images with class', 'objects', 'median object area (px)', 'ambiguous boundary'],
      profile.classes.map((c) => [
        String(c.id),
        c.id === rarestId ? `**${c.name}** (rarest)` : c.name,
        `${formatShare(c.pixelShare)}${ci(c.pixelShareCI95)}`,
        `${c.imagesWithClass} (${formatShare(c.imageShare)})`,
        String(c.objects.count),
        c.objects.areaP50 === null ? 'n/a' : String(Math.round(c.objects.areaP50)),
        c.boundary?.ambiguousShare == null ? 'n/a' : formatShare(c.boundary.ambiguousShare),
      ]),
      [true, false, true, true, true, true, true],
    ),
    '',
  );
  lines.push(
    `- **Class imbalance**: background ${formatShare(a.backgroundShare)}${ci(a.backgroundShareCI95)}, smallest foreground class ${formatShare(a.smallestForegroundShare)}${ci(a.smallestForegroundShareCI95)}, imbalance ratio ${formatNumber(Math.round(a.imbalanceRatio))}:1, ${a.rareClassCount} foreground class(es) under 1%${a.absentClassIds.length ? `; absent: ${a.absentClassIds.join(', ')}` : ''}.`,
    `- **Object scale**: ${a.objectCount} foreground objects (8-connected); ${a.smallObjectShare === null ? 'no objects' : `${formatShare(a.smallObjectShare)} under 100 px`}${a.scaleSpreadDecades === null ? '' : `; sizes span ${a.scaleSpreadDecades.toFixed(1)} decades (p10 ${Math.round(a.objectAreaP10 ?? 0)}, p50 ${Math.round(a.objectAreaP50 ?? 0)}, p90 ${Math.round(a.objectAreaP90 ?? 0)} px)`}.`,
    `- **Boundary ambiguity**: ${a.ambiguousBoundaryShare === null ? 'not measured (masks only)' : `${formatShare(a.ambiguousBoundaryShare)}${ci(a.ambiguousBoundaryShareCI95)} of label-boundary pixels are low-contrast${a.meanBoundaryContrast === null ? '' : `; mean boundary contrast ${a.meanBoundaryContrast.toFixed(1)}`}`}.`,
    '',
  );
  const bins = [0, 0, 0, 0];
  for (const c of profile.classes) if (c.id !== 0) c.objects.areaHistogram.forEach((count, bin) => (bins[bin] += count));
  const total = bins.reduce((sum, n) => sum + n, 0);
  lines.push('Foreground objects by area:', '');
  lines.push(...table(OBJECT_AREA_BIN_LABELS.map((label) => `${label} px`), [bins.map((n) => `${n} (${total ? formatShare(n / total) : 'n/a'})`)], [true, true, true, true]), '');
  if (d.skipped.length > 0) {
    lines.push(`Skipped ${d.skipped.length} file(s):`, '');
    for (const item of d.skipped) lines.push(`- \`${item.file}\`: ${item.problem} (fix: ${item.fix})`);
    lines.push('');
  }
  return lines;
}

function reasoningSection(rec: Recommendation): string[] {
  const lines = ['## Recommendation', ''];
  lines.push(`Domain: ${rec.input.domain ?? 'not given'}; priority: ${rec.input.priority ?? 'not given'}; rules: ${rec.input.ruleFiles.map((f) => `\`${f}\``).join(', ') || 'built-in'}.`, '');
  lines.push(`**Path through the flowchart:** ${rec.path.length ? rec.path.join(' → ') : '(no rule fired: defaults)'}`, '');
  const rows: string[][] = [];
  for (const { step, entries } of traceByStep(rec.trace)) {
    for (const entry of entries) {
      rows.push([step, `\`${entry.rule}\``, entry.conditions.map(conditionText).join('; ') || '(always)', entry.fired ? `**taken**${entry.effect ? `: ${entry.effect}` : ''}` : 'not taken']);
    }
  }
  lines.push(...table(['decision', 'rule', 'conditions (fact = value op threshold)', 'outcome'], rows), '');
  const fired = rec.trace.filter((entry) => entry.fired && entry.rationale);
  if (fired.length) {
    lines.push('Why:', '');
    for (const entry of fired) lines.push(`- \`${entry.rule}\` (${entry.source}): ${entry.rationale}`);
    lines.push('');
  }
  lines.push(`### Recipe: ${rec.recipe.title}`, '');
  lines.push(...table(['part', 'setting'], recipeRows(rec.recipe).map(([label, value]) => [label, value])), '');
  if (rec.alternatives.length) {
    lines.push('Alternatives:', '');
    for (const alt of [...rec.alternatives].sort((x, y) => x.rank - y.rank)) lines.push(`${alt.rank}. **${alt.recipe.title}**: ${alt.reason}`);
    lines.push('');
  }
  if (rec.assumptions.length) {
    lines.push('Assumptions:', '');
    for (const text of rec.assumptions) lines.push(`- ${text}`);
    lines.push('');
  }
  lines.push('Export the recipe for your own trainer: `segloss export recommendation.json --to monai` (or `pytorch`, `keras`).', '');
  return lines;
}

function metricCell(candidate: CandidateResult, metric: MetricWithCI | null | undefined, best: number | null): string {
  if (candidate.status === 'diverged') return '× diverged';
  if (candidate.status === 'failed') return 'failed';
  if (candidate.status === 'stopped' && !candidate.metrics) return 'not run (time budget)';
  if (candidate.status === 'eliminated' && metric) return `${formatMetric(metric.value)} ✂`;
  if (!metric) return 'n/a';
  const value = formatMetric(metric.value);
  const text = metric.ci95 ? `${value} (${formatMetric(metric.ci95[0])}-${formatMetric(metric.ci95[1])})` : value;
  return best !== null && metric.value === best ? `**${text}**` : text;
}

function verificationSection(report: VerificationReport): string[] {
  const s = report.settings;
  const lines = ['## Verification', ''];
  lines.push(
    `Short real training of a U-Net (depth ${s.model.depth}, width ${s.model.baseWidth}, ${s.model.parameters.toLocaleString('en-US')} parameters) on backend \`${report.backend.name}\` (${report.backend.detail}): ` +
      `${s.budgetSeconds !== null ? `a ${formatDuration(s.budgetSeconds)} budget, ` : ''}${s.steps !== null ? `${s.steps} steps per run` : 'no rung reached'}, ${s.cropSize} px crops, batch ${s.batchSize}, seed(s) ${s.seeds.join(', ')}; ${s.trainImages} train / ${s.valImages} val images. Metrics on val (all seeds pooled) with bootstrap 95% CIs in brackets.`,
    '',
  );
  const lockstep = lockstepSentence(report);
  if (lockstep) lines.push(lockstep, '');
  const winner = report.verdict.winnerId;
  const header = ['metric', ...report.candidates.map((c) => `${c.label}${c.isRecommended ? ' (recommended)' : ''}${c.id === winner ? ' ★' : ''}`)];
  const rarest = report.candidates.flatMap((c) => c.metrics?.perClass ?? []).find((p) => p.id === s.rarestClassId);
  const bestOf = (values: Array<number | null | undefined>, higher: boolean) => {
    const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    return finite.length > 1 ? (higher ? Math.max(...finite) : Math.min(...finite)) : null;
  };
  const metricRow = (name: string, pick: (c: CandidateResult) => MetricWithCI | null | undefined, higherIsBetter = true) => {
    const best = bestOf(report.candidates.map((c) => (c.status === 'ok' || c.status === 'interrupted' || c.status === 'stopped' || c.status === 'eliminated' ? pick(c)?.value : null)), higherIsBetter);
    return [name, ...report.candidates.map((c) => metricCell(c, pick(c), best))];
  };
  const bestStability = bestOf(report.candidates.map((c) => c.metrics?.stability), false);
  const rows = [
    metricRow('mean Dice', (c) => c.metrics?.meanDice),
    ...(report.candidates.some((c) => c.metrics?.rarestClassDice) ? [metricRow(`rarest-class Dice${rarest ? ` (${rarest.name})` : ''}`, (c) => c.metrics?.rarestClassDice)] : []),
    metricRow(`rarest-class recall${rarest ? ` (${rarest.name})` : ''}`, (c) => c.metrics?.rarestClassRecall),
    metricRow('boundary IoU', (c) => c.metrics?.boundaryIoU),
    ...objectMetricRows(report, 'full').map((row) => metricRow(row.objects !== undefined ? `${row.long} (${row.objects} objects)` : row.long, (c) => row.value(c), row.higherIsBetter)),
    ['training stability (loss CV, lower is steadier)', ...report.candidates.map((c) => {
      if (c.status === 'diverged') return '× diverged';
      if (c.status === 'failed') return 'failed';
      const v = c.metrics?.stability;
      if (v == null) return 'n/a';
      const text = `${formatMetric(v)} (${stabilityWord(v)})`;
      return v === bestStability ? `**${text}**` : text;
    })],
    ['steps (time)', ...report.candidates.map((c) => `${c.stepsDone}${c.status === 'stopped' ? ` of ${s.steps ?? '?'} ⏹` : ''} (${formatDuration(c.wallSeconds)})`)],
  ];
  lines.push(...table(header, rows, [false, ...report.candidates.map(() => true)]), '');
  const anyStopped = report.candidates.some((c) => c.status === 'stopped');
  const anyEliminated = report.candidates.some((c) => c.status === 'eliminated');
  const objectKey = objectMetricRows(report, 'brief').length ? ` Object rows: ${OBJECT_ROWS_KEY}.` : '';
  lines.push(`★ winner by mean Dice; bold: best in the row.${anyEliminated ? ' ✂ stopped by racing at an earlier rung (its scores are from there).' : ''}${anyStopped ? ` ⏹ stopped at the time budget${s.timeLimitSeconds !== undefined ? ` (hard stop ${formatDuration(s.timeLimitSeconds)})` : ''}: fewer steps than the others, an unequal comparison.` : ''}${objectKey}`, '');
  lines.push(`**Verdict (${report.verdict.outcome}):** ${report.verdict.sentence}`, '');
  const scope = verdictScopeLines(report);
  if (scope.length) lines.push(...scope.map((line) => `> ${line}`), '');
  const comparisons = comparisonRows(report);
  if (comparisons.length) {
    lines.push(`${comparisonTitle(report)}:`, '');
    lines.push(...table(['candidate', 'vs', 'metric', 'difference', comparisonCiHeader(report), 'result', 'detectable', 'seeds'], comparisons.map((c) => [c.label, c.against, c.metric, c.difference, c.ci, c.relation, c.detectable, c.seeds])), '');
  }
  const eliminated = eliminationLines(report);
  if (eliminated.length) lines.push('Stopped by racing:', '', ...eliminated.map((e) => `- ✂ ${e}`), '');
  const curves = curveTable(report);
  if (curves) {
    lines.push('Learning curves (mean Dice on val, mean over seeds, at each rung; slope per doubling of the steps over the last rungs):', '');
    lines.push(...table(['candidate', ...curves.steps.map((n) => `${n} steps`), 'rarest-class Dice', 'slope', ''], curves.rows.map((r) => [r.label, ...r.values.map((v) => (v === null ? '-' : formatMetric(v))), r.rarestClassDice === null ? '-' : formatMetric(r.rarestClassDice), formatSlope(r.slope), r.note])), '');
  }
  for (const detail of report.verdict.details) lines.push(`- ${detail}`);
  // Candidates that did not finish, unless the verdict already says why.
  const problems = report.candidates.filter((c) => c.status !== 'ok' && c.status !== 'eliminated' && !report.verdict.details.some((d) => c.statusDetail && d.includes(c.statusDetail)));
  for (const c of problems) lines.push(c.status === 'stopped' && c.statusDetail ? `- ${c.label}: ${c.statusDetail}` : `- ${c.label}: ${c.status}${c.statusDetail ? ` (${c.statusDetail})` : ''}`);
  if (report.interrupted) lines.push(lockstep ? '- The run was interrupted: every candidate is compared at its last rung.' : '- The run was interrupted: results cover the finished part only.');
  if (report.verdict.details.length || problems.length || report.interrupted) lines.push('');
  lines.push(...objectSection(report));
  return lines;
}

/** Object-level comparison of the recommended recipe with each other candidate, and detection per class. */
function objectSection(report: VerificationReport): string[] {
  const scored = report.candidates.filter((c) => c.metrics?.objects);
  if (scored.length === 0) return [];
  const lines = ['### Objects', ''];
  const rec = scored.find((c) => c.isRecommended);
  const sentences = rec ? scored.filter((c) => c !== rec).flatMap((o) => objectComparisonSentences({ label: rec.label, objects: rec.metrics!.objects! }, { label: o.label, objects: o.metrics!.objects! })) : [];
  for (const sentence of sentences) lines.push(`- ${sentence}`);
  if (sentences.length) lines.push('');
  const classes = scored[0].metrics!.objects!.perClass.filter((k) => k.objects > 0);
  if (classes.length) {
    lines.push('Ground-truth objects found (IoU > 0.5) per class, and spurious components per image:', '');
    const rows = classes.map((k) => [
      `${k.name} (${k.objects} objects)`,
      ...scored.map((c) => {
        const row = c.metrics!.objects!.perClass.find((p) => p.id === k.id);
        return row ? `${formatShare(row.detectionRate)} found, ${row.spuriousPerImage === null ? 'n/a' : row.spuriousPerImage.toFixed(2)} spurious` : 'n/a';
      }),
    ]);
    lines.push(...table(['class', ...scored.map((c) => c.label)], rows, [false, ...scored.map(() => true)]), '');
  }
  return lines;
}

function picturesSection(pictures: ReportPictures | undefined): string[] {
  if (!pictures) return [];
  const lines: string[] = [];
  const link = (alt: string, path: string) => `![${cell(alt)}](${encodeURI(path)})`;
  if (pictures.lossCurves) lines.push(link('Training loss of every candidate', pictures.lossCurves.png), '', `Training loss per step of every candidate ([SVG](${encodeURI(pictures.lossCurves.svg)})).`, '');
  if (pictures.metrics) lines.push(link('Headline metrics with 95% CIs', pictures.metrics.png), '', `Headline metrics on validation with bootstrap 95% CIs as whiskers ([SVG](${encodeURI(pictures.metrics.svg)})).`, '');
  if (pictures.contactSheets?.length) {
    lines.push('Validation images side by side: image | ground truth | each candidate\'s prediction, with the class colours in the legend.', '');
    for (const path of pictures.contactSheets) lines.push(link(`Contact sheet ${path}`, path), '');
  }
  for (const problem of pictures.problems ?? []) lines.push(`- ${problem}`);
  return lines.length ? ['## Pictures', '', ...lines] : [];
}

function overlaySection(overlays: ReportOverlay[]): string[] {
  if (overlays.length === 0) return [];
  const lines = ['## Prediction overlays', '', 'Validation images with each candidate\'s prediction drawn over them.', ''];
  const byCandidate = new Map<string, ReportOverlay[]>();
  for (const overlay of overlays) byCandidate.set(overlay.candidateId, [...(byCandidate.get(overlay.candidateId) ?? []), overlay]);
  for (const group of byCandidate.values()) {
    lines.push(`### ${group[0].label}`, '');
    for (const overlay of group) lines.push(`![${overlay.label}: ${overlay.path}](${encodeURI(overlay.path)})`);
    lines.push('');
  }
  return lines;
}

export function overlaysFromVerification(report: VerificationReport | null): ReportOverlay[] {
  if (!report) return [];
  return report.candidates.flatMap((c) => c.overlays.map((path) => ({ candidateId: c.id, label: c.label, path })));
}

export function renderReportMarkdown(input: ReportInput): string {
  const { profile, recommendation, verification } = input;
  const overlays = input.overlays ?? overlaysFromVerification(verification);
  const lines = [
    '# segloss report',
    '',
    `Generated ${recommendation.createdAt} by segloss ${recommendation.tool.version}. Files beside this report: \`profile.json\`, \`recommendation.json\`${verification ? ', `verification.json`' : ''}.`,
    '',
    ...profileSection(profile),
    ...reasoningSection(recommendation),
    ...(verification ? verificationSection(verification) : ['## Verification', '', 'Not run. `segloss verify DATASET --recommendation recommendation.json` trains the candidates and fills this section.', '']),
    ...picturesSection(input.pictures),
    ...overlaySection(overlays),
  ];
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
