/**
 * Sentences that compare two candidates on the object-level metrics, in the article's words
 * ("recommended finds 67% of small objects vs 48% for CE"), for the verdict details and the
 * report. Pure: two candidates' ObjectMetrics in, sentences out.
 *
 * A sentence never claims more than the statistics show: with a paired bootstrap CI of the
 * difference (same resampled images for both; pairedObjectDifferenceCI in src/verify/scores.ts)
 * it says whether the CI excludes 0; without one it falls back to whether the two candidates' own
 * 95% CIs overlap (non-overlap is the stricter test), and with no CIs at all it says so.
 */
import { OBJECT_AREA_BIN_LABELS } from '../contracts/profile.js';
import type { MetricWithCI, ObjectMetrics } from '../contracts/verification.js';
import type { ObjectStatistic } from './objects.js';

export interface ObjectComparand {
  label: string;
  objects: ObjectMetrics;
}

/** 95% CI of (a - b) on an object statistic, paired over val images; null when not computable. */
export type ObjectDifferenceCI = (statistic: ObjectStatistic) => [number, number] | null;

const percent = (share: number) => `${Math.round(share * 100)}%`;
const points = (difference: number) => `${difference >= 0 ? '+' : ''}${Math.round(difference * 100)}`;

/** What the evidence says about a difference, as a bracketed clause. */
function evidence(a: MetricWithCI, b: MetricWithCI, paired: [number, number] | null | undefined, format: (d: number) => string, unit = ''): string {
  if (paired) {
    const range = `95% CI ${format(paired[0])} to ${format(paired[1])}${unit}`;
    return paired[0] > 0 || paired[1] < 0 ? `difference ${format(a.value - b.value)}${unit}, ${range}` : `within the noise: ${range} for the difference`;
  }
  if (!a.ci95 || !b.ci95) return 'too few validation images for a CI';
  const apart = a.ci95[0] > b.ci95[1] || b.ci95[0] > a.ci95[1];
  return apart ? 'their 95% CIs do not overlap' : 'their 95% CIs overlap: not a clear difference';
}

/** "small objects (<100 px)" for the article's first bin, else "objects of 100-1k px". */
export function areaBinPhrase(bin: number): string {
  return bin === 0 ? `small objects (${OBJECT_AREA_BIN_LABELS[0]} px)` : `objects of ${OBJECT_AREA_BIN_LABELS[bin]} px`;
}

/**
 * Up to three sentences comparing `a` with `b`: detection of the smallest objects both were scored
 * on, of the largest (when that is another bin), and spurious components per image. Bins without
 * ground-truth objects and rates that read the same (to the percent, or spurious per image to two
 * decimals) are skipped; an empty list when there is nothing to compare.
 */
export function objectComparisonSentences(a: ObjectComparand, b: ObjectComparand, pairedCI?: ObjectDifferenceCI): string[] {
  const sentences: string[] = [];
  const bins = a.objects.byArea.map((entry, bin) => ({ bin, ours: entry.detectionRate, theirs: b.objects.byArea[bin]?.detectionRate ?? null, objects: entry.objects }));
  const scored = bins.filter((x): x is typeof x & { ours: MetricWithCI; theirs: MetricWithCI } => x.ours !== null && x.theirs !== null);
  const picked = scored.length > 1 ? [scored[0], scored[scored.length - 1]] : scored;
  for (const { bin, ours, theirs, objects } of picked) {
    if (percent(ours.value) === percent(theirs.value)) continue; // the same rate as shown: nothing to say
    const clause = evidence(ours, theirs, pairedCI?.(`detectionRate:${bin}`), points, ' points');
    sentences.push(`${a.label} finds ${percent(ours.value)} of ${areaBinPhrase(bin)} vs ${percent(theirs.value)} for ${b.label} (IoU > 0.5, ${objects} objects; ${clause}).`);
  }
  const ours = a.objects.spuriousPerImage;
  const theirs = b.objects.spuriousPerImage;
  if ((ours.value > 0 || theirs.value > 0) && ours.value.toFixed(2) !== theirs.value.toFixed(2)) {
    const change = theirs.value > 0 ? ours.value / theirs.value - 1 : null;
    const relative = change === null ? '' : change === 0 ? ', the same' : `, ${percent(Math.abs(change))} ${change < 0 ? 'fewer' : 'more'}`;
    const clause = evidence(ours, theirs, pairedCI?.('spuriousPerImage'), (d) => `${d >= 0 ? '+' : ''}${d.toFixed(2)}`);
    sentences.push(`${a.label} predicts ${ours.value.toFixed(2)} spurious objects per image vs ${theirs.value.toFixed(2)} for ${b.label}${relative} (${clause}).`);
  }
  return sentences;
}
