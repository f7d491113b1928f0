/**
 * Plain-text rendering of a DatasetProfile: what `segloss profile` prints when piped (and on a TTY
 * until the Ink view exists). Aligned columns; the rarest foreground class is marked.
 */
import { OBJECT_AREA_BIN_LABELS, type DatasetProfile, type Interval } from '../contracts/profile.js';
import { classIdWarnings, nothingToRecommend } from '../profiler/profile-checks.js';
import { volumeSectionLines } from './volume-text.js';
import { imageBandsPhrase } from './image-bands-text.js';

export interface ProfileTextOptions {
  /** ANSI colour and bold (false under NO_COLOR / --no-color or when piped). */
  color: boolean;
}

/** A share as a percentage with enough digits to tell tiny classes apart: 98.7%, 1.30%, 0.0300%. */
export function formatShare(share: number | null): string {
  if (share === null) return '-';
  const percent = share * 100;
  if (percent === 0) return '0%';
  if (percent >= 10) return `${percent.toFixed(1)}%`;
  if (percent >= 0.1) return `${percent.toFixed(2)}%`;
  return `${percent.toPrecision(3)}%`;
}

function formatInterval(ci: Interval | null): string {
  return ci ? `[${formatShare(ci[0])}, ${formatShare(ci[1])}]` : '';
}

function formatCount(n: number | null): string {
  if (n === null) return '-';
  return Math.round(n).toLocaleString('en-US');
}

function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'inf';
  return ratio >= 100 ? `${Math.round(ratio).toLocaleString('en-US')}:1` : `${ratio.toFixed(1)}:1`;
}

function table(rows: string[][], rightAligned: boolean[]): string[] {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  return rows.map((row) => row.map((cell, col) => (rightAligned[col] ? cell.padStart(widths[col]) : cell.padEnd(widths[col]))).join('  ').trimEnd());
}

export function formatProfileText(profile: DatasetProfile, options: ProfileTextOptions): string {
  const style = (code: string, text: string): string => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const bold = (t: string): string => style('1', t);
  const warn = (t: string): string => style('33', t);
  const dim = (t: string): string => style('2', t);
  const { dataset: d, aggregates: a } = profile;
  const sampled = d.sample !== null;
  const lines: string[] = [];

  const size = d.minSize && d.maxSize
    ? d.minSize[0] === d.maxSize[0] && d.minSize[1] === d.maxSize[1] ? `${d.minSize[0]}x${d.minSize[1]}` : `${d.minSize[0]}x${d.minSize[1]} to ${d.maxSize[0]}x${d.maxSize[1]}`
    : '-';
  lines.push(bold(`Dataset profile: ${d.root ?? d.masksDir}`));
  lines.push(`  ${formatCount(d.pairsProfiled)} ${profile.volumes ? (d.pairsProfiled === 1 ? 'volume' : 'volumes') : 'masks'} profiled of ${formatCount(d.pairsFound)} paired, ${size} px, ${a.numClasses} classes, ${d.hasImages ? 'with images' : 'masks only (no images)'}${imageBandsPhrase(d)}` +
    `${d.ignoreIndex !== null ? `, ignore index ${d.ignoreIndex} (${formatCount(a.ignoredPixels)} px left out)` : ''}`);
  if (d.sample) lines.push(`  seeded sample: ${formatCount(d.sample.size)} of ${formatCount(d.sample.population)} pairs (seed ${d.sample.seed}); intervals are 95% confidence intervals`);
  const nothing = nothingToRecommend(profile);
  if (nothing) {
    lines.push(warn(`  nothing to recommend: ${nothing.problem}`));
    lines.push(dim(`    fix: ${nothing.fix}`));
  }
  for (const warning of classIdWarnings(profile)) lines.push(warn(`  warning: ${warning}`));
  lines.push('');

  lines.push(bold('Class imbalance'));
  const rarest = a.smallestForegroundClassId;
  const header = ['id', 'class', 'pixel share', ...(sampled ? ['95% CI'] : []), profile.volumes ? 'in cases' : 'in images', 'objects', 'p10 px', 'p50 px', 'p90 px', ...(d.hasImages ? ['ambiguous edge', 'contrast'] : []), ''];
  const rows = profile.classes.map((c) => [
    String(c.id),
    c.name,
    formatShare(c.pixelShare),
    ...(sampled ? [formatInterval(c.pixelShareCI95)] : []),
    formatShare(c.imageShare),
    formatCount(c.objects.count),
    formatCount(c.objects.areaP10),
    formatCount(c.objects.areaP50),
    formatCount(c.objects.areaP90),
    ...(d.hasImages ? [formatShare(c.boundary?.ambiguousShare ?? null), c.boundary?.meanContrast == null ? '-' : c.boundary.meanContrast.toFixed(1)] : []),
    c.id === rarest ? '<- rarest' : c.pixelCount === 0 && c.id !== 0 ? 'absent' : '',
  ]);
  const right = header.map((_, i) => i === 0 || (i >= 2 && i < header.length - 1));
  table([header, ...rows], right).forEach((line, i) => {
    const text = `  ${line}`;
    lines.push(i === 0 ? dim(text) : profile.classes[i - 1].id === rarest ? warn(text) : text);
  });
  if (a.validPixels === 0) lines.push('  no class pixels: every pixel is the ignore index');
  else lines.push(`  background ${formatShare(a.backgroundShare)}, foreground ${formatShare(a.foregroundShare)}` +
    (rarest >= 0 ? `, smallest foreground ${formatShare(a.smallestForegroundShare)} (${profile.classes.find((c) => c.id === rarest)?.name})` : ', no foreground pixels'));
  lines.push(`  imbalance ${formatRatio(a.imbalanceRatio)} (largest / smallest share), ${a.rareClassCount} rare foreground ${a.rareClassCount === 1 ? 'class' : 'classes'} (< 1% of pixels)` +
    (a.absentClassIds.length ? `, absent: ${a.absentClassIds.join(', ')}` : ''));
  lines.push('');

  if (profile.volumes) {
    lines.push(bold('Volumes (3D)') + dim(' (foreground objects: 26-connected components; sizes from the header spacing)'));
    lines.push(...volumeSectionLines(profile, table, formatShare), '');
  }
  lines.push(bold('Object scale') + dim(profile.volumes ? ' (foreground, 8-connected components on 2D slices)' : ' (foreground, 8-connected components)'));
  if (a.objectCount === 0) {
    lines.push('  no foreground objects');
  } else {
    const histogram = [0, 0, 0, 0];
    for (const c of profile.classes) if (c.id !== 0) c.objects.areaHistogram.forEach((n, i) => (histogram[i] += n));
    lines.push(`  ${formatCount(a.objectCount)} objects; area ${OBJECT_AREA_BIN_LABELS.map((label, i) => `${label} px: ${formatShare(histogram[i] / a.objectCount)}`).join(', ')}`);
    lines.push(`  area p10 / p50 / p90: ${formatCount(a.objectAreaP10)} / ${formatCount(a.objectAreaP50)} / ${formatCount(a.objectAreaP90)} px; spread ${a.scaleSpreadDecades?.toFixed(2)} decades; small objects (< 100 px) ${formatShare(a.smallObjectShare)}`);
  }
  lines.push('');

  lines.push(bold('Boundary ambiguity'));
  if (a.ambiguousBoundaryShare === null) {
    lines.push(`  not measured: ${d.hasImages ? 'no label boundaries found' : 'masks only; pair images with the masks (ROOT/images or --images DIR) to measure edge contrast'}`);
  } else {
    lines.push(`  ${formatShare(a.ambiguousBoundaryShare)} of label-boundary pixels lie on low-contrast edges${sampled ? ` ${formatInterval(a.ambiguousBoundaryShareCI95)}` : ''}; mean edge contrast-to-noise ${a.meanBoundaryContrast?.toFixed(1)}`);
    if (profile.method.boundary) lines.push(dim(`  ambiguous = edge CNR < ${profile.method.boundary.parameters.threshold} (see method.boundary in --json)`));
  }

  if (d.skipped.length > 0) {
    lines.push('');
    lines.push(warn(bold(`Skipped (${d.skipped.length})`)));
    const shown = d.skipped.slice(0, 20);
    for (const item of shown) {
      lines.push(`  ${item.file}: ${item.problem}`);
      lines.push(dim(`    fix: ${item.fix}`));
    }
    if (d.skipped.length > shown.length) lines.push(`  ... and ${d.skipped.length - shown.length} more (all listed in --json / profile.json)`);
  }
  lines.push('');
  lines.push(dim(`profiled in ${profile.elapsedSeconds.toFixed(1)} s`));
  return `${lines.join('\n')}\n`;
}
