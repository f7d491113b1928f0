/**
 * Pure text helpers shared by the Ink views, the plain-text fallback and report.md:
 * number formats, bars, sparklines and width-aware truncation and wrapping.
 * Every function returns a string whose length (in terminal columns) is known to its caller.
 */

/** A share in [0, 1] as a percentage that stays readable from 98.7% down to 0.0012%. */
export function formatShare(share: number | null): string {
  if (share === null || !Number.isFinite(share)) return 'n/a';
  const percent = share * 100;
  if (percent === 0) return '0%';
  if (percent >= 10) return `${percent.toFixed(1)}%`;
  if (percent >= 0.01) return `${percent.toFixed(2)}%`;
  return `${Number(percent.toPrecision(2))}%`;
}

/** A share with two significant digits below 10% (for CI bounds of rare classes): 0.024%, 0.38%. */
export function formatShareFine(share: number | null): string {
  if (share === null || !Number.isFinite(share)) return 'n/a';
  const percent = share * 100;
  if (percent === 0 || percent >= 10) return formatShare(share);
  return `${Number(percent.toPrecision(2))}%`;
}

/** A metric value (Dice, recall, IoU) with three decimals. */
export function formatMetric(value: number | null): string {
  return value === null || !Number.isFinite(value) ? 'n/a' : value.toFixed(3);
}

/** A 95% CI as `0.672-0.752`. */
export function formatInterval(ci: [number, number] | null): string {
  return ci ? `${ci[0].toFixed(3)}-${ci[1].toFixed(3)}` : '';
}

/** Numbers as a person writes them in a recipe: 3e-4, 0.01, 0.7, 1200. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e6) {
    const [mantissa, exponent] = value.toExponential().split('e');
    return `${Number(Number(mantissa).toPrecision(3))}e${Number(exponent)}`;
  }
  return String(Number(value.toPrecision(4)));
}

/** Seconds as 42s, 3m05s, 1h02m. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** json-rules-engine operators as symbols people read. */
const OPERATOR_SYMBOLS: Record<string, string> = {
  equal: '=',
  notEqual: '≠',
  lessThan: '<',
  lessThanInclusive: '≤',
  greaterThan: '>',
  greaterThanInclusive: '≥',
  in: 'in',
  notIn: 'not in',
  contains: 'contains',
  doesNotContain: 'lacks',
};

export function operatorSymbol(operator: string): string {
  return OPERATOR_SYMBOLS[operator] ?? operator;
}

/** A fact value or rule threshold as text; arrays as [a, b], null as "unknown". */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'unknown';
  if (typeof value === 'number') return formatNumber(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  return String(value);
}

/** Cuts `text` to `width` columns, ending with an ellipsis when cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  if (width === 1) return '…';
  return `${text.slice(0, width - 1)}…`;
}

/** `text` cut or right-padded to exactly `width` columns. */
export function fit(text: string, width: number): string {
  return truncate(text, width).padEnd(width);
}

/** `text` cut or left-padded to exactly `width` columns (for numbers). */
export function fitRight(text: string, width: number): string {
  return truncate(text, width).padStart(width);
}

/**
 * Wraps `text` at word boundaries into lines of at most `width` columns; continuation lines start
 * with `indent`. Words longer than a line are cut hard.
 */
export function wrapText(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let current = '';
  const limit = (lineIndex: number) => Math.max(1, width - (lineIndex === 0 ? 0 : indent.length));
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let rest = word;
    while (rest.length > 0) {
      const room = limit(lines.length);
      const candidate = current ? `${current} ${rest}` : rest;
      if (candidate.length <= room) {
        current = candidate;
        rest = '';
      } else if (current) {
        lines.push(current);
        current = '';
      } else {
        lines.push(rest.slice(0, room));
        rest = rest.slice(room);
      }
    }
  }
  if (current || lines.length === 0) lines.push(current);
  return lines.map((line, index) => (index === 0 ? line : `${indent}${line}`));
}

const FULL = '█';
const EMPTY = '░';

/** A bar of `width` cells with `fraction` of them filled (at least one when fraction > 0). */
export function bar(fraction: number, width: number): string {
  const clamped = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  let filled = Math.round(clamped * width);
  if (clamped > 0 && filled === 0) filled = 1;
  return FULL.repeat(filled) + EMPTY.repeat(Math.max(0, width - filled));
}

/**
 * The lowest share a log-scale bar shows: one decade below the smallest positive share (so the
 * rarest class still gets a visible bar), never above 1% so balanced data keeps a scale.
 */
export function logScaleFloor(shares: number[]): number {
  const positive = shares.filter((share) => share > 0);
  if (positive.length === 0) return 1e-2;
  const smallest = Math.min(...positive);
  return Math.min(1e-2, 10 ** (Math.floor(Math.log10(smallest)) - 1));
}

/** Fraction of a log-scale axis from `floor` (0) to 1 (full) that `share` reaches. */
export function logFraction(share: number, floor: number): number {
  if (share <= 0) return 0;
  return Math.min(1, Math.max(0, (Math.log10(share) - Math.log10(floor)) / -Math.log10(floor)));
}

const SPARK = '▁▂▃▄▅▆▇█';
/** Marks a non-finite (NaN, infinite) loss: the point where a run diverged. */
export const DIVERGED_MARK = '×';

/**
 * A sparkline of at most `width` cells: values are averaged into `width` buckets (so the whole
 * history stays visible), scaled between the finite min and max. A bucket holding a non-finite
 * value shows DIVERGED_MARK.
 */
export function sparkline(values: number[], width: number): string {
  if (values.length === 0 || width <= 0) return '';
  const buckets = Math.min(width, values.length);
  const points: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * values.length) / buckets);
    const end = Math.floor(((b + 1) * values.length) / buckets);
    const slice = values.slice(start, Math.max(end, start + 1));
    points.push(slice.some((v) => !Number.isFinite(v)) ? Number.NaN : slice.reduce((a, v) => a + v, 0) / slice.length);
  }
  const finite = points.filter(Number.isFinite);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  return points
    .map((point) => {
      if (!Number.isFinite(point)) return DIVERGED_MARK;
      const level = max > min ? Math.round(((point - min) / (max - min)) * (SPARK.length - 1)) : 0;
      return SPARK[level];
    })
    .join('');
}

export { formatPercent } from '../common/percent.js';

/** A count people read at a glance: 950, 118k, 2.4M. */
export function formatCount(count: number): string {
  if (count < 10_000) return String(count);
  if (count < 1_000_000) return `${Number((count / 1000).toPrecision(3))}k`;
  return `${Number((count / 1_000_000).toPrecision(3))}M`;
}
