/**
 * The picture that carries verify's key finding: validation score against training steps, one
 * line per candidate (its mean over seeds, thick) with each seed's curve faint behind it, for mean
 * Dice and for the rarest class's Dice, side by side. The band around the recommended recipe's
 * curve is the tie margin (differences inside it do not matter); the subtitle says whether the
 * order is still moving (verdict.orderStillMoving). Where curves cross and how wide the seeds
 * spread is what a table of numbers hides. Also: the training loss as small multiples, one panel
 * per candidate on its own scale (losses of different functions are not comparable, only shapes).
 * Candidates are named by their short names (short-names.ts); user text enters Vega as data only.
 */
import type { Spec } from 'vega';
import type { VerificationReport } from '../../contracts/verification.js';
import { safeLine } from '../../common/safe-text.js';
import { shortNames } from '../short-names.js';
import { CONFIG, renderSvg } from './charts.js';

export interface CurvePoint {
  candidate: string;
  /** Mean Dice or rarest-class Dice: the panel's title and index (Vega filters by the index, never by user text). */
  panel: string;
  panelIndex: 0 | 1;
  steps: number;
  value: number;
  /** null: the mean over seeds; else the seed's index. */
  seed: number | null;
}

export interface LearningCurveData {
  candidates: string[];
  points: CurvePoint[];
  /** The recommended recipe's mean-Dice curve +- the tie margin. */
  band: Array<{ steps: number; low: number; high: number }>;
  /** Two lines: whether the order is still moving, and how to read the lines. */
  subtitle: string[];
}

const MEAN_PANEL = 'mean Dice';

/** The curves of a verification (schema 2: candidates carry `curve`); null when no candidate has two rungs. */
export function learningCurveData(report: VerificationReport): LearningCurveData | null {
  const names = shortNames(report.candidates);
  const withCurves = report.candidates.filter((c) => (c.curve?.length ?? 0) > 0);
  if (!withCurves.some((c) => (c.curve?.length ?? 0) >= 2)) return null;
  const rarest = report.settings.classNames?.[report.settings.rarestClassId];
  const rarePanel = rarest ? `Dice of the rarest class (${safeLine(rarest)})` : 'rarest-class Dice';
  const points: CurvePoint[] = [];
  for (const c of withCurves) {
    const candidate = names.get(c.id)!;
    for (const p of c.curve!) {
      if (Number.isFinite(p.meanDice)) points.push({ candidate, panel: MEAN_PANEL, panelIndex: 0, steps: p.steps, value: p.meanDice, seed: null });
      p.perSeedMeanDice.forEach((v, seed) => {
        if (Number.isFinite(v) && p.perSeedMeanDice.length > 1) points.push({ candidate, panel: MEAN_PANEL, panelIndex: 0, steps: p.steps, value: v, seed });
      });
      if (p.rarestClassDice !== null && Number.isFinite(p.rarestClassDice)) points.push({ candidate, panel: rarePanel, panelIndex: 1, steps: p.steps, value: p.rarestClassDice, seed: null });
    }
  }
  const margin = report.verdict.tieMargin ?? report.settings.tieMargin ?? 0;
  const rec = withCurves.find((c) => c.isRecommended);
  const band = rec && margin > 0 ? rec.curve!.filter((p) => Number.isFinite(p.meanDice)).map((p) => ({ steps: p.steps, low: p.meanDice - margin, high: p.meanDice + margin })) : [];
  const seeds = report.settings.seeds.length;
  const moving = report.verdict.orderStillMoving ? 'ORDER STILL MOVING: a trailing candidate gains fast enough to catch up within about twice the steps' : 'order settled over the last rungs (no trailing candidate catching up)';
  const subtitle = [`${moving}.`, `Thick: mean over ${seeds} seed${seeds === 1 ? '' : 's'}${seeds > 1 ? ', faint: each seed' : ''}${band.length ? `; grey band: recommended ±${margin} (tie margin)` : ''}.`];
  return { candidates: withCurves.map((c) => names.get(c.id)!), points, band, subtitle };
}

const PANEL_WIDTH = 380;
const PANEL_HEIGHT = 260;
const GAP = 90;

/** The two panels side by side, as SVG text. */
export async function learningCurvesSvg(data: LearningCurveData): Promise<string> {
  const panels = [0, 1].flatMap((index) => data.points.find((p) => p.panelIndex === index) ?? []).map((p) => ({ index: p.panelIndex, name: p.panel }));
  const panel = ({ index, name }: { index: number; name: string }, k: number) => {
    const isMean = index === 0;
    return {
      type: 'group' as const,
      encode: { enter: { x: { value: k * (PANEL_WIDTH + GAP) }, width: { value: PANEL_WIDTH }, height: { value: PANEL_HEIGHT } } },
      title: { text: name, fontSize: 13, anchor: 'start' as const, frame: 'group' as const },
      // The panel's own size for its axes and grid lines (not the whole chart's).
      signals: [{ name: 'width', value: PANEL_WIDTH }, { name: 'height', value: PANEL_HEIGHT }],
      data: [
        { name: 'panel', source: 'points', transform: [{ type: 'filter' as const, expr: `datum.panelIndex === ${index}` }] },
        { name: 'means', source: 'panel', transform: [{ type: 'filter' as const, expr: 'datum.seed === null' }] },
        { name: 'seeds', source: 'panel', transform: [{ type: 'filter' as const, expr: 'datum.seed !== null' }] },
      ],
      scales: [
        { name: 'x', type: 'linear' as const, domain: { data: 'points', field: 'steps' }, range: [0, PANEL_WIDTH], nice: false, zero: true },
        { name: 'y', type: 'linear' as const, domain: isMean ? { fields: [{ data: 'panel', field: 'value' }, { data: 'band', field: 'low' }, { data: 'band', field: 'high' }] } : { data: 'panel', field: 'value' }, range: [PANEL_HEIGHT, 0], nice: true, zero: false },
      ],
      axes: [
        { orient: 'bottom' as const, scale: 'x', title: 'training steps (rungs)', tickCount: 6 },
        { orient: 'left' as const, scale: 'y', title: 'Dice on validation', grid: true, tickCount: 6 },
      ],
      marks: [
        ...(isMean
          ? [{ type: 'area' as const, from: { data: 'band' }, encode: { enter: { x: { scale: 'x', field: 'steps' }, y: { scale: 'y', field: 'low' }, y2: { scale: 'y', field: 'high' }, fill: { value: '#888' }, fillOpacity: { value: 0.18 } } } }]
          : []),
        {
          type: 'group' as const,
          from: { facet: { name: 'seedLine', data: 'seeds', groupby: ['candidate', 'seed'] } },
          marks: [{ type: 'line' as const, from: { data: 'seedLine' }, encode: { enter: { x: { scale: 'x', field: 'steps' }, y: { scale: 'y', field: 'value' }, stroke: { scale: 'colour', field: 'candidate' }, strokeWidth: { value: 1 }, strokeOpacity: { value: 0.3 } } } }],
        },
        {
          type: 'group' as const,
          from: { facet: { name: 'meanLine', data: 'means', groupby: 'candidate' } },
          marks: [
            { type: 'line' as const, from: { data: 'meanLine' }, encode: { enter: { x: { scale: 'x', field: 'steps' }, y: { scale: 'y', field: 'value' }, stroke: { scale: 'colour', field: 'candidate' }, strokeWidth: { value: 2.5 } } } },
            { type: 'symbol' as const, from: { data: 'meanLine' }, encode: { enter: { x: { scale: 'x', field: 'steps' }, y: { scale: 'y', field: 'value' }, fill: { scale: 'colour', field: 'candidate' }, size: { value: 30 } } } },
          ],
        },
      ],
    };
  };
  const spec: Spec = {
    width: panels.length * PANEL_WIDTH + (panels.length - 1) * GAP,
    height: PANEL_HEIGHT,
    padding: 12,
    autosize: { type: 'pad' },
    config: CONFIG,
    title: { text: 'Learning curves on validation', subtitle: data.subtitle.map((line) => safeLine(line)), subtitleFontSize: 12, subtitleColor: '#444' },
    data: [
      { name: 'points', values: data.points },
      { name: 'band', values: data.band },
    ],
    scales: [{ name: 'colour', type: 'ordinal', domain: data.candidates, range: 'category' }],
    legends: [{ stroke: 'colour', title: 'candidate', orient: 'bottom', direction: 'horizontal', columns: 3, labelLimit: 240, symbolType: 'stroke', symbolStrokeWidth: 3 }],
    marks: panels.map(panel),
  };
  return renderSvg(spec);
}

export interface LossPanel {
  candidate: string;
  losses: readonly number[];
  steps: number;
}

/** Training loss as small multiples: one panel per candidate, each on its own y scale, as SVG text. */
export async function lossPanelsSvg(series: readonly LossPanel[]): Promise<string> {
  const values = series.flatMap((s, order) => s.losses.flatMap((loss, i) => (Number.isFinite(loss) ? [{ candidate: s.candidate, order, step: ((i + 1) * Math.max(s.steps, s.losses.length)) / s.losses.length, loss }] : [])));
  const names = series.map((s) => s.candidate);
  const spec: Spec = {
    padding: 12,
    autosize: { type: 'pad' },
    config: CONFIG,
    title: { text: 'Training loss per step', subtitle: ["One panel per candidate, each on its own scale: each is its own loss function,", 'so compare shapes (steady, noisy, still falling), not heights.'], subtitleFontSize: 12, subtitleColor: '#444' },
    data: [{ name: 'points', values }],
    scales: [{ name: 'colour', type: 'ordinal', domain: names, range: 'category' }],
    layout: { columns: Math.min(3, Math.max(1, series.length)), padding: { row: 30, column: 40 }, bounds: 'full', align: 'all' },
    marks: [
      {
        type: 'group',
        from: { facet: { name: 'panel', data: 'points', groupby: 'candidate', aggregate: { fields: ['order'], ops: ['min'], as: ['order'] } } },
        sort: { field: 'datum.order' },
        encode: { enter: { width: { value: 220 }, height: { value: 120 } } },
        title: { text: { signal: 'parent.candidate' }, fontSize: 12, anchor: 'start', frame: 'group' },
        scales: [
          { name: 'x', type: 'linear', domain: { data: 'panel', field: 'step' }, range: [0, 220], nice: true, zero: true },
          { name: 'y', type: 'linear', domain: { data: 'panel', field: 'loss' }, range: [120, 0], nice: true, zero: false },
        ],
        axes: [
          { orient: 'bottom', scale: 'x', tickCount: 4, title: 'step' },
          { orient: 'left', scale: 'y', tickCount: 4, grid: true },
        ],
        marks: [{ type: 'line', from: { data: 'panel' }, encode: { enter: { x: { scale: 'x', field: 'step' }, y: { scale: 'y', field: 'loss' }, stroke: { scale: 'colour', field: 'candidate' }, strokeWidth: { value: 1.5 } } } }],
      },
    ],
  };
  return renderSvg(spec);
}
