/**
 * The verification charts, drawn by Vega (a maintained visualisation grammar; rendered headless to
 * SVG with no canvas, no native build and nothing downloaded) and rasterised to PNG by sharp:
 *  - the training loss of every candidate on one plot (loss against training step);
 *  - the headline metrics as grouped bars with their bootstrap 95% CIs as whiskers.
 * Inputs are plain data, so the charts can be drawn from a verification.json alone. User text
 * (candidate labels) goes in as data values, never into a Vega expression, and Vega escapes it
 * when it writes the SVG; control characters are escaped first (safeLine).
 */
import type { Spec } from 'vega';
import { safeLine } from '../../common/safe-text.js';

export interface LossSeries {
  label: string;
  /** Training loss per point (possibly downsampled); non-finite values (a divergence) are left out. */
  losses: readonly number[];
  /** Steps the curve covers: point i is drawn at step (i + 1) * steps / losses.length. */
  steps: number;
}

export interface MetricBar {
  metric: string;
  candidate: string;
  value: number;
  ci95: [number, number] | null;
}

const FONT = 'DejaVu Sans, Verdana, sans-serif';
export const CONFIG = {
  font: FONT,
  title: { fontSize: 15, font: FONT, anchor: 'start' },
  axis: { labelFontSize: 12, titleFontSize: 13, labelFont: FONT, titleFont: FONT, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 12, titleFontSize: 12, labelFont: FONT, titleFont: FONT, labelLimit: 900 },
} as const;

/** Labels made unique (a repeated label gets " (2)", " (3)") so each candidate keeps its own colour. */
export function uniqueLabels(labels: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return labels.map((raw) => {
    const label = safeLine(raw);
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    return n === 1 ? label : `${label} (${n})`;
  });
}

export async function renderSvg(spec: Spec): Promise<string> {
  // Loaded on first use: importing Vega takes ~0.2 s, which every other command would pay at start-up.
  const { parse, View } = await import('vega');
  const view = new View(parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Training-loss curves of every candidate on one plot, as SVG text. */
export async function lossCurvesSvg(series: readonly LossSeries[], options: { title?: string } = {}): Promise<string> {
  const names = uniqueLabels(series.map((s) => s.label));
  const values = series.flatMap((s, k) =>
    s.losses.flatMap((loss, i) => (Number.isFinite(loss) ? [{ candidate: names[k], step: ((i + 1) * Math.max(s.steps, s.losses.length)) / s.losses.length, loss }] : [])),
  );
  const spec: Spec = {
    width: 640,
    height: 300,
    padding: 12,
    autosize: { type: 'pad' },
    config: CONFIG,
    title: { text: options.title ?? "Training loss per step (each candidate's own loss function)" },
    data: [{ name: 'points', values }],
    scales: [
      { name: 'x', type: 'linear', domain: { data: 'points', field: 'step' }, range: 'width', nice: true, zero: true },
      { name: 'y', type: 'linear', domain: { data: 'points', field: 'loss' }, range: 'height', nice: true, zero: true },
      { name: 'colour', type: 'ordinal', domain: names, range: 'category' },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'training step', tickCount: 8 },
      { orient: 'left', scale: 'y', title: 'training loss', grid: true, tickCount: 6 },
    ],
    legends: [{ stroke: 'colour', title: 'candidate', orient: 'bottom', direction: 'vertical', symbolType: 'stroke', symbolStrokeWidth: 3 }],
    marks: [
      {
        type: 'group',
        from: { facet: { name: 'series', data: 'points', groupby: 'candidate' } },
        marks: [
          {
            type: 'line',
            from: { data: 'series' },
            encode: {
              enter: {
                x: { scale: 'x', field: 'step' },
                y: { scale: 'y', field: 'loss' },
                stroke: { scale: 'colour', field: 'candidate' },
                strokeWidth: { value: 2 },
              },
            },
          },
        ],
      },
    ],
  };
  return renderSvg(spec);
}

/** Grouped bars (a group per metric, a bar per candidate) with 95% CI whiskers, as SVG text. */
export async function metricBarsSvg(bars: readonly MetricBar[], candidates: readonly string[], options: { title?: string } = {}): Promise<string> {
  const names = uniqueLabels(candidates);
  const nameOf = new Map(candidates.map((c, i) => [c, names[i]]));
  const metrics = [...new Set(bars.map((b) => safeLine(b.metric)))];
  const values = bars
    .filter((b) => Number.isFinite(b.value))
    .map((b) => ({
      metric: safeLine(b.metric),
      candidate: nameOf.get(b.candidate) ?? safeLine(b.candidate),
      value: b.value,
      low: b.ci95 ? b.ci95[0] : b.value,
      high: b.ci95 ? b.ci95[1] : b.value,
      ciOpacity: b.ci95 !== null ? 1 : 0,
      text: b.value.toFixed(2),
    }));
  const top = Math.max(1, ...values.map((v) => v.high));
  const spec: Spec = {
    width: Math.max(480, metrics.length * Math.max(170, names.length * 26 + 30)),
    height: 300,
    padding: 12,
    autosize: { type: 'pad' },
    config: CONFIG,
    title: { text: options.title ?? 'Validation metrics with 95% bootstrap CIs' },
    data: [{ name: 'bars', values }],
    scales: [
      { name: 'x', type: 'band', domain: metrics, range: 'width', paddingInner: 0.2, paddingOuter: 0.1 },
      { name: 'y', type: 'linear', domain: [0, top], range: 'height', nice: true, zero: true },
      { name: 'colour', type: 'ordinal', domain: names, range: 'category' },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', labelLimit: 0 },
      { orient: 'left', scale: 'y', title: 'value (higher is better)', grid: true, tickCount: 5 },
    ],
    legends: [{ fill: 'colour', title: 'candidate', orient: 'bottom', direction: 'vertical' }],
    marks: [
      {
        type: 'group',
        from: { facet: { name: 'metricBars', data: 'bars', groupby: 'metric' } },
        encode: { enter: { x: { scale: 'x', field: 'metric' } } },
        signals: [{ name: 'width', update: "bandwidth('x')" }],
        scales: [{ name: 'slot', type: 'band', domain: names, range: 'width', paddingInner: 0.1 }],
        marks: [
          {
            type: 'rect',
            from: { data: 'metricBars' },
            encode: {
              enter: {
                x: { scale: 'slot', field: 'candidate' },
                width: { scale: 'slot', band: 1 },
                y: { scale: 'y', field: 'value' },
                y2: { scale: 'y', value: 0 },
                fill: { scale: 'colour', field: 'candidate' },
              },
            },
          },
          {
            type: 'rule',
            from: { data: 'metricBars' },
            encode: {
              enter: {
                x: { scale: 'slot', field: 'candidate', band: 0.5 },
                y: { scale: 'y', field: 'low' },
                y2: { scale: 'y', field: 'high' },
                stroke: { value: '#222' },
                strokeWidth: { value: 1.5 },
                strokeOpacity: { field: 'ciOpacity' },
              },
            },
          },
          ...(['low', 'high'] as const).map((end) => ({
            type: 'rule' as const,
            from: { data: 'metricBars' },
            encode: {
              enter: {
                x: { scale: 'slot', field: 'candidate', band: 0.25 },
                x2: { scale: 'slot', field: 'candidate', band: 0.75 },
                y: { scale: 'y', field: end },
                stroke: { value: '#222' },
                strokeWidth: { value: 1.5 },
                strokeOpacity: { field: 'ciOpacity' },
              },
            },
          })),
        ],
      },
    ],
  };
  return renderSvg(spec);
}
