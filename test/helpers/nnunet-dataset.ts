/** Writes small nnU-Net v2 raw datasets (dataset.json, imagesTr, labelsTr) for tests and benches. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { niftiBytes, volumeOf, type NiftiDatatype } from './nifti-writer.js';

export interface CaseSpec {
  id: string;
  dims: [number, number, number];
  spacing?: [number, number, number];
  label: (x: number, y: number, z: number) => number;
  /** Intensity of each channel; default one channel: label * 50 + a small texture. */
  channels?: Array<(x: number, y: number, z: number) => number>;
  labelType?: NiftiDatatype;
}

export function writeNnunetDataset(root: string, cases: CaseSpec[], json: Record<string, unknown> = {}): void {
  mkdirSync(join(root, 'imagesTr'), { recursive: true });
  mkdirSync(join(root, 'labelsTr'), { recursive: true });
  const channelCount = cases[0]?.channels?.length ?? 1;
  const datasetJson = {
    channel_names: Object.fromEntries(Array.from({ length: channelCount }, (_, c) => [String(c), c === 0 ? 'CT' : `MR${c}`])),
    labels: { background: 0, tumour: 1, cyst: 2 },
    numTraining: cases.length,
    file_ending: '.nii.gz',
    ...json,
  };
  writeFileSync(join(root, 'dataset.json'), JSON.stringify(datasetJson, null, 2));
  for (const c of cases) {
    const channels = c.channels ?? [(x: number, y: number, z: number) => c.label(x, y, z) * 50 + ((x + y + z) % 3)];
    channels.forEach((f, k) => {
      writeFileSync(join(root, 'imagesTr', `${c.id}_${String(k).padStart(4, '0')}.nii.gz`), niftiBytes(volumeOf(c.dims, f), { dims: c.dims, spacing: c.spacing, datatype: 'int16' }));
    });
    writeFileSync(join(root, 'labelsTr', `${c.id}.nii.gz`), niftiBytes(volumeOf(c.dims, c.label), { dims: c.dims, spacing: c.spacing, datatype: c.labelType ?? 'uint8' }));
  }
}

const inBox = (v: number, lo: number, hi: number): boolean => v >= lo && v <= hi;

/**
 * Two cases with known 3D objects. case_1 (10x10x6, spacing 0.5 x 0.5 x 2 mm = 0.5 mm³ a voxel):
 * class 1 cube A (x,y,z 1..3, 27 voxels) touching cube B (4..5, 8 voxels) only at a corner, so one
 * 26-connected object of 35 voxels (two 6-connected ones), plus cube C (x,y 7..8, z 0: 4 voxels);
 * class 2 a line of 10 voxels (y 9, z 5). case_2 (4x4x4, 1 mm): one class-1 voxel at the origin.
 */
export const TWO_CUBES: CaseSpec[] = [
  {
    id: 'case_1',
    dims: [10, 10, 6],
    spacing: [0.5, 0.5, 2],
    label: (x, y, z) =>
      (inBox(x, 1, 3) && inBox(y, 1, 3) && inBox(z, 1, 3)) || (inBox(x, 4, 5) && inBox(y, 4, 5) && inBox(z, 4, 5)) || (inBox(x, 7, 8) && inBox(y, 7, 8) && z === 0)
        ? 1
        : y === 9 && z === 5
          ? 2
          : 0,
  },
  { id: 'case_2', dims: [4, 4, 4], spacing: [1, 1, 1], label: (x, y, z) => (x + y + z === 0 ? 1 : 0) },
];
