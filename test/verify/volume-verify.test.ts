/**
 * nnU-Net raw folders end to end: verify trains the 2D U-Net on slices and splits by case (no
 * volume has slices on both sides of any fold), recorded in verification.json; and the label
 * conventions apply to label volumes as to masks (--label-map on a NIfTI label).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../dataset/helpers.js';
import { writeNnunetDataset, type CaseSpec } from '../helpers/nnunet-dataset.js';
import { TWO_CUBES } from '../helpers/nnunet-dataset.js';
import { runCli } from '../helpers/run-cli.js';

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.forEach((c) => c()));
function dir(prefix: string): string {
  const t = tempDir(prefix);
  cleanups.push(t.cleanup);
  return t.dir;
}

/** Six cases of 16x16x4 voxels, each with a tumour box whose place depends on the case. */
const SIX_CASES: CaseSpec[] = Array.from({ length: 6 }, (_, k) => ({
  id: `case_${k}`,
  dims: [16, 16, 4] as [number, number, number],
  spacing: [1, 1, 3] as [number, number, number],
  label: (x: number, y: number, z: number) => (x >= 2 + k && x < 8 + k && y >= 3 && y < 10 && z >= 1 ? 1 : 0),
}));

describe('verify on an nnU-Net raw folder', () => {
  it('trains on slices with every fold split by case, and records the grouping', async () => {
    const root = dir('segloss-nnunet-verify-');
    writeNnunetDataset(root, SIX_CASES, { labels: { background: 0, tumour: 1 } });
    const run = await runCli(['verify', root, '--backend', 'wasm', '--steps', '2', '--candidates', 'recommended,ce', '--crop', '8', '--batch', '2', '--model-depth', '2', '--model-width', '2', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    const folds = report.settings.folds;
    expect(folds.grouping.rule).toBe('group');
    expect(folds.grouping.groups).toBe(6);
    expect(folds.count).toBeGreaterThan(1);
    const caseOf = (id: string) => id.split('@')[0];
    const casesPerFold: Set<string>[] = folds.assignment.map((f: { valImageIds: string[] }) => new Set(f.valImageIds.map(caseOf)));
    // Every case is validated in exactly one fold, so no fold trains on a case it validates on.
    const all = casesPerFold.flatMap((s) => [...s]);
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(all)).toEqual(new Set(SIX_CASES.map((c) => c.id)));
  }, 120_000);
});

describe('label conventions on NIfTI label volumes', () => {
  it('--label-map applies to a label volume (cyst ignored: its 10 voxels leave the counts)', async () => {
    const root = dir('segloss-nnunet-labels-');
    writeNnunetDataset(root, TWO_CUBES);
    const plain = JSON.parse((await runCli(['profile', root, '--json', '--workers', '0'])).stdout);
    const map = join(root, 'map.json');
    writeFileSync(map, JSON.stringify({ 2: 'ignore' }));
    const run = await runCli(['profile', root, '--json', '--workers', '0', '--label-map', map]);
    expect(run.code, run.stderr).toBe(0);
    const mapped = JSON.parse(run.stdout);
    expect(plain.aggregates.ignoredPixels).toBe(0);
    expect(mapped.aggregates.ignoredPixels).toBe(10);
    expect(mapped.aggregates.validPixels).toBe(plain.aggregates.validPixels - 10);
    const tumour = (p: { classes: Array<{ id: number; pixelCount: number }> }) => p.classes.find((c) => c.id === 1)!.pixelCount;
    expect(tumour(mapped)).toBe(tumour(plain));
  }, 60_000);
});
