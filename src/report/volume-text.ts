/**
 * The "Volumes (3D)" section of the plain-text profile: cases, slicing, shape and spacing ranges,
 * and per class the voxel share, total volume and 3D object sizes in mm³. Kept apart from
 * profile-text.ts so a 2D profile's text does not change.
 */
import type { DatasetProfile, VolumeProfile } from '../contracts/profile.js';
import { bold, type Block } from './document.js';

/** mm³ with three significant digits below 1000 (0.125, 17.5, 320), whole numbers above. */
export function formatMm3(value: number | null): string {
  if (value === null) return '-';
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  return String(Number(value.toPrecision(3)));
}

function range(min: readonly number[], max: readonly number[], unit: string): string {
  const axis = (i: number): string => (min[i] === max[i] ? formatMm3(min[i]) : `${formatMm3(min[i])}-${formatMm3(max[i])}`);
  return `${axis(0)} x ${axis(1)} x ${axis(2)} ${unit}`;
}

export function volumeSectionLines(profile: DatasetProfile, table: (rows: string[][], right: boolean[]) => string[], formatShare: (s: number | null) => string): string[] {
  const v: VolumeProfile | undefined = profile.volumes;
  if (!v) return [];
  const valid = profile.aggregates.validPixels;
  const lines = [
    `  ${v.cases} volume${v.cases === 1 ? '' : 's'}, ${v.slices.toLocaleString('en-US')} slices across the ${v.sliceAxis}`,
    `  shape ${range(v.shapeMin, v.shapeMax, 'voxels')}; spacing ${range(v.spacingMin, v.spacingMax, 'mm')}`,
  ];
  const header = ['id', 'class', 'voxel share', 'volume mm³', 'in cases', '3D objects', 'p10 mm³', 'p50 mm³', 'p90 mm³', 'largest mm³'];
  const rows = v.classes.map((c) => [
    String(c.id),
    c.name,
    formatShare(valid > 0 ? c.voxelCount / valid : 0),
    formatMm3(c.volumeMm3),
    String(c.casesWithClass),
    c.objects ? c.objects.count.toLocaleString('en-US') : '-',
    formatMm3(c.objects?.mm3P10 ?? null),
    formatMm3(c.objects?.mm3P50 ?? null),
    formatMm3(c.objects?.mm3P90 ?? null),
    formatMm3(c.objects?.mm3Max ?? null),
  ]);
  for (const line of table([header, ...rows], header.map((_, i) => i !== 1))) lines.push(`  ${line}`);
  lines.push(
    v.objectCount === 0
      ? '  no foreground objects in 3D'
      : `  ${v.objectCount.toLocaleString('en-US')} 3D objects; size p10 / p50 / p90: ${formatMm3(v.objectMm3P10)} / ${formatMm3(v.objectMm3P50)} / ${formatMm3(v.objectMm3P90)} mm³`,
  );
  return lines;
}

/** The same section for report.md / report.html: a paragraph and a table (none for 2D profiles). */
export function volumeReportBlocks(profile: DatasetProfile, formatShare: (s: number | null) => string): Block[] {
  const v = profile.volumes;
  if (!v) return [];
  const valid = profile.aggregates.validPixels;
  return [
    {
      kind: 'paragraph',
      text: [
        bold('Volumes (3D)'),
        `: ${v.cases} volume${v.cases === 1 ? '' : 's'}, ${v.slices} slices across the ${v.sliceAxis}; shape ${range(v.shapeMin, v.shapeMax, 'voxels')}; spacing ${range(v.spacingMin, v.spacingMax, 'mm')}. Objects are 26-connected components, sizes in mm³ from the header spacing; the class table above counts voxels and 2D objects on slices.`,
      ],
    },
    {
      kind: 'table',
      header: ['id', 'class', 'voxel share', 'volume (mm³)', 'cases with class', '3D objects', 'p50 (mm³)', 'largest (mm³)'],
      rows: v.classes.map((c) => [String(c.id), c.name, formatShare(valid > 0 ? c.voxelCount / valid : 0), formatMm3(c.volumeMm3), String(c.casesWithClass), c.objects ? String(c.objects.count) : 'n/a', formatMm3(c.objects?.mm3P50 ?? null), formatMm3(c.objects?.mm3Max ?? null)]),
      rightAligned: [true, false, true, true, true, true, true, true],
    },
  ];
}
