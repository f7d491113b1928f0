/**
 * The verdict at a glance (issue 21): the headline for every outcome, short candidate names, and
 * the acceptance rule that no table row or legend entry in the terminal or the pictures names a
 * candidate in more than 40 characters, even when every full label is 70+ characters long.
 */
import { describe, expect, it } from 'vitest';
import type { CandidateResult, VerificationReport } from '../../src/contracts/verification.js';
import { HEADLINE_MAX, headlineOf, sentenceLines, verdictHeadline, type HeadlineCandidate } from '../../src/report/headline.js';
import { renderReportMarkdown } from '../../src/report/markdown.js';
import { learningCurveData, learningCurvesSvg, lossPanelsSvg } from '../../src/report/pictures/learning-curves.js';
import { lossSeriesOf, metricBarsOf } from '../../src/report/pictures/index.js';
import { metricBarsSvg } from '../../src/report/pictures/charts.js';
import { SHORT_NAME_MAX, shortNames, withShortNames } from '../../src/report/short-names.js';
import { formatVerificationText } from '../../src/report/verification-text.js';
import { linesToText } from '../../src/ui/lines.js';
import { verificationLines } from '../../src/ui/views/verify-lines.js';
import { HEADLINE_METRICS, type HeadlineMetric, type ImageScore } from '../../src/verify/scores.js';
import { seedMean, tableComparator } from '../../src/verify/seed-stats.js';
import { decideVerdict, type VerdictCandidate } from '../../src/verify/verdict.js';
import { buildTable, type TableSpec } from '../verify/score-tables.js';
import { comboRecipe, focalRecipe, ceRecipe, profileFixture, recommendationFixture, verificationFixture } from '../fixtures/ui/contracts.js';

const ctx = { numClasses: 2, rarestClassId: 1, seed: 5 };
const LONG = {
  rec: 'Combo 0.7 stable log Dice + 0.3 CE, OHEM, AdamW (satellite recipe) with scale-aware weights',
  plain: 'Combo (Dice + CE) without class weights, OHEM and scale-aware weights (ablation)',
  focal: 'Focal gamma=2 (baseline) trained with the recommended optimiser and schedule',
};
const named: HeadlineCandidate[] = [
  { id: 'recommended', label: LONG.rec, isRecommended: true, recipe: comboRecipe, status: 'ok' },
  { id: 'recommended-plain', label: LONG.plain, isRecommended: false, recipe: comboRecipe, status: 'ok' },
  { id: 'focal', label: LONG.focal, isRecommended: false, recipe: { ...focalRecipe, loss: { name: 'focal', params: { gamma: 2 } } }, status: 'ok' },
];

/** A verdict from a seed-paired table whose ids are the candidates above. */
function verdictFor(spec: TableSpec, over: Partial<Parameters<typeof decideVerdict>[0]> = {}) {
  const table = buildTable(spec);
  const candidates: VerdictCandidate[] = [...table.keys()].map((id) => ({
    id, label: named.find((c) => c.id === id)!.label, isRecommended: id === 'recommended', status: 'ok', statusDetail: null,
    scores: Object.fromEntries(HEADLINE_METRICS.map((m) => [m, seedMean(table.get(id)!, m, ctx)])) as Record<HeadlineMetric, number>,
  }));
  return decideVerdict({ candidates, compare: tableComparator(table as Map<string, ImageScore[][]>, ctx), valImages: spec.images, seeds: spec.seeds, steps: 312, ...over });
}

const noisy = { noise: 0.02, seedNoise: 0.01 };

describe('verdict headline', () => {
  it('says each outcome in at most ~100 characters, starting with the outcome, with short names only', () => {
    const cases = {
      confirmed: verdictFor({ images: 12, seeds: 3, effects: { recommended: 0.15, 'recommended-plain': 0, focal: 0.05 }, ...noisy }),
      beaten: verdictFor({ images: 15, seeds: 3, effects: { recommended: 0, focal: 0.12 }, seedEffects: { '*': [0.05, -0.1, 0.08] }, ...noisy }),
      tied: verdictFor({ images: 20, seeds: 3, effects: { recommended: 0, focal: 0 }, seedEffects: { focal: [0.2, -0.1, 0.2], recommended: [0, 0, 0] }, noise: 0.02 }),
      inconclusive: verdictFor({ images: 15, seeds: 1, effects: { recommended: 0, focal: 0.2 }, ...noisy }),
    };
    const headlines = Object.fromEntries(Object.entries(cases).map(([k, v]) => [k, verdictHeadline(v, named)]));
    for (const [outcome, text] of Object.entries(headlines)) {
      expect(cases[outcome as keyof typeof cases].outcome).toBe(outcome);
      expect(text.startsWith(outcome)).toBe(true);
      expect(text.length).toBeLessThanOrEqual(100);
      for (const label of Object.values(LONG)) expect(text).not.toContain(label);
    }
    expect(headlines.confirmed).toMatch(/^confirmed( at 312 steps)?: the recommended recipe beats Focal γ2 by \+0\.\d\d mean Dice \(95% CI \+0\.\d+\.\.\+0\.\d+\)$/);
    expect(headlines.beaten).toMatch(/^beaten at 312 steps: Focal γ2 beats the recommended recipe by \+0\.\d+ mean Dice \(9\d(\.\d+)?% CI \+0\.\d+\.\.\+0\.\d+\)$/);
    expect(headlines.tied).toMatch(/^tied at 312 steps: keep the recommended recipe for now \(about \d+ seeds would decide\)/);
    expect(headlines.inconclusive).toMatch(/^inconclusive with 1 seed at 312 steps: Focal γ2 led by \+0\.\d+; run --seeds 3 to decide$/);
  });

  it('falls back to the verdict\'s own first clause and never exceeds the maximum', () => {
    const v = { outcome: 'inconclusive' as const, winnerId: null, sentence: `Inconclusive: only 3 validation images; give verify a dataset with at least 25 images ${'x'.repeat(300)}`, details: [] };
    expect(verdictHeadline(v, named)).toBe('inconclusive: only 3 validation images');
    const twoFolds = { ...v, sentence: 'Inconclusive with 2 folds x 1 seed: at 40 steps Focal had the highest mean Dice (0.40 vs 0.30); run verify with --folds 3 or more.' };
    expect(verdictHeadline(twoFolds, named)).toBe('inconclusive: at 40 steps Focal had the highest mean Dice (0.40 vs 0.30)');
    const perFold = { outcome: 'tied' as const, winnerId: null, sentence: 'Keep it for now.', details: [], steps: 90, toResolve: { seeds: 4, perFold: true, budgetMultiplier: 4, valImagesMultiplier: null, text: 'about 4 seeds per fold (--seeds 4)' } };
    expect(verdictHeadline(perFold, named)).toBe('tied at 90 steps: keep the recommended recipe for now (about 4 seeds per fold would decide)');
    const long = { ...v, sentence: `Inconclusive: ${'word '.repeat(80)}` };
    expect(verdictHeadline(long, named).length).toBeLessThanOrEqual(HEADLINE_MAX);
  });

  it('a stored headline is shown (control characters escaped); an old file gets one made from its verdict', () => {
    expect(headlineOf({ verdict: { ...verificationFixture.verdict, headline: 'tied\u001b[2J' }, candidates: [] })).toBe('tied\\x1b[2J');
    expect(headlineOf(verificationFixture)).toMatch(/^confirmed/);
  });

  it('splits the verdict sentence into short lines at semicolons outside brackets', () => {
    expect(sentenceLines('Keep it for now: at 312 steps it has 0.27 (a; b); no difference; about 15 seeds would decide.')).toEqual(['Keep it for now: at 312 steps it has 0.27 (a; b).', 'No difference.', 'About 15 seeds would decide.']);
  });
});

describe('short names', () => {
  it('are short, unique and say what the candidate is', () => {
    const names = shortNames([
      ...named,
      { id: 'ce', label: 'Cross-entropy (baseline)', isRecommended: false, recipe: ceRecipe },
      { id: 'alt-1', label: 'x'.repeat(90), isRecommended: false, recipe: { loss: { name: 'tversky', params: { alpha: 0.3 } } } },
      { id: 'alt-2', label: 'x'.repeat(90), isRecommended: false, recipe: { loss: { name: 'tversky', params: { alpha: 0.3 } } } },
      { id: 'nnunet', label: 'nnU-Net DiceCE, SGD 1e-2 poly (reference)', isRecommended: false, recipe: comboRecipe },
      { id: '<script>alert(1)</script>'.repeat(3), label: 'y', isRecommended: false },
    ]);
    expect([...names.values()].slice(0, 7)).toEqual(['recommended', 'recommended, plain', 'Focal γ2', 'CE', 'alt 1: Tversky α0.3', 'alt 2: Tversky α0.3', 'nnU-Net DiceCE']);
    for (const name of names.values()) expect(name.length).toBeLessThanOrEqual(SHORT_NAME_MAX);
    expect(new Set(names.values()).size).toBe(names.size);
  });

  it('replace the full labels in the verdict\'s sentences', () => {
    expect(withShortNames(`Keep the recommended ${LONG.rec} for now: it has 0.27 vs 0.31 for ${LONG.plain}; ${LONG.focal}: diverged`, named)).toBe('Keep the recommended recipe for now: it has 0.27 vs 0.31 for recommended, plain; Focal γ2: diverged');
  });
});

/** The fixture with every candidate's label 70+ characters long and five seeds of curves. */
function longLabelReport(): VerificationReport {
  const candidates: CandidateResult[] = verificationFixture.candidates.map((c, k) => ({
    ...c,
    label: `${c.label} ${'with a very long description of its additions and settings '.repeat(2)}#${k}`,
    curve: c.curve?.map((p) => ({ ...p, perSeedMeanDice: [p.meanDice - 0.02, p.meanDice + 0.01, p.meanDice + 0.01] })),
  }));
  return { ...verificationFixture, settings: { ...verificationFixture.settings, seeds: [1, 2, 3], tieMargin: 0.01 }, candidates, verdict: { ...verificationFixture.verdict, orderStillMoving: true } };
}

/** Candidate names in SVG legend and title texts (Vega writes each as a <text> element). */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

describe('no candidate name over 40 characters in tables and legends', () => {
  const report = longLabelReport();
  const labels = report.candidates.map((c) => c.label);

  it('terminal: plain text and the Ink view name candidates by short name; the full label appears once, in the key', () => {
    const plain = formatVerificationText(report, { color: false });
    const ink = linesToText(verificationLines(report, 120));
    for (const text of [plain, ink]) {
      // Once: whole in plain text, wrapped in the Ink key.
      for (const label of labels) expect(text.split(label.slice(0, 40)).length - 1).toBe(1);
      // Every line that is not the key line of a candidate (its full label) stays free of long names.
      for (const line of text.split('\n').filter((l) => !labels.some((label) => l.includes(label.slice(0, 30))))) {
        for (const label of labels) expect(line).not.toContain(label.slice(0, 41));
      }
    }
  });

  it('report.md: table cells name candidates by short name; full labels only in the key', () => {
    const md = renderReportMarkdown({ profile: profileFixture, recommendation: recommendationFixture, verification: report });
    const tableLines = md.split('\n').filter((l) => l.startsWith('|'));
    const keyRows = tableLines.filter((l) => labels.some((label) => l.includes(label)));
    expect(keyRows).toHaveLength(labels.length); // the key: one row per candidate
    for (const line of tableLines.filter((l) => !keyRows.includes(l))) {
      for (const cell of line.split(' | ')) expect(cell.length > 40 && labels.some((label) => cell.includes(label.slice(0, 20)))).toBe(false);
    }
  });

  it('pictures: every legend and panel title names a candidate in at most 40 characters', async () => {
    const names = [...shortNames(report.candidates).values()];
    const curves = learningCurveData(report)!;
    expect(curves.subtitle[0]).toMatch(/^ORDER STILL MOVING/);
    const { bars, candidates } = metricBarsOf(report);
    const svgs = [
      await learningCurvesSvg(curves),
      await lossPanelsSvg(lossSeriesOf(report).map((s) => ({ candidate: s.label, losses: s.losses, steps: s.steps }))),
      await metricBarsSvg(bars, candidates),
    ];
    for (const svg of svgs) {
      const texts = svgTexts(svg);
      for (const label of labels) expect(svg).not.toContain(label.slice(0, 30));
      expect(texts.some((t) => names.some((n) => t.startsWith(n)))).toBe(true);
      for (const t of texts.filter((x) => names.some((n) => x.startsWith(n)))) expect(t.length).toBeLessThanOrEqual(40);
    }
    // The learning curves: a faint line per candidate and seed behind a thick mean line per candidate.
    const withCurves = report.candidates.filter((c) => c.curve?.length).length;
    expect(svgs[0].match(/<path[^>]*stroke-opacity="0\.3" stroke-width="1"\/>/g)).toHaveLength(withCurves * 3);
    expect(svgs[0].match(/<path[^>]*stroke-width="2\.5"\/>/g)).toHaveLength(2 * withCurves); // mean Dice and rarest-class Dice panels
    expect(svgs[0]).toMatch(/<path[^>]*fill="#888" fill-opacity="0\.18"/); // the tie-margin band
  });
});
