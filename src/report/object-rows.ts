/**
 * Which object-level metric rows the verify table shows, shared by the terminal views, the plain
 * text and report.md so all three show the same rows under the same names. The full set: objects
 * found (IoU > 0.5), any overlap, found per area bin that has ground-truth objects, spurious per
 * image and per 1000 foreground px. The brief set (narrow terminal tables): found, found in the
 * smallest populated bin, spurious per image. No rows when no candidate has object metrics
 * (reports written before they existed).
 */
import { OBJECT_AREA_BIN_LABELS } from '../contracts/profile.js';
import type { CandidateResult, MetricWithCI, VerificationReport } from '../contracts/verification.js';

export interface ObjectRow {
  /** Row name in wide tables and report.md (at most 20 characters). */
  long: string;
  /** Row name in narrow tables (at most 13 characters). */
  short: string;
  higherIsBetter: boolean;
  value: (candidate: CandidateResult) => MetricWithCI | null;
  /** Ground-truth objects behind a rate (area-bin rows), for tables with room to say it. */
  objects?: number;
}

/** Ground-truth object counts per area bin (the same for every candidate: they share the val images). */
export function objectsPerBin(report: VerificationReport): number[] | null {
  const scored = report.candidates.find((c) => c.metrics?.objects);
  return scored ? scored.metrics!.objects!.byArea.map((b) => b.objects) : null;
}

export function objectMetricRows(report: VerificationReport, detail: 'full' | 'brief'): ObjectRow[] {
  const perBin = objectsPerBin(report);
  if (!perBin) return [];
  const objects = (c: CandidateResult) => c.metrics?.objects ?? null;
  const populated = perBin.map((n, bin) => ({ n, bin })).filter((x) => x.n > 0);
  const binRows = (detail === 'full' ? populated : populated.slice(0, 1)).map(({ n, bin }): ObjectRow => ({
    long: `found ${OBJECT_AREA_BIN_LABELS[bin]} px`,
    short: `found${OBJECT_AREA_BIN_LABELS[bin]}`,
    higherIsBetter: true,
    value: (c) => objects(c)?.byArea[bin]?.detectionRate ?? null,
    objects: n,
  }));
  const rows: ObjectRow[] = [
    { long: 'objects found', short: 'objects found', higherIsBetter: true, value: (c) => objects(c)?.detectionRate ?? null },
    ...(detail === 'full' ? [{ long: 'objects touched', short: 'touched', higherIsBetter: true, value: (c: CandidateResult) => objects(c)?.anyOverlapRate ?? null }] : []),
    ...binRows,
    { long: 'spurious / image', short: 'spurious/img', higherIsBetter: false, value: (c) => objects(c)?.spuriousPerImage ?? null },
  ];
  if (detail === 'full') rows.push({ long: 'spurious / 1k fg px', short: 'spurious/1kpx', higherIsBetter: false, value: (c) => objects(c)?.spuriousPer1000Px ?? null });
  return rows;
}

/** The definitions, in one sentence, for the table's key. */
export const OBJECT_ROWS_KEY =
  'objects: 8-connected components per class; found = a predicted component of the class with IoU > 0.5; touched = any overlap; spurious = a predicted component touching no object of its class (fg = ground-truth foreground)';
