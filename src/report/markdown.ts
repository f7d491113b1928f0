/**
 * The report (report.md, and report.html from the same blocks): the verdict at a glance first (its
 * headline, the learning-curve picture and the candidate key), then the profile summary, the
 * reasoning (path and every decision), the metrics table in the article's layout (metric rows x
 * candidate columns by short name, 95% CIs, winner marked), the verdict in full and links to the
 * pictures and prediction overlays. Pure: contracts in, document blocks (document.ts) out. Any
 * contract may be missing (`verify --out` without a profile, `segloss report` on a folder with
 * only verification.json): its section says so.
 */
import { OBJECT_AREA_BIN_LABELS, type DatasetProfile } from '../contracts/profile.js';
import type { Recommendation } from '../contracts/recommendation.js';
import type { CandidateResult, MetricWithCI, VerificationReport } from '../contracts/verification.js';
import { formatDuration, formatMetric, formatNumber, formatShare } from '../ui/format.js';
import { conditionText, traceByStep } from '../ui/views/reasoning-lines.js';
import { objectComparisonSentences } from '../metrics/object-comparison.js';
import { backgroundIdOf } from '../contracts/profile.js';
import { bold, code, link, toMarkdown, type Block, type Inline, type Rich } from './document.js';
import { headlineOf, sentenceLines } from './headline.js';
import { objectMetricRows, OBJECT_ROWS_KEY } from './object-rows.js';
import { recipeRows } from './recipe-summary.js';
import { candidateKey, shortNameLookup, withShortNames } from './short-names.js';
import { stabilityWord } from './verification-text.js';
import { comparisonCiHeader, comparisonRows, comparisonTitle, curveTable, eliminationLines, formatSlope, lockstepSentence, verdictScopeLines } from './verification-sections.js';
import { volumeReportBlocks } from './volume-text.js';

/** A prediction overlay image to link, with its path relative to report.md. */
export interface ReportOverlay {
  candidateId: string;
  label: string;
  path: string;
}

export interface ReportInput {
  profile: DatasetProfile | null;
  recommendation: Recommendation | null;
  verification: VerificationReport | null;
  /** Overlay images; by default the verification candidates' own `overlays`. */
  overlays?: ReportOverlay[];
  /** Pictures written beside the report (paths relative to it). */
  pictures?: ReportPictures;
}

/** The pictures of a verification (src/report/pictures), paths relative to report.md. */
export interface ReportPictures {
  /** Validation mean Dice and rarest-class Dice against steps, per candidate and seed (PNG), and its SVG. */
  learningCurves?: { png: string; svg: string };
  /** Training loss, one small panel per candidate on its own scale (PNG), and its SVG. */
  lossCurves?: { png: string; svg: string };
  /** The headline metrics with 95% CI whiskers (PNG), and its SVG. */
  metrics?: { png: string; svg: string };
  /** Contact sheets: image | ground truth | each candidate's prediction. */
  contactSheets?: string[];
  /** Pictures that could not be written, and why. */
  problems?: string[];
}

const h = (level: 1 | 2 | 3, text: Rich): Block => ({ kind: 'heading', level, text });
const p = (text: Rich): Block => ({ kind: 'paragraph', text });
const list = (items: Rich[], ordered = false): Block[] => (items.length ? [{ kind: 'list', items, ordered }] : []);
const table = (header: Rich[], rows: Rich[][], rightAligned: boolean[] = []): Block => ({ kind: 'table', header, rows, rightAligned });

function profileSection(profile: DatasetProfile | null): Block[] {
  if (!profile) return [h(2, 'Dataset profile'), p(['Not on hand: no ', code('profile.json'), ' beside this report (`segloss profile DATASET --out DIR` writes one).'])];
  const a = profile.aggregates;
  const d = profile.dataset;
  const rarestId = a.smallestForegroundClassId;
  const blocks: Block[] = [h(2, 'Dataset profile')];
  blocks.push(p([`${d.pairsProfiled} of ${d.pairsFound} image/mask pairs profiled from `, code(d.root ?? d.masksDir ?? ''), `${d.sample ? ` (seeded sample of ${d.sample.size} from ${d.sample.population}; 95% CIs in brackets)` : ''}${d.hasImages ? '' : ' (masks only)'}.`]));
  const ci = (interval: [number, number] | null) => (interval ? ` [${formatShare(interval[0])}, ${formatShare(interval[1])}]` : '');
  blocks.push(
    table(
      ['id', 'class', 'pixel share', 'images with class', 'objects', 'median object area (px)', 'ambiguous boundary'],
      profile.classes.map((c) => [
        String(c.id),
        c.id === rarestId ? [bold(c.name), ' (rarest)'] : c.name,
        `${formatShare(c.pixelShare)}${ci(c.pixelShareCI95)}`,
        `${c.imagesWithClass} (${formatShare(c.imageShare)})`,
        String(c.objects.count),
        c.objects.areaP50 === null ? 'n/a' : String(Math.round(c.objects.areaP50)),
        c.boundary?.ambiguousShare == null ? 'n/a' : formatShare(c.boundary.ambiguousShare),
      ]),
      [true, false, true, true, true, true, true],
    ),
  );
  blocks.push(
    ...list([
      [bold('Class imbalance'), `: ${backgroundIdOf(profile) < 0 ? 'no background class (every class is foreground)' : `background ${formatShare(a.backgroundShare)}${ci(a.backgroundShareCI95)}`}, smallest foreground class ${formatShare(a.smallestForegroundShare)}${ci(a.smallestForegroundShareCI95)}, imbalance ratio ${formatNumber(Math.round(a.imbalanceRatio))}:1, ${a.rareClassCount} foreground class(es) under 1%${a.absentClassIds.length ? `; absent: ${a.absentClassIds.join(', ')}` : ''}.`],
      [bold('Object scale'), `: ${a.objectCount} foreground objects (8-connected); ${a.smallObjectShare === null ? 'no objects' : `${formatShare(a.smallObjectShare)} under 100 px`}${a.scaleSpreadDecades === null ? '' : `; sizes span ${a.scaleSpreadDecades.toFixed(1)} decades (p10 ${Math.round(a.objectAreaP10 ?? 0)}, p50 ${Math.round(a.objectAreaP50 ?? 0)}, p90 ${Math.round(a.objectAreaP90 ?? 0)} px)`}.`],
      [bold('Boundary ambiguity'), `: ${a.ambiguousBoundaryShare === null ? 'not measured (masks only)' : `${formatShare(a.ambiguousBoundaryShare)}${ci(a.ambiguousBoundaryShareCI95)} of label-boundary pixels are low-contrast${a.meanBoundaryContrast === null ? '' : `; mean boundary contrast ${a.meanBoundaryContrast.toFixed(1)}`}`}.`],
    ]),
  );
  blocks.push(...volumeReportBlocks(profile, formatShare));
  const bins = [0, 0, 0, 0];
  for (const c of profile.classes) if (c.id !== backgroundIdOf(profile)) c.objects.areaHistogram.forEach((count, bin) => (bins[bin] += count));
  const total = bins.reduce((sum, n) => sum + n, 0);
  blocks.push(p('Foreground objects by area:'));
  blocks.push(table(OBJECT_AREA_BIN_LABELS.map((label) => `${label} px`), [bins.map((n) => `${n} (${total ? formatShare(n / total) : 'n/a'})`)], [true, true, true, true]));
  if (d.skipped.length > 0) {
    blocks.push(p(`Skipped ${d.skipped.length} file(s):`));
    blocks.push(...list(d.skipped.map((item) => [code(item.file), `: ${item.problem} (fix: ${item.fix})`])));
  }
  return blocks;
}

function reasoningSection(rec: Recommendation | null, verification: VerificationReport | null): Block[] {
  if (!rec) {
    const verified = verification?.candidates.find((c) => c.isRecommended);
    return [
      h(2, 'Recommendation'),
      p(['Not on hand: no ', code('recommendation.json'), ' beside this report, so the reasoning is not shown.']),
      ...(verified ? [h(3, ['Recipe verified: ', verified.recipe.title]), table(['part', 'setting'], recipeRows(verified.recipe).map(([label, value]) => [label, value]))] : []),
    ];
  }
  const blocks: Block[] = [h(2, 'Recommendation')];
  const ruleFiles: Inline[] = rec.input.ruleFiles.length ? rec.input.ruleFiles.flatMap((f, i) => (i ? [', ', code(f)] : [code(f)])) : ['built-in'];
  blocks.push(p([`Domain: ${rec.input.domain ?? 'not given'}; priority: ${rec.input.priority ?? 'not given'}; rules: `, ...ruleFiles, '.']));
  blocks.push(p([bold('Path through the flowchart:'), ` ${rec.path.length ? rec.path.join(' → ') : '(no rule fired: defaults)'}`]));
  const rows: Rich[][] = [];
  for (const { step, entries } of traceByStep(rec.trace)) {
    for (const entry of entries) {
      rows.push([step, code(entry.rule), entry.conditions.map(conditionText).join('; ') || '(always)', entry.fired ? [bold('taken'), entry.effect ? `: ${entry.effect}` : ''] : 'not taken']);
    }
  }
  blocks.push(table(['decision', 'rule', 'conditions (fact = value op threshold)', 'outcome'], rows));
  const fired = rec.trace.filter((entry) => entry.fired && entry.rationale);
  if (fired.length) {
    blocks.push(p('Why:'));
    blocks.push(...list(fired.map((entry) => [code(entry.rule), ` (${entry.source}): ${entry.rationale}`])));
  }
  blocks.push(h(3, ['Recipe: ', rec.recipe.title]));
  blocks.push(table(['part', 'setting'], recipeRows(rec.recipe).map(([label, value]) => [label, value])));
  if (rec.alternatives.length) {
    blocks.push(p('Alternatives:'));
    blocks.push(...list([...rec.alternatives].sort((x, y) => x.rank - y.rank).map((alt) => [bold(alt.recipe.title), `: ${alt.reason}`]), true));
  }
  if (rec.assumptions.length) {
    blocks.push(p('Assumptions:'));
    blocks.push(...list(rec.assumptions));
  }
  blocks.push(p(['Export the recipe for your own trainer: ', code('segloss export recommendation.json --to monai'), ' (or ', code('pytorch'), ', ', code('keras'), ').']));
  return blocks;
}

function metricCell(candidate: CandidateResult, metric: MetricWithCI | null | undefined, best: number | null): Rich {
  if (candidate.status === 'diverged') return '× diverged';
  if (candidate.status === 'failed') return 'failed';
  if (candidate.status === 'stopped' && !candidate.metrics) return 'not run (time budget)';
  if (candidate.status === 'eliminated' && metric) return `${formatMetric(metric.value)} ✂`;
  if (!metric) return 'n/a';
  const value = formatMetric(metric.value);
  const text = metric.ci95 ? `${value} (${formatMetric(metric.ci95[0])}-${formatMetric(metric.ci95[1])})` : value;
  return best !== null && metric.value === best ? bold(text) : text;
}

/** The verdict at a glance: headline, the verdict's sentence as short lines, the candidate key. */
function glanceSection(report: VerificationReport, pictures: ReportPictures | undefined): Block[] {
  const v = report.verdict;
  const blocks: Block[] = [p([bold(`Verdict: ${headlineOf(report)}`)])];
  blocks.push(...list(sentenceLines(withShortNames(v.sentence, report.candidates))));
  if (pictures?.learningCurves) {
    blocks.push({
      kind: 'image',
      alt: 'Learning curves: validation mean Dice and rarest-class Dice against steps, per candidate and seed',
      src: pictures.learningCurves.png,
      caption: ['Validation mean Dice and rarest-class Dice at each rung: a thick line per candidate (mean over seeds), its seeds faint behind it; the band is the tie margin around the recommended recipe (', link('SVG', pictures.learningCurves.svg), ').'],
    });
  }
  blocks.push(p('Candidates (short names in the tables and pictures):'));
  const derivation = new Map(report.candidates.map((c) => [c.id, c.derivation ?? '']));
  blocks.push(table(['name', 'candidate', 'how it was made'], candidateKey(report.candidates).map((k) => [bold(k.name), k.label, derivation.get(k.id) ?? ''])));
  return blocks;
}

function verificationSection(report: VerificationReport): Block[] {
  const s = report.settings;
  const name = shortNameLookup(report.candidates);
  const blocks: Block[] = [h(2, 'Verification')];
  blocks.push(
    p([
      `Short real training of a U-Net (depth ${s.model.depth}, width ${s.model.baseWidth}, ${s.model.parameters.toLocaleString('en-US')} parameters) on backend `,
      code(report.backend.name),
      ` (${report.backend.detail}): ${s.budgetSeconds !== null ? `a ${formatDuration(s.budgetSeconds)} budget, ` : ''}${s.steps !== null ? `${s.steps} steps per run` : 'no rung reached'}, ${s.cropSize} px crops, batch ${s.batchSize}, seed(s) ${s.seeds.join(', ')}; ${s.trainImages} train / ${s.valImages} val images. Metrics on val (all seeds pooled) with bootstrap 95% CIs in brackets.`,
    ]),
  );
  const lockstep = lockstepSentence(report);
  if (lockstep) blocks.push(p(lockstep));
  const winner = report.verdict.winnerId;
  const header: Rich[] = ['metric', ...report.candidates.map((c) => `${name(c.id)}${c.id === winner ? ' ★' : ''}`)];
  const rarest = report.candidates.flatMap((c) => c.metrics?.perClass ?? []).find((x) => x.id === s.rarestClassId);
  const bestOf = (values: Array<number | null | undefined>, higher: boolean) => {
    const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    return finite.length > 1 ? (higher ? Math.max(...finite) : Math.min(...finite)) : null;
  };
  const metricRow = (rowName: string, pick: (c: CandidateResult) => MetricWithCI | null | undefined, higherIsBetter = true): Rich[] => {
    const best = bestOf(report.candidates.map((c) => (c.status === 'ok' || c.status === 'interrupted' || c.status === 'stopped' || c.status === 'eliminated' ? pick(c)?.value : null)), higherIsBetter);
    return [rowName, ...report.candidates.map((c) => metricCell(c, pick(c), best))];
  };
  const bestStability = bestOf(report.candidates.map((c) => c.metrics?.stability), false);
  const rows: Rich[][] = [
    metricRow('mean Dice', (c) => c.metrics?.meanDice),
    ...(report.candidates.some((c) => c.metrics?.rarestClassDice) ? [metricRow(`rarest-class Dice${rarest ? ` (${rarest.name})` : ''}`, (c) => c.metrics?.rarestClassDice)] : []),
    metricRow(`rarest-class recall${rarest ? ` (${rarest.name})` : ''}`, (c) => c.metrics?.rarestClassRecall),
    metricRow('boundary IoU', (c) => c.metrics?.boundaryIoU),
    ...objectMetricRows(report, 'full').map((row) => metricRow(row.objects !== undefined ? `${row.long} (${row.objects} objects)` : row.long, (c) => row.value(c), row.higherIsBetter)),
    [
      'training stability (loss CV, lower is steadier)',
      ...report.candidates.map((c): Rich => {
        if (c.status === 'diverged') return '× diverged';
        if (c.status === 'failed') return 'failed';
        const v = c.metrics?.stability;
        if (v == null) return 'n/a';
        const text = `${formatMetric(v)} (${stabilityWord(v)})`;
        return v === bestStability ? bold(text) : text;
      }),
    ],
    ['steps (time)', ...report.candidates.map((c) => `${c.stepsDone}${c.status === 'stopped' ? ` of ${s.steps ?? '?'} ⏹` : ''} (${formatDuration(c.wallSeconds)})`)],
  ];
  blocks.push(table(header, rows, [false, ...report.candidates.map(() => true)]));
  const anyStopped = report.candidates.some((c) => c.status === 'stopped');
  const anyEliminated = report.candidates.some((c) => c.status === 'eliminated');
  const objectKey = objectMetricRows(report, 'brief').length ? ` Object rows: ${OBJECT_ROWS_KEY}.` : '';
  const rec = report.candidates.find((c) => c.isRecommended);
  blocks.push(p(`★ winner by mean Dice; bold: best in the row${rec ? `; "${name(rec.id)}" is the recommended recipe` : ''}.${anyEliminated ? ' ✂ stopped by racing at an earlier rung (its scores are from there).' : ''}${anyStopped ? ` ⏹ stopped at the time budget${s.timeLimitSeconds !== undefined ? ` (hard stop ${formatDuration(s.timeLimitSeconds)})` : ''}: fewer steps than the others, an unequal comparison.` : ''}${objectKey}`));
  blocks.push(p([bold(`Verdict (${report.verdict.outcome}):`), ` ${report.verdict.sentence}`]));
  const scope = verdictScopeLines(report);
  if (scope.length) blocks.push({ kind: 'quote', lines: scope });
  const comparisons = comparisonRows(report);
  if (comparisons.length) {
    blocks.push(p(`${comparisonTitle(report)}:`));
    blocks.push(table(['candidate', 'vs', 'metric', 'difference', comparisonCiHeader(report), 'result', 'detectable', 'seeds'], comparisons.map((c) => [name(c.id), name(c.againstId), c.metric, c.difference, c.ci, c.relation, c.detectable, c.seeds])));
  }
  const eliminated = eliminationLines(report, name);
  if (eliminated.length) {
    blocks.push(p('Stopped by racing:'));
    blocks.push(...list(eliminated.map((e) => `✂ ${e}`)));
  }
  const curves = curveTable(report);
  if (curves) {
    blocks.push(p('Learning curves (mean Dice on val, mean over seeds, at each rung; slope per doubling of the steps over the last rungs):'));
    blocks.push(table(['candidate', ...curves.steps.map((n) => `${n} steps`), 'rarest-class Dice', 'slope', ''], curves.rows.map((r) => [name(r.id), ...r.values.map((v) => (v === null ? '-' : formatMetric(v))), r.rarestClassDice === null ? '-' : formatMetric(r.rarestClassDice), formatSlope(r.slope), r.note])));
  }
  const details: string[] = [...report.verdict.details];
  // Candidates that did not finish, unless the verdict already says why.
  const problems = report.candidates.filter((c) => c.status !== 'ok' && c.status !== 'eliminated' && !report.verdict.details.some((d) => c.statusDetail && d.includes(c.statusDetail)));
  for (const c of problems) details.push(c.status === 'stopped' && c.statusDetail ? `${c.label}: ${c.statusDetail}` : `${c.label}: ${c.status}${c.statusDetail ? ` (${c.statusDetail})` : ''}`);
  if (report.interrupted) details.push(lockstep ? 'The run was interrupted: every candidate is compared at its last rung.' : 'The run was interrupted: results cover the finished part only.');
  blocks.push(...list(details));
  blocks.push(...objectSection(report));
  return blocks;
}

/** Object-level comparison of the recommended recipe with each other candidate, and detection per class. */
function objectSection(report: VerificationReport): Block[] {
  const scored = report.candidates.filter((c) => c.metrics?.objects);
  if (scored.length === 0) return [];
  const name = shortNameLookup(report.candidates);
  const blocks: Block[] = [h(3, 'Objects')];
  const rec = scored.find((c) => c.isRecommended);
  const sentences = rec ? scored.filter((c) => c !== rec).flatMap((o) => objectComparisonSentences({ label: name(rec.id), objects: rec.metrics!.objects! }, { label: name(o.id), objects: o.metrics!.objects! })) : [];
  blocks.push(...list(sentences));
  const classes = scored[0].metrics!.objects!.perClass.filter((k) => k.objects > 0);
  if (classes.length) {
    blocks.push(p('Ground-truth objects found (IoU > 0.5) per class, and spurious components per image:'));
    const rows = classes.map((k) => [
      `${k.name} (${k.objects} objects)`,
      ...scored.map((c) => {
        const row = c.metrics!.objects!.perClass.find((x) => x.id === k.id);
        return row ? `${formatShare(row.detectionRate)} found, ${row.spuriousPerImage === null ? 'n/a' : row.spuriousPerImage.toFixed(2)} spurious` : 'n/a';
      }),
    ]);
    blocks.push(table(['class', ...scored.map((c) => name(c.id))], rows, [false, ...scored.map(() => true)]));
  }
  return blocks;
}

function picturesSection(pictures: ReportPictures | undefined): Block[] {
  if (!pictures) return [];
  const blocks: Block[] = [];
  if (pictures.metrics) blocks.push({ kind: 'image', alt: 'Headline metrics with 95% CIs', src: pictures.metrics.png, caption: ['Headline metrics on validation with bootstrap 95% CIs as whiskers (', link('SVG', pictures.metrics.svg), ').'] });
  if (pictures.lossCurves) blocks.push({ kind: 'image', alt: 'Training loss, a panel per candidate', src: pictures.lossCurves.png, caption: ["Training loss per step, one panel per candidate on its own scale: losses of different functions are not comparable, only each curve's shape (", link('SVG', pictures.lossCurves.svg), ').'] });
  if (pictures.contactSheets?.length) {
    blocks.push(p("Validation images side by side: image | ground truth | each candidate's prediction, with the class colours in the legend."));
    for (const path of pictures.contactSheets) blocks.push({ kind: 'image', alt: `Contact sheet ${path}`, src: path });
  }
  blocks.push(...list(pictures.problems ?? []));
  return blocks.length ? [h(2, 'Pictures'), ...blocks] : [];
}

function overlaySection(overlays: ReportOverlay[]): Block[] {
  if (overlays.length === 0) return [];
  const blocks: Block[] = [h(2, 'Prediction overlays'), p("Validation images with each candidate's prediction drawn over them.")];
  const byCandidate = new Map<string, ReportOverlay[]>();
  for (const overlay of overlays) byCandidate.set(overlay.candidateId, [...(byCandidate.get(overlay.candidateId) ?? []), overlay]);
  for (const group of byCandidate.values()) {
    blocks.push(h(3, group[0].label));
    for (const overlay of group) blocks.push({ kind: 'image', alt: `${group[0].label}: ${overlay.path}`, src: overlay.path });
  }
  return blocks;
}

export function overlaysFromVerification(report: VerificationReport | null): ReportOverlay[] {
  if (!report) return [];
  const name = shortNameLookup(report.candidates);
  return report.candidates.flatMap((c) => c.overlays.map((path) => ({ candidateId: c.id, label: name(c.id), path })));
}

/** The whole report as document blocks (rendered by toMarkdown and toHtml). */
export function buildReportDocument(input: ReportInput): Block[] {
  const { profile, recommendation, verification } = input;
  const overlays = input.overlays ?? overlaysFromVerification(verification);
  const made = recommendation ?? verification ?? profile;
  const files = [profile && 'profile.json', recommendation && 'recommendation.json', verification && 'verification.json'].filter((f): f is string => Boolean(f));
  const fileList: Inline[] = files.flatMap((f, i) => (i ? [', ', code(f)] : [code(f)]));
  return [
    h(1, 'segloss report'),
    ...(verification ? glanceSection(verification, input.pictures) : []),
    p([`Generated ${made?.createdAt ?? 'now'} by segloss ${made?.tool.version ?? ''}. Files beside this report: `, ...fileList, '.']),
    ...profileSection(profile),
    ...reasoningSection(recommendation, verification),
    ...(verification ? verificationSection(verification) : [h(2, 'Verification'), p(['Not run. ', code('segloss verify DATASET --recommendation recommendation.json --out DIR'), ' trains the candidates and fills this section.'])]),
    ...picturesSection(input.pictures),
    ...overlaySection(overlays),
  ];
}

export function renderReportMarkdown(input: ReportInput): string {
  return toMarkdown(buildReportDocument(input));
}
