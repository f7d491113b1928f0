/** The profile view as lines: class shares on a log scale, object sizes, boundary gauge, skips. */
import { OBJECT_AREA_BIN_LABELS, type DatasetProfile } from '../../contracts/profile.js';
import { bar, fit, fitRight, formatNumber, formatShare, formatShareFine, logFraction, logScaleFloor, truncate, wrapText } from '../format.js';
import { BLANK, seg, type Line } from '../lines.js';
import { classIdWarnings, nothingToRecommend } from '../../profiler/profile-checks.js';
import { volumeLines } from './volume-lines.js';
import { imageBandsPhrase } from '../../report/image-bands-text.js';

const SHARE_WIDTH = 7;

/** "nothing to recommend" (with its fix) and class-id warnings, as in the plain-text profile. */
function profileWarningTexts(profile: DatasetProfile): string[] {
  const nothing = nothingToRecommend(profile);
  return [...(nothing ? [`nothing to recommend: ${nothing.problem}; fix: ${nothing.fix}`] : []), ...classIdWarnings(profile).map((w) => `warning: ${w}`)];
}

function datasetLine(profile: DatasetProfile, width: number): Line[] {
  const { dataset } = profile;
  const where = dataset.root ?? dataset.masksDir;
  const size = dataset.minSize && dataset.maxSize
    ? dataset.minSize.join('x') === dataset.maxSize.join('x') ? dataset.minSize.join('x') : `${dataset.minSize.join('x')} to ${dataset.maxSize.join('x')}`
    : 'no sizes';
  const sample = dataset.sample ? `, seeded sample of ${dataset.sample.size} from ${dataset.sample.population} (95% CIs shown)` : '';
  return [
    [seg('Dataset profile', 'title'), seg(` ${truncate(where, Math.max(8, width - 16))}`)],
    ...wrapText(`${dataset.pairsProfiled} of ${dataset.pairsFound} pairs profiled, ${size} px, ${profile.aggregates.numClasses} classes${dataset.hasImages ? '' : ', masks only'}${imageBandsPhrase(dataset)}${sample}`, width, '  ').map((text) => [seg(text, 'muted')]),
    ...profileWarningTexts(profile).flatMap((text) => wrapText(text, width - 2, '    ').map((line): Line => [seg(`  ${line}`, 'warn')])),
  ];
}

/** Class-share bars on a log scale so a 0.03% class still shows; the rarest is marked. */
export function classShareLines(profile: DatasetProfile, width: number): Line[] {
  const shares = profile.classes.map((c) => c.pixelShare);
  const floor = logScaleFloor(shares);
  const rarestId = profile.aggregates.smallestForegroundClassId;
  const nameWidth = Math.min(16, Math.max(...profile.classes.map((c) => c.name.length), 5));
  const markWidth = 9; // ' ◀ rarest'
  const barWidth = Math.max(6, width - nameWidth - SHARE_WIDTH - markWidth - 4);
  const lines: Line[] = [[seg('Class shares', 'heading'), seg(` (log scale ${formatShare(floor)} to 100%)`, 'muted')]];
  for (const cls of profile.classes) {
    const rarest = cls.id === rarestId;
    const ci = cls.pixelShareCI95 ? ` ${formatShareFine(cls.pixelShareCI95[0])} to ${formatShareFine(cls.pixelShareCI95[1])}` : '';
    const line: Line = [
      seg(`  ${fit(cls.name, nameWidth)} `),
      seg(bar(logFraction(cls.pixelShare, floor), barWidth), rarest ? 'rare' : cls.id === 0 ? 'muted' : 'accent'),
      seg(` ${fitRight(formatShare(cls.pixelShare), SHARE_WIDTH)}`),
    ];
    if (rarest) line.push(seg(' ◀ rarest', 'rare'));
    else if (cls.pixelCount === 0 && cls.id !== 0) line.push(seg(' absent', 'warn'));
    lines.push(line);
    if (ci) lines.push([seg(`  ${' '.repeat(nameWidth)} 95% CI${ci}`, 'muted')]);
  }
  const a = profile.aggregates;
  lines.push(...wrapText(`imbalance ${formatNumber(Math.round(a.imbalanceRatio))}:1 (largest/smallest share), background ${formatShare(a.backgroundShare)}, ${a.rareClassCount} foreground class${a.rareClassCount === 1 ? '' : 'es'} under 1%`, width - 2, '  ').map((text) => [seg(`  ${text}`, 'muted')]));
  return lines;
}

/** Foreground objects per area bin (the article's <100, 100-1k, 1k-10k, >=10k px). */
export function objectSizeLines(profile: DatasetProfile, width: number): Line[] {
  const counts = [0, 0, 0, 0];
  for (const cls of profile.classes) {
    if (cls.id === 0) continue;
    cls.objects.areaHistogram.forEach((count, bin) => (counts[bin] += count));
  }
  const total = counts.reduce((sum, count) => sum + count, 0);
  const max = Math.max(...counts, 1);
  const labelWidth = 8;
  const countWidth = Math.max(5, String(max).length);
  const barWidth = Math.max(6, width - labelWidth - countWidth - SHARE_WIDTH - 5);
  const lines: Line[] = [[seg('Object sizes', 'heading'), seg(` (${total} foreground objects, area in px)`, 'muted')]];
  OBJECT_AREA_BIN_LABELS.forEach((label, bin) => {
    lines.push([
      seg(`  ${fit(label, labelWidth)}`),
      seg(bar(counts[bin] / max, barWidth), 'accent'),
      seg(` ${fitRight(String(counts[bin]), countWidth)}`),
      seg(` ${fitRight(total ? formatShare(counts[bin] / total) : 'n/a', SHARE_WIDTH)}`, 'muted'),
    ]);
  });
  const a = profile.aggregates;
  if (a.scaleSpreadDecades !== null) {
    const px = (area: number | null) => (area === null ? 'n/a' : String(Math.round(area)));
    const spread = `sizes span ${a.scaleSpreadDecades.toFixed(1)} decades (p10 ${px(a.objectAreaP10)}, p50 ${px(a.objectAreaP50)}, p90 ${px(a.objectAreaP90)} px)`;
    lines.push(...wrapText(spread, width - 2, '  ').map((text) => [seg(`  ${text}`, 'muted')]));
  }
  return lines;
}

/** Gauge of the share of label-boundary pixels on low-contrast edges. */
export function boundaryLines(profile: DatasetProfile, width: number): Line[] {
  const a = profile.aggregates;
  const heading: Line = [seg('Boundary ambiguity', 'heading')];
  if (a.ambiguousBoundaryShare === null) {
    return [heading, ...wrapText('not measured: masks only (no images to measure edge contrast)', width - 2, '  ').map((text) => [seg(`  ${text}`, 'muted')])];
  }
  const share = a.ambiguousBoundaryShare;
  const role = share >= 0.3 ? 'warn' : 'good';
  const gaugeWidth = Math.max(6, Math.min(30, width - 14));
  const ci = a.ambiguousBoundaryShareCI95 ? ` (95% CI ${formatShare(a.ambiguousBoundaryShareCI95[0])}-${formatShare(a.ambiguousBoundaryShareCI95[1])})` : '';
  const lines: Line[] = [heading, [seg('  ['), seg(bar(share, gaugeWidth), role), seg(`] ${formatShare(share)}`)]];
  lines.push(...wrapText(`of label-boundary pixels are low-contrast${ci}${a.meanBoundaryContrast !== null ? `; mean contrast ${a.meanBoundaryContrast.toFixed(1)}` : ''}`, width - 2, '  ').map((text) => [seg(`  ${text}`, 'muted')]));
  return lines;
}

export function skippedLines(profile: DatasetProfile, width: number): Line[] {
  const skipped = profile.dataset.skipped;
  if (skipped.length === 0) return [];
  const lines: Line[] = [[seg(`Skipped ${skipped.length} file${skipped.length === 1 ? '' : 's'}`, 'warn')]];
  const shown = skipped.slice(0, 10);
  for (const item of shown) {
    lines.push(...wrapText(`${item.file}: ${item.problem}`, width - 2, '  ').map((text) => [seg(`  ${text}`)]));
    lines.push(...wrapText(`fix: ${item.fix}`, width - 4, '     ').map((text) => [seg(`    ${text}`, 'muted')]));
  }
  if (skipped.length > shown.length) lines.push([seg(`  … and ${skipped.length - shown.length} more (see profile.json)`, 'muted')]);
  return lines;
}

export function profileLines(profile: DatasetProfile, width: number): Line[] {
  const sections = [
    datasetLine(profile, width),
    classShareLines(profile, width),
    volumeLines(profile, width),
    objectSizeLines(profile, width),
    boundaryLines(profile, width),
    skippedLines(profile, width),
  ].filter((section) => section.length > 0);
  return sections.flatMap((section, index) => (index === 0 ? section : [BLANK, ...section]));
}
