/**
 * The pictures of a verification written beside report.md (and by `verify --out`): the learning
 * curves on validation (learning-curves.ts), the headline-metrics chart and the training loss as
 * small multiples (SVG, and PNG rasterised by sharp for viewers that do not show SVG), plus the
 * contact sheet verify already wrote. Candidates are named by their short names. Everything is drawn from the
 * VerificationReport alone. A picture that cannot be written is reported, never fatal: the
 * results are in the JSON and the report either way.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import type { CandidateMetrics, MetricWithCI, VerificationReport } from '../../contracts/verification.js';
import type { ReportPictures } from '../markdown.js';
import { objectMetricRows } from '../object-rows.js';
import { shortNames } from '../short-names.js';
import { metricBarsSvg, type LossSeries, type MetricBar } from './charts.js';
import { learningCurveData, learningCurvesSvg, lossPanelsSvg } from './learning-curves.js';

/** Pixel density the SVG charts are rasterised at (96 = 1:1; 144 = 1.5x, sharp on high-DPI screens). */
const PNG_DENSITY = 144;

export const PICTURES_DIR = 'pictures';

/** Each candidate's training-loss curve, labelled by its short name (and how it ended, when not well). */
export function lossSeriesOf(report: VerificationReport): LossSeries[] {
  const names = shortNames(report.candidates);
  return report.candidates
    .filter((c) => c.lossCurve.length > 0)
    .map((c) => ({
      label: `${names.get(c.id)}${c.status === 'diverged' ? ' (diverged)' : c.status === 'stopped' ? ' (stopped)' : ''}`,
      losses: c.lossCurve,
      steps: c.stepsDone,
    }));
}

/** The headline metrics (and the object rates where measured) of every scored candidate, for the bar chart. */
export function metricBarsOf(report: VerificationReport): { bars: MetricBar[]; candidates: string[] } {
  const scored = report.candidates.filter((c) => c.metrics);
  const short = shortNames(report.candidates);
  const names = scored.map((c) => short.get(c.id)!);
  const rows: Array<{ name: string; pick: (m: CandidateMetrics) => MetricWithCI }> = [
    { name: 'mean Dice', pick: (m) => m.meanDice },
    { name: 'rarest-class recall', pick: (m) => m.rarestClassRecall },
    { name: 'Boundary IoU', pick: (m) => m.boundaryIoU },
  ];
  const bars: MetricBar[] = [];
  scored.forEach((c, k) => {
    for (const row of rows) {
      const m = row.pick(c.metrics!);
      bars.push({ metric: row.name, candidate: names[k], value: m.value, ci95: m.ci95 });
    }
    for (const row of objectMetricRows(report, 'brief').filter((r) => r.higherIsBetter)) {
      const m = row.value(c);
      if (m) bars.push({ metric: row.long, candidate: names[k], value: m.value, ci95: m.ci95 });
    }
  });
  return { bars, candidates: names };
}

async function writeChart(dir: string, name: string, svg: string): Promise<{ svg: string; png: string }> {
  const svgPath = join(dir, `${name}.svg`);
  const pngPath = join(dir, `${name}.png`);
  await writeFile(svgPath, svg);
  await sharp(Buffer.from(svg), { density: PNG_DENSITY }).png().toFile(pngPath);
  return { svg: svgPath, png: pngPath };
}

/**
 * Writes OUT/pictures/learning-curves.{svg,png}, loss-curves.{svg,png} and metrics.{svg,png}. Returns their paths
 * relative to OUT (with the contact sheet when the report has one) and, in `problems`, what could
 * not be written.
 */
export async function writeVerificationPictures(outDir: string, report: VerificationReport): Promise<ReportPictures> {
  const dir = join(outDir, PICTURES_DIR);
  const problems: string[] = [];
  const pictures: ReportPictures = { problems };
  const local = (path: string) => relative(resolve(outDir), resolve(path));
  const attempt = async (what: string, draw: () => Promise<void>) => {
    try {
      await mkdir(dir, { recursive: true });
      await draw();
    } catch (error) {
      problems.push(`${what} not written: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const curves = learningCurveData(report);
  if (curves) {
    await attempt('learning-curve chart', async () => {
      const written = await writeChart(dir, 'learning-curves', await learningCurvesSvg(curves));
      pictures.learningCurves = { svg: local(written.svg), png: local(written.png) };
    });
  }
  const series = lossSeriesOf(report);
  if (series.some((s) => s.losses.some(Number.isFinite))) {
    await attempt('training-loss chart', async () => {
      const written = await writeChart(dir, 'loss-curves', await lossPanelsSvg(series.map((s) => ({ candidate: s.label, losses: s.losses, steps: s.steps }))));
      pictures.lossCurves = { svg: local(written.svg), png: local(written.png) };
    });
  }
  const { bars, candidates } = metricBarsOf(report);
  if (bars.length > 0) {
    await attempt('metrics chart', async () => {
      const written = await writeChart(dir, 'metrics', await metricBarsSvg(bars, candidates));
      pictures.metrics = { svg: local(written.svg), png: local(written.png) };
    });
  }
  if (report.contactSheet) pictures.contactSheets = [local(report.contactSheet)];
  return pictures;
}
